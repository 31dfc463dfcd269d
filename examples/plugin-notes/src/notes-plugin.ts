import { definePlugin, type PluginContext, type Role } from '@mainframe-kb/storage-core';
import { notesCommand } from './notes-command.js';
import { notesMarkdownExporter } from './notes-exporter.js';
import { notesCsvImporter } from './notes-importer.js';
import { notesOptionsSchema } from './notes-options.js';
import { countNotes, createNotesApi } from './notes-service.js';
import { type NotesDatabase, notesMigration } from './schema.js';
import type { NotesOptions, NotesPlugin } from './types.js';

export const NOTES_PACKAGE = '@mainframe-kb/example-plugin-notes';
/** The plugin's version: package.json's (a test keeps them equal). */
export const NOTES_VERSION = '0.1.0';

/** The least role of each operation; any other `notes.*` operation is refused (deny by default). */
export const NOTES_PERMISSIONS: Readonly<Record<string, Role>> = {
  'notes.read': 'viewer',
  'notes.add': 'editor',
  'notes.remove': 'editor',
};

/**
 * Operator notes on KB entries. Enable it with `config.mvp.extensions: [{ id: 'notes', package:
 * '@mainframe-kb/example-plugin-notes' }]`, or pass it: `createStorage(config, { plugins: [notesPlugin] })`.
 */
export const notesPlugin: NotesPlugin = definePlugin({
  id: 'notes',
  version: NOTES_VERSION,
  mvp: 1,
  package: NOTES_PACKAGE,
  description: 'operator notes on KB entries',
  dependsOn: { core: '>=0.1.0 <1.0.0' },
  options: notesOptionsSchema,
  tables: {
    kb_notes: { entity: 'notes', primaryKey: ['id'] },
  },
  migrations: [notesMigration],
  provides: ['addNote'],
  commands: [notesCommand],
  setup(ctx: PluginContext<NotesDatabase, NotesOptions>) {
    const api = createNotesApi(ctx);
    return {
      api,
      methods: { addNote: api.add },
      permissions: NOTES_PERMISSIONS,
      contributes: {
        importers: [
          {
            source: 'notes-csv',
            description: 'operator notes: a CSV file with the columns entry_id,author,text',
            entities: ['notes'],
            handler: notesCsvImporter(ctx.options.maxLength),
          },
        ],
        exporters: [
          {
            target: 'notes-markdown',
            description: 'operator notes as Markdown, a section per KB entry (option entryId: one entry)',
            entities: ['notes'],
            extension: 'md',
            handler: notesMarkdownExporter(ctx),
          },
        ],
        healthProbes: [
          {
            name: 'notes',
            async run() {
              return { status: 'healthy', data: { notes: await countNotes(ctx) } };
            },
          },
        ],
        metrics: async () => ({ notes: await countNotes(ctx) }),
      },
    };
  },
});
