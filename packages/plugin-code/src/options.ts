import { z } from 'zod';

/** The plugin's options (`config.mvp.extensions: [{ id: 'code', options }]`). */
export const codeOptionsSchema = z.strictObject({
  /** Files larger than this are not analysed by a scan (they are reported). */
  maxFileBytes: z
    .number()
    .int()
    .min(1024)
    .max(1024 * 1024 * 1024)
    .default(10 * 1024 * 1024),
  /** Files written per transaction by a scan. */
  scanBatchSize: z.number().int().min(1).max(10_000).default(200),
});

export type CodeOptions = z.output<typeof codeOptionsSchema>;
export type CodeOptionsInput = z.input<typeof codeOptionsSchema>;
