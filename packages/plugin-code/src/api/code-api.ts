import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError, type PluginContext, ValidationError } from '@mainframe-kb/storage-core';
import { type Kysely, sql } from 'kysely';
import { analyzeSource } from '../analysis/analyze-source.js';
import { detectLanguage } from '../analysis/detect-language.js';
import type { CodeIssue, CodeStructure, CopybookStructure } from '../analysis/structure-types.js';
import type { Copybook } from '../copybook/model.js';
import { parseCopybook } from '../copybook/parse-copybook.js';
import { snippetOf, splitLines } from '../links/anchor.js';
import { suggestLinksFor } from '../links/suggest.js';
import type { CodeOptions } from '../options.js';
import { scanTree } from '../scan/scanner.js';
import { GitTree } from '../scan/tree-source.js';
import type {
  CodeDatabase,
  CodeFileRow,
  CodeLanguage,
  CodeReferenceRow,
  CodeRepositoryRow,
} from '../schema/code-database.js';
import { writeAnalyzedFiles } from '../store/file-writer.js';
import { repositoryIdOf } from '../store/ids.js';
import type {
  CodeAnalysis,
  CodeAnalysisInput,
  CodeCriteria,
  CodeLink,
  CodeRepository,
  CodeSearchHit,
  CodeSearchOptions,
  LinkOptions,
  LinkQuery,
  LinkSuggestion,
  LinkType,
  ScanOptions,
  ScanResult,
} from '../types.js';
import {
  analysisInputSchema,
  criteriaSchema,
  linkOptionsSchema,
  linkQuerySchema,
  linkTypeSchema,
  parse,
  scanOptionsSchema,
  searchOptionsSchema,
} from './input-schemas.js';

export type CodeContext = PluginContext<CodeDatabase, CodeOptions>;

/** The repository `storeCodeAnalysis` and the importers file sources under when none is named. */
export const IMPORTED_REPOSITORY = 'imported';

/** The plugin's typed API: `storage.plugin(codePlugin)`. */
export interface CodeApi {
  /** Scans a folder or a git repository into the store (see `ScanOptions`). */
  scan(options: ScanOptions): Promise<ScanResult>;
  /** Analyses a source and stores it (replacing the file at the same path); returns the file's id. */
  storeCodeAnalysis(input: CodeAnalysisInput): Promise<string>;
  getCodeAnalysis(criteria?: CodeCriteria): Promise<CodeAnalysis[]>;
  /** One file, by id, or by path (with its repository when several hold that path). */
  getFile(idOrPath: string, repository?: string): Promise<CodeAnalysis>;
  repositories(): Promise<CodeRepository[]>;
  /** Removes a repository and its files; links to them stay, marked stale. */
  removeRepository(name: string): Promise<boolean>;
  /** Programs, paragraphs, copybook fields, data sets, steps … by name (exact first, then by prefix). */
  searchCode(query: string, options?: CodeSearchOptions): Promise<CodeSearchHit[]>;
  /** The seed's link: a KB entry to a file (or some of its lines, with `options`). */
  linkCodeToKB(codeId: string, kbId: string, linkType: LinkType, options?: LinkOptions): Promise<void>;
  /** As `linkCodeToKB`, returning the link. */
  link(codeId: string, kbId: string, linkType: LinkType, options?: LinkOptions): Promise<CodeLink>;
  unlink(linkId: string): Promise<boolean>;
  links(query?: LinkQuery): Promise<CodeLink[]>;
  /** KB entries that share error codes, program or data set names with a file (or every file), best first. */
  suggestLinks(codeFileId?: string, options?: { limit?: number }): Promise<LinkSuggestion[]>;
  /** A stored copybook, parsed again from its kept source (for decoding records with it). */
  copybook(nameOrId: string): Promise<Copybook>;
  /**
   * Analyses a source without storing it (what other plugins call to check code they generate): its language
   * (detected unless given), the analyser's structure and its issues. COPY members resolve from nothing.
   */
  analyze(
    path: string,
    content: string,
    language?: CodeLanguage,
  ): Promise<{ language: CodeLanguage; structure: CodeStructure; issues: CodeIssue[] }>;
}

