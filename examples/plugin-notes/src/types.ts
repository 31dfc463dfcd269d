import type { PluginDefinition } from '@mainframe-kb/storage-core';
import type { z } from 'zod';
import type { notesOptionsSchema } from './notes-options.js';
import type { NotesDatabase } from './schema.js';

/** An operator's note on a KB entry: "seen again on LPAR2 after IPL". */
export interface Note {
  id: string;
  entryId: string;
  /** The actor who wrote it (the store's actor id). */
  author: string;
  text: string;
  createdAt: string;
}

/** The parsed options, as `ctx.options` holds them. */
export type NotesOptions = z.output<typeof notesOptionsSchema>;

/** `storage.plugin(notesPlugin)`. Every call is checked against the actor's role. */
export interface NotesApi {
  /** Adds a note to an entry as the store's actor; returns the note's id. Needs the editor role. */
  add(entryId: string, text: string): Promise<string>;
  /** The entry's notes, oldest first. */
  list(entryId: string): Promise<Note[]>;
  /** Removes a note; false when there was none with that id. Needs the editor role. */
  remove(noteId: string): Promise<boolean>;
}

export type NotesPlugin = PluginDefinition<'notes', NotesApi, NotesDatabase, NotesOptions>;

// Importing the package types these on the store: `storage.addNote(…)`, `storage.on('note:added', …)`.
declare module '@mainframe-kb/storage-core' {
  interface PluginMethods {
    addNote(entryId: string, text: string): Promise<string>;
  }
  interface StorageEvents {
    'note:added': { note: Note };
    'note:removed': { id: string; entryId: string };
  }
}
