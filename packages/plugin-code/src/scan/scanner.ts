import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { basename, resolve } from 'node:path';
import { NotFoundError, ValidationError, type WriteScope } from '@mainframe-kb/storage-core';
import type { Kysely } from 'kysely';
import { analyzeSource, type MemberResolver, memberName } from '../analysis/analyze-source.js';
import { detectLanguage, languageOfName, looksBinary } from '../analysis/detect-language.js';
import { splitLines } from '../links/anchor.js';
import type { CodeDatabase, CodeLanguage, CodeRepositoryRow } from '../schema/code-database.js';
import { type AnalyzedFile, writeAnalyzedFiles } from '../store/file-writer.js';
import { repositoryIdOf } from '../store/ids.js';
import type { ScanFileError, ScanOptions, ScanResult } from '../types.js';
import { FolderTree, GitTree, type TreeFile, type TreeSource } from './tree-source.js';

const DEFAULT_BATCH = 200;
const DEFAULT_MAX_FILE = 10 * 1024 * 1024;
/** Copybooks and PROCs read for resolution are cached, up to this many. */
const MEMBER_CACHE = 512;

export interface ScanDeps {
  db: Kysely<CodeDatabase>;
  write<T>(operation: string, fn: (scope: WriteScope<CodeDatabase>) => Promise<T>): Promise<T>;
  actorId: string;
}

interface Existing {
  id: string;
  hash: string;
  language: CodeLanguage;
}

export async function openTree(options: ScanOptions): Promise<TreeSource> {
  const root = resolve(options.path);
  const stat = await fs.stat(root).catch(() => undefined);
  if (!stat) throw new NotFoundError('folder', root);
  if (!stat.isDirectory()) {
    const message = `${root} is not a folder: scan the folder that holds it (or kb import it with --source)`;
    throw new ValidationError(message, [{ path: 'path', message }]);
  }
  const isGit = await GitTree.isRepository(root);
  const type = options.type ?? (isGit || options.ref !== undefined ? 'git' : 'local');
  if (type === 'git') {
    if (!isGit) {
      const message = `${root} is not the top folder of a git repository`;
      throw new ValidationError(message, [{ path: 'path', message }]);
    }
    return GitTree.open(root, options.ref);
  }
  if (options.ref !== undefined) {
    throw new ValidationError('--ref reads a git repository; it cannot be used with type local', [
      { path: 'ref', message: 'only for git' },
    ]);
  }
  return new FolderTree(root);
}

