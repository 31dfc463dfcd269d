import { insertRows, type WriteScope } from '@mainframe-kb/storage-core';
import type { Kysely, Transaction } from 'kysely';
import type { AnalyzedSource } from '../analysis/analyze-source.js';
import type { CodeStructure } from '../analysis/structure-types.js';
import { symbolsOf } from '../analysis/symbols.js';
import { reanchor } from '../links/anchor.js';
import type { CodeDatabase, CodeFileRow } from '../schema/code-database.js';
import { fileIdOf } from './ids.js';

/** A file analysed and ready to be written. */
export interface AnalyzedFile {
  path: string;
  size: number;
  /** sha256 of the bytes. */
  hash: string;
  /** The stored file this one replaces (same repository and path). */
  existingId: string | undefined;
  analyzed: AnalyzedSource;
  /** The new text's lines, to re-anchor the file's links. */
  lines: readonly string[];
  metadata?: Record<string, unknown>;
}

export interface WriteOutcome {
  ids: string[];
  added: number;
  changed: number;
  reanchored: number;
  stale: number;
}

/**
 * Writes analysed files of one repository in the caller's write: inserts new ones, replaces changed ones in
 * place (same id, so links and analysis results stay attached), rewrites their symbols, and moves each
 * active link of a changed file to its snippet's new lines, or marks it stale.
 */
export async function writeAnalyzedFiles(
  scope: WriteScope<CodeDatabase>,
  repositoryId: string,
  files: readonly AnalyzedFile[],
): Promise<WriteOutcome> {
  const outcome: WriteOutcome = { ids: [], added: 0, changed: 0, reanchored: 0, stale: 0 };
  const inserts: CodeFileRow[] = [];
  const symbols: Record<string, unknown>[] = [];
  for (const file of files) {
    const row = fileRow(repositoryId, file, scope.now);
    outcome.ids.push(row.id);
    if (file.existingId) {
      const { id: _id, repository_id: _repository, file_path: _path, ...update } = row;
      await scope.trx.updateTable('code_files').set(update).where('id', '=', file.existingId).execute();
      await scope.trx.deleteFrom('code_symbols').where('code_file_id', '=', file.existingId).execute();
      const moved = await reanchorLinks(scope, file.existingId, file);
      outcome.reanchored += moved.reanchored;
      outcome.stale += moved.stale;
      outcome.changed += 1;
    } else {
      inserts.push(row);
      outcome.added += 1;
    }
    for (const s of file.analyzed.symbols) {
      symbols.push({ code_file_id: row.id, kind: s.kind, name: s.name, line: s.line, detail: s.detail });
    }
  }
  await insertRows(scope.trx, 'code_files', inserts as unknown as Record<string, unknown>[], 50);
  await insertRows(scope.trx, 'code_symbols', symbols, 200);
  return outcome;
}

async function reanchorLinks(
  scope: WriteScope<CodeDatabase>,
  fileId: string,
  file: AnalyzedFile,
): Promise<{ reanchored: number; stale: number }> {
  const counts = { reanchored: 0, stale: 0 };
  const links = await scope.trx
    .selectFrom('code_references')
    .select(['id', 'line_start', 'code_snippet'])
    .where('code_file_id', '=', fileId)
    .where('status', '!=', 'stale')
    .execute();
  for (const link of links) {
    if (link.code_snippet === '') continue; // a link to the whole file follows the file
    const moved = reanchor(link.code_snippet, link.line_start, file.lines, file.analyzed.language);
    if (moved && moved.start === link.line_start) continue;
    const set = moved
      ? { line_start: moved.start, line_end: moved.end, updated_at: scope.now }
      : { status: 'stale' as const, updated_at: scope.now, note: `the linked lines changed (${scope.now})` };
    await scope.trx.updateTable('code_references').set(set).where('id', '=', link.id).execute();
    if (moved) counts.reanchored += 1;
    else counts.stale += 1;
  }
  return counts;
}

function fileRow(repositoryId: string, file: AnalyzedFile, now: string): CodeFileRow {
  return {
    id: file.existingId ?? fileIdOf(repositoryId, file.path),
    repository_id: repositoryId,
    file_path: file.path,
    language: file.analyzed.language,
    name: file.analyzed.name?.slice(0, 64) ?? null,
    size_bytes: file.size,
    lines_count: file.analyzed.lines,
    complexity_score: file.analyzed.complexity,
    hash: file.hash,
    parsed_at: now,
    structure: JSON.stringify(file.analyzed.structure),
    issues: JSON.stringify(file.analyzed.issues),
    metadata: JSON.stringify(file.metadata ?? {}),
  };
}

/** Rebuilds `code_symbols` from every stored file's structure (after a copy, a logical restore, an import). */
export async function rebuildSymbols(db: Kysely<CodeDatabase> | Transaction<CodeDatabase>): Promise<void> {
  await db.deleteFrom('code_symbols').execute();
  let after = '';
  for (;;) {
    const rows = await db
      .selectFrom('code_files')
      .select(['id', 'name', 'structure'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(500)
      .execute();
    if (rows.length === 0) return;
    const symbols: Record<string, unknown>[] = [];
    for (const row of rows) {
      for (const s of symbolsOf(JSON.parse(row.structure) as CodeStructure, row.name)) {
        symbols.push({ code_file_id: row.id, kind: s.kind, name: s.name, line: s.line, detail: s.detail });
      }
    }
    await insertRows(db, 'code_symbols', symbols, 200);
    after = rows[rows.length - 1]!.id;
  }
}
