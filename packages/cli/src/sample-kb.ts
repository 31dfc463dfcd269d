import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KBEntryInput } from '@mainframe-kb/storage-core';

/**
 * The bundled sample KB (see data/PROVENANCE.md). This module sits one level below the package root in
 * both src/ and dist/, so the same relative URL finds the data file from either.
 */
export const SAMPLE_KB_FILE = fileURLToPath(new URL('../data/sample-kb.json', import.meta.url));

export function loadSampleKb(): KBEntryInput[] {
  const entries: unknown = JSON.parse(readFileSync(SAMPLE_KB_FILE, 'utf8'));
  if (!Array.isArray(entries)) throw new Error(`${SAMPLE_KB_FILE} must hold an array of entries`);
  return entries as KBEntryInput[];
}
