// Public surface of @mainframe-kb/example-plugin-notes. The default export is the plugin: the object that
// `config.mvp.extensions: [{ id: 'notes', package: '@mainframe-kb/example-plugin-notes' }]` loads. Importing
// the package also types `storage.addNote()` and the `note:*` events (module augmentation in types.ts).

import { notesPlugin } from './notes-plugin.js';

export { notesCommand } from './notes-command.js';
export { notesMarkdownExporter } from './notes-exporter.js';
export { notesCsvImporter } from './notes-importer.js';
export { notesOptionsSchema } from './notes-options.js';
export { NOTES_PACKAGE, NOTES_PERMISSIONS, NOTES_VERSION, notesPlugin } from './notes-plugin.js';
export type { NoteRow, NotesDatabase } from './schema.js';
export { notesMigration } from './schema.js';
export type { Note, NotesApi, NotesOptions, NotesPlugin } from './types.js';

export default notesPlugin;
