import { randomUUID } from 'node:crypto';
import { NotFoundError, type PluginContext, ValidationError } from '@mainframe-kb/storage-core';
import { z } from 'zod';
import type { NotesDatabase } from './schema.js';
import type { Note, NotesApi, NotesOptions } from './types.js';

/** What setup receives: `ctx.db` typed with the plugin's tables, `ctx.options` with its parsed options. */
export type NotesContext = PluginContext<NotesDatabase, NotesOptions>;

const idSchema = z.string().trim().min(1).max(64);

function valid<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: field, message: i.message }));
  throw new ValidationError(`${field}: ${issues.map((i) => i.message).join('; ')}`, issues);
}

/**
 * The API. It closes over the context and never returns it: whoever holds the store reaches the
 * database only through these role-checked operations.
 */
export function createNotesApi(ctx: NotesContext): NotesApi {
  const { maxLength } = ctx.options;
  const textSchema = z
    .string()
    .trim()
    .min(1, 'a note needs text')
    .max(maxLength, `a note is at most ${maxLength} characters (option maxLength)`);

  const entryExists = async (id: string) => {
    const row = await ctx.db.selectFrom('kb_entries').select('id').where('id', '=', id).executeTakeFirst();
    return row !== undefined;
  };

  return {
    // #region add
    add(entryId, text) {
      // ctx.write checks the role first, then runs this in one write transaction with its audit row
      // and its durable event; the event is emitted after commit. A throw rolls all of it back.
      return ctx.write('notes.add', async (scope) => {
        const note: Note = {
          id: randomUUID(),
          entryId: valid(idSchema, entryId, 'entryId'),
          author: scope.actor.id,
          text: valid(textSchema, text, 'text'),
          createdAt: scope.now,
        };
        const entry = await scope.trx
          .selectFrom('kb_entries')
          .select('id')
          .where('id', '=', note.entryId)
          .executeTakeFirst();
        if (!entry) throw new NotFoundError('KB entry', note.entryId);
        await scope.trx
          .insertInto('kb_notes')
          .values({
            id: note.id,
            entry_id: note.entryId,
            author: note.author,
            text: note.text,
            created_at: note.createdAt,
          })
          .execute();
        scope.audit({
          action: 'create',
          entity: 'kb_note',
          entityId: note.id,
          detail: { entryId: note.entryId },
        });
        scope.event('note:added', { note });
        return note.id;
      });
    },
    // #endregion

    list(entryId) {
      return ctx.read('notes.read', async () => {
        const id = valid(idSchema, entryId, 'entryId');
        const rows = await ctx.db
          .selectFrom('kb_notes')
          .select(['id', 'entry_id', 'author', 'text', 'created_at'])
          .where('entry_id', '=', id)
          .orderBy('seq')
          .execute();
        // A mistyped entry id is an error, not an empty list.
        if (rows.length === 0 && !(await entryExists(id))) throw new NotFoundError('KB entry', id);
        return rows.map((r) => ({
          id: r.id,
          entryId: r.entry_id,
          author: r.author,
          text: r.text,
          createdAt: r.created_at,
        }));
      });
    },

    remove(noteId) {
      return ctx.write('notes.remove', async (scope) => {
        const id = valid(idSchema, noteId, 'noteId');
        const row = await scope.trx
          .selectFrom('kb_notes')
          .select('entry_id')
          .where('id', '=', id)
          .executeTakeFirst();
        if (!row) return false;
        await scope.trx.deleteFrom('kb_notes').where('id', '=', id).execute();
        scope.audit({ action: 'delete', entity: 'kb_note', entityId: id, detail: { entryId: row.entry_id } });
        scope.event('note:removed', { id, entryId: row.entry_id });
        return true;
      });
    },
  };
}

/** Notes in the store, for the plugin's metrics and health probe. */
export async function countNotes(ctx: NotesContext): Promise<number> {
  const row = await ctx.db
    .selectFrom('kb_notes')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
