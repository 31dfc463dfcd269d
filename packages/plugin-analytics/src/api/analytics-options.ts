import { z } from 'zod';

/**
 * The plugin's options (`config.mvp.extensions: [{ id: 'analytics', options: { … } }]`). Automatic resolution is
 * off unless switched on here: the kill switch is this config, and nothing is applied below the threshold.
 */
export const analyticsOptionsSchema = z
  .strictObject({
    autoResolution: z
      .strictObject({
        /** The kill switch: false (the default) records every decision as held for a person, applies nothing. */
        enabled: z.boolean().default(false),
        /** The least confidence (0–1) at which a fix is applied automatically. */
        threshold: z.number().min(0.5).max(1).default(0.9),
      })
      .prefault({}),
    /** A search succeeded when positive feedback on its top result follows within this many minutes. */
    feedbackWindowMinutes: z.number().int().min(1).max(10_080).default(60),
    /** The largest model file accepted, in bytes (default 1 GiB). */
    maxModelBytes: z
      .number()
      .int()
      .min(1)
      .max(2 ** 40)
      .default(2 ** 30),
    /**
     * Model files are stored in chunks of this many bytes (default 1 MiB, at most 4 MiB: mysql2 sends bytes as
     * hex, and a statement must fit MariaDB's default max_allowed_packet of 16 MiB).
     */
    chunkBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .max(4 * 1024 * 1024)
      .default(1024 * 1024),
  })
  .prefault({});

export type AnalyticsOptions = z.output<typeof analyticsOptionsSchema>;
export type AnalyticsOptionsInput = z.input<typeof analyticsOptionsSchema>;
