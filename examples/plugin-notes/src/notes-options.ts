import { z } from 'zod';

/**
 * `config.mvp.extensions: [{ id: 'notes', options: { maxLength } }]`. Core validates the options with this
 * schema when the store opens and hands the parsed value to setup as `ctx.options`; a bad value refuses the
 * open with CONFIG_INVALID, naming the field.
 */
export const notesOptionsSchema = z.strictObject({
  /** The longest note, in characters, that `add` and the importer accept. */
  maxLength: z.number().int().min(1).max(100_000).default(2000),
});
