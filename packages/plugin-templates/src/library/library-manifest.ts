import { z } from 'zod';

/**
 * A template library on disk: `manifest.json` and one file per template under `templates/`, holding the text
 * of the template's current version (so the folder can be read, diffed and reviewed like source):
 *
 *   library/
 *     manifest.json          { format, formatVersion, exportedAt, templates: [ … one entry per template … ] }
 *     templates/S0C7-GUARD.cbl
 *     templates/REPRO-VSAM.jcl
 *
 * Each entry names its file, the sha256 of the file's bytes, and everything else a template has but its text
 * (description, language, category, parameters, rules, error codes, tags). An import checks every hash before
 * it writes anything.
 */
export const LIBRARY_FORMAT = 'mainframe-kb-template-library';
export const LIBRARY_FORMAT_VERSION = 1;

const EXTENSIONS = { cobol: 'cbl', jcl: 'jcl', text: 'txt' } as const;

export function fileNameOf(name: string, language: keyof typeof EXTENSIONS): string {
  return `${name}.${EXTENSIONS[language]}`;
}

export const libraryEntrySchema = z.strictObject({
  name: z.string().min(1).max(128),
  /** A plain file name under `templates/`: no folder, no `..`. */
  file: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/, 'a plain file name under templates/'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  description: z.string(),
  language: z.enum(['cobol', 'jcl', 'text']),
  category: z.string(),
  version: z.number().int().min(1),
  parameters: z.array(z.unknown()),
  rules: z.array(z.unknown()),
  errorCodes: z.array(z.string()),
  tags: z.array(z.string()),
});

export const libraryManifestSchema = z.strictObject({
  format: z.literal(LIBRARY_FORMAT),
  formatVersion: z.literal(LIBRARY_FORMAT_VERSION),
  exportedAt: z.string(),
  templates: z.array(libraryEntrySchema).max(100_000),
});

export type LibraryEntry = z.output<typeof libraryEntrySchema>;
export type LibraryManifest = z.output<typeof libraryManifestSchema>;