/** COPY members a COBOL source or copybook names, and PROCs a JCL member may EXEC (a superset: EXEC PGM is not a PROC). */
const COPY_NAMES = /\bCOPY\s+['"]?([A-Z0-9@#$][A-Z0-9@#$-]*)/gi;
const PROC_NAMES = /^\/\/[A-Z0-9@#$]*\s+EXEC\s+(?:PROC=)?([A-Z@#$][A-Z0-9@#$]*)\b/gim;
const COPY_DEPTH = 10;

/**
 * Finds the members a COPY or an EXEC names among the tree's files, by member name (a copybook extension
 * preferred for COPY, a PROC or JCL one for EXEC), reading each through a small cache: the analysers are
 * synchronous, so a file's members are read before it is analysed, and memory stays flat with tree size.
 */
class Members {
  readonly #byName = new Map<string, string[]>();
  readonly #cache = new Map<string, string | undefined>();

  constructor(
    private readonly tree: TreeSource,
    files: readonly TreeFile[],
  ) {
    for (const f of files) {
      const name = memberName(f.path);
      const list = this.#byName.get(name);
      if (list) list.push(f.path);
      else this.#byName.set(name, [f.path]);
    }
  }

  #pick(name: string, preferred: RegExp): string | undefined {
    const candidates = this.#byName.get(name.toUpperCase()) ?? [];
    return candidates.find((p) => preferred.test(p)) ?? candidates[0];
  }

  async #text(path: string | undefined): Promise<string | undefined> {
    if (path === undefined) return undefined;
    if (this.#cache.has(path)) {
      const text = this.#cache.get(path);
      this.#cache.delete(path); // most recently used last
      this.#cache.set(path, text);
      return text;
    }
    let text: string | undefined;
    try {
      const bytes = await this.tree.read(path);
      text = looksBinary(bytes) ? undefined : bytes.toString('utf8');
    } catch {
      text = undefined; // an unreadable member resolves as missing; the file itself reports the error
    }
    this.#cache.set(path, text);
    if (this.#cache.size > MEMBER_CACHE) this.#cache.delete(this.#cache.keys().next().value!);
    return text;
  }

  /** A resolver holding every member `text` names (COPY members nested up to 10 deep). */
  async resolverFor(text: string, language: CodeLanguage): Promise<MemberResolver> {
    const copybooks = new Map<string, string>();
    const procs = new Map<string, string>();
    if (language === 'jcl') {
      for (const match of text.matchAll(PROC_NAMES)) {
        const name = match[1]!.toUpperCase();
        if (procs.has(name)) continue;
        const body = await this.#text(this.#pick(name, /\.(prc|proc|jcl)$/i));
        if (body !== undefined) procs.set(name, body);
      }
    } else {
      let frontier = [text];
      for (let depth = 0; depth < COPY_DEPTH && frontier.length > 0; depth++) {
        const next: string[] = [];
        for (const source of frontier) {
          for (const match of source.matchAll(COPY_NAMES)) {
            const name = match[1]!.toUpperCase();
            if (copybooks.has(name)) continue;
            const body = await this.#text(this.#pick(name, /\.(cpy|copy|cbk)$/i));
            if (body === undefined) continue;
            copybooks.set(name, body);
            next.push(body);
          }
        }
        frontier = next;
      }
    }
    return {
      copybook: (name) => copybooks.get(name.toUpperCase()),
      proc: (name) => procs.get(name.toUpperCase()),
    };
  }
}

/**
 * Scans a tree into the store: new and changed files are analysed and written in batches (one transaction
 * each, with an audit row), unchanged ones skipped by hash (for git, by the diff since the last scanned
 * commit), removed ones deleted, their KB links marked stale. Programs that COPY a changed copybook, and jobs
 * that call a changed PROC, are analysed again. Memory holds the file list and one batch, not the tree.
 */
export async function scanTree(deps: ScanDeps, options: ScanOptions): Promise<ScanResult> {
  const started = performance.now();
  const tree = await openTree(options);
  try {
    return await new Scan(deps, options, tree).run(started);
  } finally {
    await tree.close();
  }
}

class Scan {
  readonly #deps: ScanDeps;
  readonly #options: ScanOptions;
  readonly #tree: TreeSource;
  readonly #errors: ScanFileError[] = [];
  readonly #counts = { seen: 0, added: 0, changed: 0, unchanged: 0, removed: 0, skipped: 0, failed: 0 };
  readonly #links = { reanchored: 0, stale: 0 };

  constructor(deps: ScanDeps, options: ScanOptions, tree: TreeSource) {
    this.#deps = deps;
    this.#options = options;
    this.#tree = tree;
  }

  async run(started: number): Promise<ScanResult> {
    const { db } = this.#deps;
    const root = resolve(this.#options.path);
    const name = this.#options.name ?? basename(root);
    const progress = this.#options.onProgress ?? (() => {});
    progress({ phase: 'listing', total: 0, done: 0 });

    const repository = await this.#repository(name, root);
    const existing = new Map<string, Existing>();
    for (const row of await db
      .selectFrom('code_files')
      .select(['id', 'file_path', 'hash', 'language'])
      .where('repository_id', '=', repository.id)
      .execute()) {
      existing.set(row.file_path, { id: row.id, hash: row.hash, language: row.language });
    }

    const all = await this.#tree.list();
    const diff = await this.#tree.changesSince(repository.last_commit);
    let work: TreeFile[];
    let removed: string[];
    if (diff) {
      work = diff.changed;
      removed = diff.removed.filter((p) => existing.has(p));
    } else {
      work = all;
      const present = new Set(all.map((f) => f.path));
      removed = [...existing.keys()].filter((p) => !present.has(p));
    }
    const dependents = await this.#dependentsOf(repository.id, work, all);
    const forced = new Set(dependents.map((f) => f.path));
    for (const f of dependents) if (!work.some((w) => w.path === f.path)) work.push(f);
    this.#counts.seen = work.length;

    const members = new Members(this.#tree, all);
    const batchSize = this.#options.batchSize ?? DEFAULT_BATCH;
    let batch: AnalyzedFile[] = [];
    let done = 0;
    for (const file of work) {
      const pending = await this.#analyse(file, existing.get(file.path), forced.has(file.path), members);
      done += 1;
      if (pending === 'removed') removed.push(file.path);
      else if (pending) batch.push(pending);
      if (batch.length >= batchSize) {
        await this.#writeBatch(repository, batch);
        batch = [];
      }
      if (done % 50 === 0 || done === work.length)
        progress({ phase: 'analysing', total: work.length, done, path: file.path });
    }
    if (batch.length > 0) await this.#writeBatch(repository, batch);

    progress({ phase: 'removing', total: removed.length, done: 0 });
    await this.#finish(repository, removed, existing);
    progress({ phase: 'done', total: work.length, done: work.length });
    return {
      repositoryId: repository.id,
      repository: repository.name,
      type: this.#tree.kind,
      commit: this.#tree.commit,
      ...this.#counts,
      errors: this.#errors,
      links: this.#links,
      durationMs: Math.round(performance.now() - started),
    };
  }

  async #repository(name: string, root: string): Promise<CodeRepositoryRow> {
    const found = await this.#deps.db
      .selectFrom('code_repositories')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    if (found) {
      if (found.path !== root || found.type !== this.#tree.kind) {
        const message = `a repository named '${name}' is already scanned from ${found.path} (${found.type}); choose another --name`;
        throw new ValidationError(message, [{ path: 'name', message }]);
      }
      return found;
    }
    return this.#deps.write('code.scan', async (scope) => {
      const row: CodeRepositoryRow = {
        id: repositoryIdOf(name),
        name,
        path: root,
        type: this.#tree.kind,
        last_commit: null,
        last_scan: null,
        created_at: scope.now,
        metadata: '{}',
      };
      await scope.trx.insertInto('code_repositories').values(row).execute();
      scope.audit({
        action: 'create',
        entity: 'code_repository',
        entityId: row.id,
        detail: { name, path: root },
      });
      return row;
    });
  }

  /** Files that COPY a changed copybook, or call a changed PROC, and are not changed themselves. */
  async #dependentsOf(
    repositoryId: string,
    work: readonly TreeFile[],
    all: readonly TreeFile[],
  ): Promise<TreeFile[]> {
    if (work.length === all.length) return []; // a full scan analyses everything it must anyway
    const members = [...new Set(work.map((f) => memberName(f.path)))];
    if (members.length === 0) return [];
    const paths = new Set<string>();
    for (let i = 0; i < members.length; i += 500) {
      const rows = await this.#deps.db
        .selectFrom('code_symbols')
        .innerJoin('code_files', 'code_files.id', 'code_symbols.code_file_id')
        .select('code_files.file_path')
        .where('code_files.repository_id', '=', repositoryId)
        .where('code_symbols.kind', 'in', ['copy', 'uses-proc'])
        .where('code_symbols.name', 'in', members.slice(i, i + 500))
        .execute();
      for (const r of rows) paths.add(r.file_path);
    }
    return all.filter((f) => paths.has(f.path));
  }

  async #analyse(
    file: TreeFile,
    existing: Existing | undefined,
    forced: boolean,
    members: Members,
  ): Promise<AnalyzedFile | 'removed' | undefined> {
    const skip = (code: string, message: string): 'removed' | undefined => {
      this.#counts.skipped += 1;
      this.#errors.push({ path: file.path, code, message, line: null });
      return existing ? 'removed' : undefined;
    };
    if (file.size > (this.#options.maxFileBytes ?? DEFAULT_MAX_FILE)) {
      return skip(
        'FILE_TOO_LARGE',
        `${file.size} bytes; the limit is ${this.#options.maxFileBytes ?? DEFAULT_MAX_FILE}`,
      );
    }
    let bytes: Buffer;
    try {
      bytes = await this.#tree.read(file.path);
    } catch (error) {
      return skip('UNREADABLE', String((error as Error).message ?? error));
    }
    const hash = createHash('sha256').update(bytes).digest('hex');
    if (existing && existing.hash === hash && !forced) {
      this.#counts.unchanged += 1;
      return undefined;
    }
    // Files that are not sources (binary, or text in no language the analysers read) are skipped quietly,
    // unless their name says they are one (a binary PAYR010.cbl is an error to report); one that was a
    // source before is removed with its symbols.
    const text = looksBinary(bytes) ? undefined : bytes.toString('utf8');
    if (text === undefined && languageOfName(file.path) !== 'unknown') {
      return skip(
        'BINARY_INPUT',
        'a binary file under a source name (an unconverted EBCDIC member, a load module?)',
      );
    }
    const language = text === undefined ? 'unknown' : detectLanguage(file.path, text);
    if (text === undefined || language === 'unknown') {
      this.#counts.skipped += 1;
      return existing ? 'removed' : undefined;
    }
    const analyzed = analyzeSource(file.path, text, language, await members.resolverFor(text, language));
    const fatal = analyzed.issues.find((i) => i.severity === 'error');
    if (fatal) {
      this.#counts.failed += 1;
      this.#errors.push({ path: file.path, code: fatal.code, message: fatal.message, line: fatal.line });
    }
    return {
      path: file.path,
      size: file.size,
      hash,
      existingId: existing?.id,
      analyzed,
      lines: splitLines(text),
    };
  }

  async #writeBatch(repository: CodeRepositoryRow, batch: readonly AnalyzedFile[]): Promise<void> {
    await this.#deps.write('code.scan', async (scope) => {
      const outcome = await writeAnalyzedFiles(scope, repository.id, batch);
      this.#counts.added += outcome.added;
      this.#counts.changed += outcome.changed;
      this.#links.reanchored += outcome.reanchored;
      this.#links.stale += outcome.stale;
      scope.audit({
        action: 'scan',
        entity: 'code_repository',
        entityId: repository.id,
        detail: {
          added: outcome.added,
          changed: outcome.changed,
          paths: batch.slice(0, 20).map((f) => f.path),
        },
      });
    });
  }

  async #finish(
    repository: CodeRepositoryRow,
    removed: readonly string[],
    existing: Map<string, Existing>,
  ): Promise<void> {
    const ids = [...new Set(removed)]
      .map((p) => existing.get(p)?.id)
      .filter((id): id is string => id !== undefined);
    await this.#deps.write('code.scan', async (scope) => {
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500);
        const stale = await scope.trx
          .updateTable('code_references')
          .set({ status: 'stale', updated_at: scope.now, note: 'the file was removed from the repository' })
          .where('code_file_id', 'in', chunk)
          .executeTakeFirst();
        this.#links.stale += Number(stale.numUpdatedRows);
        await scope.trx.deleteFrom('code_files').where('id', 'in', chunk).execute();
      }
      await scope.trx
        .updateTable('code_repositories')
        .set({ last_scan: scope.now, last_commit: this.#tree.commit })
        .where('id', '=', repository.id)
        .execute();
      this.#counts.removed = ids.length;
      scope.audit({
        action: 'scan-complete',
        entity: 'code_repository',
        entityId: repository.id,
        detail: { ...this.#counts, commit: this.#tree.commit },
      });
      scope.event('code:scanned', {
        repositoryId: repository.id,
        repository: repository.name,
        commit: this.#tree.commit,
        added: this.#counts.added,
        changed: this.#counts.changed,
        removed: ids.length,
      });
    });
  }
}
