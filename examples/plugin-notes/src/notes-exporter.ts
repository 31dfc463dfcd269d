import { type DomainExporter, NotFoundError, ValidationError } from '@mainframe-kb/storage-core';
import { z } from 'zod';
import type { NotesContext } from './notes-service.js';

const optionsSchema = z.strictObject({
  /** Only this entry's notes; every entry's when absent. */
  entryId: z.string().trim().min(1).max(64).optional(),
});

/** Notes read per query: the file is written a note at a time, never held whole. */
const PAGE_SIZE = 500;

/** A note's text as one list item: its further lines indented under the first. */
function listItem(author: string, createdAt: string, text: string): string {
  return `- ${createdAt.slice(0, 16).replace('T', ' ')} ${author}: ${text.replace(/\r?\n/g, '\n  ')}\n`;
}

/**
 * `kb export --target notes-markdown --out notes.md [--option entryId=<id>]`: the notes of every KB entry, or
 * of one, as a Markdown document, a section per entry and a list item per note, oldest first. It reads
 * through the plugin's context (`notes.read`, so the actor's role is checked), a page of notes at a time,
 * and hands each note to the sink as it goes. The export pipeline checks its own role first, opens the file,
 * closes it, and removes it if this throws.
 */
export function notesMarkdownExporter(ctx: NotesContext): DomainExporter {
  return async ({ sink, options }) => {
    const parsed = optionsSchema.safeParse(options);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      const message = `notes-markdown options: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`;
      throw new ValidationError(message, issues);
    }
    const { entryId } = parsed.data;
    if (entryId !== undefined) {
      const entry = await ctx.read('notes.read', () =>
        ctx.db.selectFrom('kb_entries').select('id').where('id', '=', entryId).executeTakeFirst(),
      );
      if (!entry) throw new NotFoundError('KB entry', entryId);
    }
    const encoder = new TextEncoder();
    await sink.write(encoder.encode('# Operator notes\n'));
    let written = 0;
    let section: string | undefined;
    let after: { entryId: string; seq: number } | undefined;
    for (;;) {
      const last = after;
      const page = await ctx.read('notes.read', () => {
        let query = ctx.db
          .selectFrom('kb_notes')
          .innerJoin('kb_entries', 'kb_entries.id', 'kb_notes.entry_id')
          .select([
            'kb_notes.seq',
            'kb_notes.entry_id',
            'kb_entries.title',
            'kb_notes.author',
            'kb_notes.text',
            'kb_notes.created_at',
          ])
          .orderBy('kb_notes.entry_id')
          .orderBy('kb_notes.seq')
          .limit(PAGE_SIZE);
        if (entryId !== undefined) query = query.where('kb_notes.entry_id', '=', entryId);
        // Each page starts after the last note of the one before (by entry, then by seq).
        if (last !== undefined) {
          query = query.where((eb) =>
            eb.or([
              eb('kb_notes.entry_id', '>', last.entryId),
              eb.and([eb('kb_notes.entry_id', '=', last.entryId), eb('kb_notes.seq', '>', last.seq)]),
            ]),
          );
        }
        return query.execute();
      });
      for (const note of page) {
        const heading = note.entry_id === section ? '' : `\n## ${note.title} (\`${note.entry_id}\`)\n\n`;
        section = note.entry_id;
        await sink.write(encoder.encode(heading + listItem(note.author, note.created_at, note.text)));
        written += 1;
      }
      const tail = page.at(-1);
      if (tail === undefined || page.length < PAGE_SIZE) break;
      after = { entryId: tail.entry_id, seq: tail.seq };
    }
    if (written === 0) await sink.write(encoder.encode('\nNo notes.\n'));
    return { records: written };
  };
}