export function createCodeApi(ctx: CodeContext): CodeApi {
  const db = ctx.db;

  async function fileRow(
    idOrPath: string,
    repository?: string,
  ): Promise<CodeFileRow & { repository: string }> {
    let query = db
      .selectFrom('code_files')
      .innerJoin('code_repositories', 'code_repositories.id', 'code_files.repository_id')
      .selectAll('code_files')
      .select('code_repositories.name as repository')
      .where((eb) => eb.or([eb('code_files.id', '=', idOrPath), eb('code_files.file_path', '=', idOrPath)]));
    if (repository !== undefined) query = query.where('code_repositories.name', '=', repository);
    const rows = await query.limit(2).execute();
    if (rows.length === 0) throw new NotFoundError('code file', idOrPath);
    if (rows.length > 1 && rows[0]!.id !== idOrPath) {
      const message = `several repositories hold ${idOrPath}; name one`;
      throw new ValidationError(message, [{ path: 'repository', message }]);
    }
    return rows[0]!;
  }

  async function repositoryRow(
    tdb: Kysely<CodeDatabase>,
    name: string,
  ): Promise<CodeRepositoryRow | undefined> {
    return tdb.selectFrom('code_repositories').selectAll().where('name', '=', name).executeTakeFirst();
  }

  /** The file's text as stored in its repository now; refused when it changed since it was analysed. */
  async function currentText(file: CodeFileRow): Promise<string> {
    const repo = await db
      .selectFrom('code_repositories')
      .selectAll()
      .where('id', '=', file.repository_id)
      .executeTakeFirstOrThrow();
    let bytes: Buffer;
    try {
      if (repo.type === 'git' && repo.last_commit) {
        const tree = await GitTree.open(repo.path, repo.last_commit);
        try {
          bytes = await tree.read(file.file_path);
        } finally {
          await tree.close();
        }
      } else {
        bytes = await fs.readFile(join(repo.path, ...file.file_path.split('/')));
      }
    } catch (error) {
      const message = `cannot read ${file.file_path} from ${repo.path}: ${(error as Error).message}; link the whole file or scan again`;
      throw new ValidationError(message, [{ path: 'codeId', message }]);
    }
    if (createHash('sha256').update(bytes).digest('hex') !== file.hash) {
      const message = `${file.file_path} changed since it was analysed; scan ${repo.name} again before linking lines of it`;
      throw new ValidationError(message, [{ path: 'codeId', message }]);
    }
    return bytes.toString('utf8');
  }

  async function requireKbEntry(tdb: Kysely<CodeDatabase>, id: string): Promise<void> {
    const row = await tdb.selectFrom('kb_entries').select('id').where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('KB entry', id);
  }

  async function linkRows(where: (q: any) => any, limit: number): Promise<CodeLink[]> {
    const rows = await where(
      db
        .selectFrom('code_references')
        .leftJoin('code_files', 'code_files.id', 'code_references.code_file_id')
        .leftJoin('code_repositories', 'code_repositories.id', 'code_files.repository_id')
        .selectAll('code_references')
        .select('code_repositories.name as repository'),
    )
      .orderBy('code_references.created_at')
      .orderBy('code_references.id')
      .limit(limit)
      .execute();
    return (rows as (CodeReferenceRow & { repository: string | null })[]).map(toLink);
  }

  const api: CodeApi = {
    async scan(options) {
      const valid = parse(scanOptionsSchema, options, 'scan options') as ScanOptions;
      ctx.authorize('code.scan');
      return scanTree(
        { db, write: (operation, fn) => ctx.write(operation, fn), actorId: ctx.actor.id },
        { ...valid, ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
      );
    },

    async storeCodeAnalysis(input) {
      const valid = parse(analysisInputSchema, input, 'code analysis');
      ctx.authorize('code.write');
      const language = valid.language ?? detectLanguage(valid.path, valid.content);
      const analyzed = analyzeSource(valid.path, valid.content, language);
      const repositoryName = valid.repository ?? IMPORTED_REPOSITORY;
      return ctx.write('code.write', async (scope) => {
        let repo = await repositoryRow(scope.trx, repositoryName);
        if (!repo) {
          repo = {
            id: repositoryIdOf(repositoryName),
            name: repositoryName,
            path: `(${repositoryName})`,
            type: 'local',
            last_commit: null,
            last_scan: null,
            created_at: scope.now,
            metadata: '{}',
          };
          await scope.trx.insertInto('code_repositories').values(repo).execute();
        }
        const existing = await scope.trx
          .selectFrom('code_files')
          .select('id')
          .where('repository_id', '=', repo.id)
          .where('file_path', '=', valid.path)
          .executeTakeFirst();
        const bytes = Buffer.from(valid.content, 'utf8');
        const outcome = await writeAnalyzedFiles(scope, repo.id, [
          {
            path: valid.path,
            size: bytes.length,
            hash: createHash('sha256').update(bytes).digest('hex'),
            existingId: existing?.id,
            analyzed,
            lines: splitLines(valid.content),
            ...(valid.metadata ? { metadata: valid.metadata } : {}),
          },
        ]);
        const id = outcome.ids[0]!;
        if (valid.analysis) {
          await scope.trx
            .insertInto('code_analysis_results')
            .values({
              id: randomUUID(),
              code_file_id: id,
              analysis_type: valid.analysis.type,
              analyzer: valid.analysis.analyzer,
              summary: valid.analysis.summary ?? null,
              result: JSON.stringify(valid.analysis.result),
              created_at: scope.now,
              created_by: scope.actor.id,
            })
            .execute();
        }
        scope.audit({
          action: existing ? 'update' : 'create',
          entity: 'code_file',
          entityId: id,
          detail: { path: valid.path, repository: repositoryName, language: analyzed.language },
        });
        scope.event('code:stored', { id, path: valid.path, repository: repositoryName });
        return id;
      });
    },

    async getCodeAnalysis(criteria = {}) {
      const c = parse(criteriaSchema, criteria, 'criteria');
      return ctx.read('code.read', async () => {
        let query = db
          .selectFrom('code_files')
          .innerJoin('code_repositories', 'code_repositories.id', 'code_files.repository_id')
          .selectAll('code_files')
          .select('code_repositories.name as repository');
        if (c.id !== undefined) query = query.where('code_files.id', '=', c.id);
        if (c.path !== undefined) query = query.where('code_files.file_path', '=', c.path);
        if (c.repository !== undefined) query = query.where('code_repositories.name', '=', c.repository);
        if (c.language !== undefined) query = query.where('code_files.language', '=', c.language);
        if (c.name !== undefined) query = query.where('code_files.name', '=', c.name.toUpperCase());
        if (c.withErrors) query = query.where('code_files.issues', 'like', '%"severity":"error"%');
        const rows = await query
          .orderBy('code_repositories.name')
          .orderBy('code_files.file_path')
          .limit(c.limit)
          .offset(c.offset)
          .execute();
        return rows.map(toAnalysis);
      });
    },

    async getFile(idOrPath, repository) {
      return ctx.read('code.read', async () => toAnalysis(await fileRow(idOrPath, repository)));
    },

    async repositories() {
      return ctx.read('code.read', async () => {
        const rows = await db
          .selectFrom('code_repositories')
          .leftJoin('code_files', 'code_files.repository_id', 'code_repositories.id')
          .selectAll('code_repositories')
          .select((eb) => eb.fn.count<number>('code_files.id').as('files'))
          .groupBy([
            'code_repositories.id',
            'code_repositories.name',
            'code_repositories.path',
            'code_repositories.type',
            'code_repositories.last_commit',
            'code_repositories.last_scan',
            'code_repositories.created_at',
            'code_repositories.metadata',
          ])
          .orderBy('code_repositories.name')
          .execute();
        return rows.map((r) => ({
          id: r.id,
          name: r.name,
          path: r.path,
          type: r.type,
          lastCommit: r.last_commit,
          lastScan: r.last_scan,
          createdAt: r.created_at,
          fileCount: Number(r.files),
        }));
      });
    },

    async removeRepository(name) {
      return ctx.write('code.remove', async (scope) => {
        const repo = await repositoryRow(scope.trx, name);
        if (!repo) return false;
        await scope.trx
          .updateTable('code_references')
          .set({ status: 'stale', updated_at: scope.now, note: `repository ${name} was removed` })
          .where('code_file_id', 'in', (eb) =>
            eb.selectFrom('code_files').select('id').where('repository_id', '=', repo.id),
          )
          .execute();
        await scope.trx.deleteFrom('code_repositories').where('id', '=', repo.id).execute();
        scope.audit({ action: 'delete', entity: 'code_repository', entityId: repo.id, detail: { name } });
        return true;
      });
    },

    async searchCode(query, options = {}) {
      const o = parse(searchOptionsSchema, options, 'search options');
      const terms = [
        ...new Set(
          query
            .trim()
            .toUpperCase()
            .split(/[\s,]+/)
            .filter((t) => t !== ''),
        ),
      ].slice(0, 16);
      if (terms.length === 0)
        throw new ValidationError('the query is empty', [{ path: 'query', message: 'empty' }]);
      return ctx.read('code.read', () => searchSymbols(db, terms, o.kinds, o.limit));
    },

    async linkCodeToKB(codeId, kbId, linkType, options) {
      await api.link(codeId, kbId, linkType, options);
    },

    async link(codeId, kbId, linkType, options = {}) {
      const type = parse(linkTypeSchema, linkType, 'linkType');
      const o = parse(linkOptionsSchema, options, 'link options');
      ctx.authorize('code.link');
      const file = await fileRow(codeId);
      const whole = o.lineStart === undefined && o.lineEnd === undefined;
      const start = o.lineStart ?? 1;
      const end = o.lineEnd ?? (whole ? Math.max(file.lines_count, 1) : start);
      if (end < start || end > Math.max(file.lines_count, 1)) {
        const message = `lines ${start}-${end} are not inside ${file.file_path} (1-${file.lines_count})`;
        throw new ValidationError(message, [{ path: 'lineEnd', message }]);
      }
      // The snippet is what re-anchors the link when the file changes; a link to the whole file needs none.
      const snippet = whole ? '' : snippetOf(splitLines(await currentText(file)), start, end);
      const id = await ctx.write('code.link', async (scope) => {
        await requireKbEntry(scope.trx, kbId);
        const row: CodeReferenceRow = {
          id: randomUUID(),
          kb_entry_id: kbId,
          code_file_id: file.id,
          file_path: file.file_path,
          line_start: start,
          line_end: end,
          code_snippet: snippet,
          link_type: type,
          confidence: o.confidence ?? null,
          status: 'active',
          note: o.note ?? null,
          created_at: scope.now,
          updated_at: scope.now,
          created_by: scope.actor.id,
        };
        await scope.trx.insertInto('code_references').values(row).execute();
        scope.audit({
          action: 'link',
          entity: 'code_reference',
          entityId: row.id,
          detail: { kbId, codeId: file.id, start, end, type },
        });
        scope.event('code:linked', { id: row.id, kbEntryId: kbId, codeFileId: file.id, linkType: type });
        return row.id;
      });
      const [created] = await linkRows((q) => q.where('code_references.id', '=', id), 1);
      return created!;
    },

    async unlink(linkId) {
      return ctx.write('code.link', async (scope) => {
        const row = await scope.trx
          .selectFrom('code_references')
          .select(['id', 'kb_entry_id'])
          .where('id', '=', linkId)
          .executeTakeFirst();
        if (!row) return false;
        await scope.trx.deleteFrom('code_references').where('id', '=', linkId).execute();
        scope.audit({
          action: 'unlink',
          entity: 'code_reference',
          entityId: linkId,
          detail: { kbId: row.kb_entry_id },
        });
        scope.event('code:unlinked', { id: linkId, kbEntryId: row.kb_entry_id });
        return true;
      });
    },

    async links(query = {}) {
      const q = parse(linkQuerySchema, query, 'link query');
      return ctx.read('code.read', () =>
        linkRows((b) => {
          let out = b;
          if (q.kbEntryId !== undefined) out = out.where('code_references.kb_entry_id', '=', q.kbEntryId);
          if (q.codeFileId !== undefined) out = out.where('code_references.code_file_id', '=', q.codeFileId);
          if (q.status !== undefined) out = out.where('code_references.status', '=', q.status);
          return out;
        }, q.limit),
      );
    },

    async suggestLinks(codeFileId, options = {}) {
      const limit = options.limit ?? 20;
      ctx.authorize('code.read');
      const files = codeFileId
        ? [await fileRow(codeFileId)]
        : await db
            .selectFrom('code_files')
            .innerJoin('code_repositories', 'code_repositories.id', 'code_files.repository_id')
            .selectAll('code_files')
            .select('code_repositories.name as repository')
            .execute();
      return suggestLinksFor(ctx.storage(), files, limit);
    },

    async analyze(path, content, language) {
      const valid = parse(
        analysisInputSchema.pick({ path: true, content: true, language: true }),
        { path, content, ...(language === undefined ? {} : { language }) },
        'source',
      );
      return ctx.read('code.read', async () => {
        const lang = valid.language ?? detectLanguage(valid.path, valid.content);
        const analyzed = analyzeSource(valid.path, valid.content, lang);
        return { language: analyzed.language, structure: analyzed.structure, issues: analyzed.issues };
      });
    },

    async copybook(nameOrId) {
      return ctx.read('code.read', async () => {
        const row = await db
          .selectFrom('code_files')
          .select(['id', 'file_path', 'structure'])
          .where('language', '=', 'copybook')
          .where((eb) =>
            eb.or([
              eb('id', '=', nameOrId),
              eb('name', '=', nameOrId.toUpperCase()),
              eb('file_path', '=', nameOrId),
            ]),
          )
          .orderBy('file_path')
          .executeTakeFirst();
        if (!row) throw new NotFoundError('copybook', nameOrId);
        const structure = JSON.parse(row.structure) as CodeStructure;
        if (structure.language !== 'copybook' || (structure as CopybookStructure).source === undefined) {
          const message = `${row.file_path} was stored without its text (a copybook over 256 KiB, or one that failed to parse); decode with the file itself`;
          throw new ValidationError(message, [{ path: 'copybook', message }]);
        }
        return parseCopybook((structure as CopybookStructure).source!, { file: row.file_path });
      });
    },
  };
  return api;
}

const KIND_RANK: Readonly<Record<string, number>> = {
  program: 0,
  copybook: 0,
  job: 0,
  proc: 0,
  paragraph: 1,
  section: 1,
  step: 1,
  field: 2,
  condition: 2,
  data: 2,
  dataset: 2,
  file: 2,
};

async function searchSymbols(
  db: Kysely<CodeDatabase>,
  terms: readonly string[],
  kinds: readonly string[] | undefined,
  limit: number,
): Promise<CodeSearchHit[]> {
  const base = () => {
    let q = db
      .selectFrom('code_symbols')
      .innerJoin('code_files', 'code_files.id', 'code_symbols.code_file_id')
      .innerJoin('code_repositories', 'code_repositories.id', 'code_files.repository_id')
      .select([
        'code_symbols.code_file_id as codeFileId',
        'code_repositories.name as repository',
        'code_files.file_path as path',
        'code_files.language as language',
        'code_symbols.kind as kind',
        'code_symbols.name as name',
        'code_symbols.line as line',
        'code_symbols.detail as detail',
      ]);
    if (kinds && kinds.length > 0) q = q.where('code_symbols.kind', 'in', [...kinds]);
    return q;
  };
  let rows = await base()
    .where('code_symbols.name', 'in', [...terms])
    .limit(limit * 4)
    .execute();
  if (rows.length === 0) {
    // `!` escapes LIKE's wildcards: a backslash would need escaping again in MySQL's string literals.
    const escapeLike = (t: string) => t.replace(/[!%_]/g, (c) => `!${c}`);
    rows = await base()
      .where((eb) =>
        eb.or(
          terms.map((t) => eb('code_symbols.name', 'like', sql<string>`${`${escapeLike(t)}%`} escape '!'`)),
        ),
      )
      .limit(limit * 4)
      .execute();
  }
  const rank = (k: string) => KIND_RANK[k] ?? 3;
  rows.sort(
    (a, b) =>
      rank(a.kind) - rank(b.kind) ||
      a.name.localeCompare(b.name) ||
      a.path.localeCompare(b.path) ||
      a.line - b.line,
  );
  return rows.slice(0, limit);
}

function toAnalysis(row: CodeFileRow & { repository: string }): CodeAnalysis {
  return {
    id: row.id,
    repositoryId: row.repository_id,
    repository: row.repository,
    path: row.file_path,
    language: row.language,
    name: row.name,
    sizeBytes: Number(row.size_bytes),
    lines: Number(row.lines_count),
    complexity: row.complexity_score === null ? null : Number(row.complexity_score),
    hash: row.hash,
    parsedAt: row.parsed_at,
    structure: JSON.parse(row.structure) as CodeStructure,
    issues: JSON.parse(row.issues) as CodeIssue[],
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
  };
}

function toLink(row: CodeReferenceRow & { repository: string | null }): CodeLink {
  return {
    id: row.id,
    kbEntryId: row.kb_entry_id,
    codeFileId: row.code_file_id,
    path: row.file_path,
    repository: row.repository,
    lineStart: Number(row.line_start),
    lineEnd: Number(row.line_end),
    snippet: row.code_snippet,
    linkType: row.link_type,
    confidence: row.confidence === null ? null : Number(row.confidence),
    status: row.status,
    note: row.note,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
