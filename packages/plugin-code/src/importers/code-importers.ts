import { createHash } from 'node:crypto';
import type { DomainImporter, DomainImportInput, DomainRecord, FieldValue } from '@mainframe-kb/storage-core';
import { ValidationError } from '@mainframe-kb/storage-core';
import { analyzeSource } from '../analysis/analyze-source.js';
import { IMPORTED_REPOSITORY } from '../api/code-api.js';
import type { CodeLanguage } from '../schema/code-database.js';
import { fileIdOf, repositoryIdOf } from '../store/ids.js';

interface CodeImporter {
  source: 'cobol' | 'jcl' | 'copybook';
  description: string;
  entities: string[];
  handler: DomainImporter;
}

/** UTF-8 that is not valid is refused: a source decoded with replacement characters would not be the file. */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * `kb import <file> --source cobol|jcl|copybook`: one source file, analysed, stored under the `imported`
 * repository at its file name (a re-import of the same name replaces it with `--on-conflict update`). The
 * rows go through the import's own transaction, all or none; the repository row is ensured, not counted.
 */
function sourceImporter(language: CodeLanguage): DomainImporter {
  return async function* rows(input: DomainImportInput): AsyncGenerator<DomainRecord> {
    if (input.source.size > input.limits.maxRecordBytes) {
      const message = `${input.fileName}: ${input.source.size} bytes is over the record limit (${input.limits.maxRecordBytes})`;
      throw new ValidationError(message, [{ path: input.fileName, message }]);
    }
    const bytes = await input.source.read(0, input.source.size);
    let text: string;
    try {
      text = STRICT_UTF8.decode(bytes);
    } catch {
      const message = `${input.fileName}: not UTF-8 text (an EBCDIC member must be converted first)`;
      throw new ValidationError(message, [{ path: input.fileName, message }]);
    }
    const path = (input.fileName.split(/[\\/]/).pop() || `${language}-source`).slice(0, 512);
    const analyzed = analyzeSource(path, text, language);
    const now = new Date().toISOString();
    const location = { line: 1 };
    const repositoryId = repositoryIdOf(IMPORTED_REPOSITORY);
    yield {
      table: 'code_repositories',
      row: {
        id: repositoryId,
        name: IMPORTED_REPOSITORY,
        path: `(${IMPORTED_REPOSITORY})`,
        type: 'local',
        last_commit: null,
        last_scan: null,
        created_at: now,
        metadata: '{}',
      },
      location,
      ensure: true,
    };
    const id = fileIdOf(repositoryId, path);
    const file: Record<string, FieldValue> = {
      id,
      repository_id: repositoryId,
      file_path: path,
      language: analyzed.language,
      name: analyzed.name?.slice(0, 64) ?? null,
      size_bytes: bytes.length,
      lines_count: analyzed.lines,
      complexity_score: analyzed.complexity,
      hash: createHash('sha256').update(bytes).digest('hex'),
      parsed_at: now,
      structure: JSON.stringify(analyzed.structure),
      issues: JSON.stringify(analyzed.issues),
      metadata: JSON.stringify({ importedFrom: input.fileName }),
    };
    yield { table: 'code_files', row: file, location };
    for (const s of analyzed.symbols) {
      yield {
        table: 'code_symbols',
        row: { code_file_id: id, kind: s.kind, name: s.name, line: s.line, detail: s.detail },
        location,
      };
    }
  };
}

export const CODE_IMPORTERS: readonly CodeImporter[] = [
  {
    source: 'cobol',
    description: 'a COBOL program (fixed or free format), analysed and stored',
    entities: ['code'],
    handler: sourceImporter('cobol'),
  },
  {
    source: 'jcl',
    description: 'a JCL job or PROC, analysed and stored',
    entities: ['code'],
    handler: sourceImporter('jcl'),
  },
  {
    source: 'copybook',
    description: 'a COBOL copybook, laid out and stored',
    entities: ['code'],
    handler: sourceImporter('copybook'),
  },
];
