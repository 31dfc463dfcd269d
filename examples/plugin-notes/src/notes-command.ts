import type { PluginCommand } from '@mainframe-kb/storage-core';
import type { Note, NotesPlugin } from './types.js';

function notesText(entryId: string, notes: readonly Note[]): string {
  if (notes.length === 0) return `No notes on ${entryId}.`;
  return notes.map((n) => `${n.createdAt.slice(0, 16)}  ${n.author}  ${n.text}  (${n.id})`).join('\n');
}

/** `kb notes add <entry-id> <text>` and `kb notes list <entry-id>`. */
export const notesCommand: PluginCommand = {
  name: 'notes',
  summary: 'add and list operator notes on KB entries (@mainframe-kb/example-plugin-notes)',
  usage: 'kb notes add <entry-id> <text> | list <entry-id>',
  details: [
    'add <entry-id> <text>   adds a note to the entry, as you (needs the editor role)',
    'list <entry-id>         the entry’s notes, oldest first',
  ],
  positionals: { min: 2, max: 3 },
  async run(ctx) {
    const [action, entryId, text] = ctx.positionals as [string, string, string | undefined];
    // Arguments are checked before the store opens: a usage error whatever the store.
    if (action !== 'add' && action !== 'list') throw ctx.usageError(`unknown notes action '${action}'`);
    if (action === 'add' && text === undefined) throw ctx.usageError('add needs the note text');
    if (action === 'list' && text !== undefined) throw ctx.usageError(`unexpected argument '${text}'`);
    const storage = await ctx.storage();
    const notes = storage.plugin<NotesPlugin>('notes');
    if (action === 'add') {
      const id = await notes.add(entryId, text!);
      ctx.out.emit({ id, entryId }, () => `Added note ${id} to ${entryId}.`);
    } else {
      const list = await notes.list(entryId);
      ctx.out.emit({ entryId, notes: list }, () => notesText(entryId, list));
    }
    return 0;
  },
};
