import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { ValidationError } from '@mainframe-kb/storage-core';

const run = promisify(execFile);

/** One file of a tree: its path inside the tree (`/`-separated) and its size in bytes. */
export interface TreeFile {
  path: string;
  size: number;
}

/** What changed since a previous scan, when the source can say (git: a diff between two commits). */
export interface TreeChanges {
  changed: TreeFile[];
  removed: string[];
}

/** A tree of sources to scan: a folder, or a commit of a git repository. */
export interface TreeSource {
  readonly kind: 'local' | 'git';
  /** The commit read (git only). */
  readonly commit: string | null;
  /** Every file of the tree. */
  list(): Promise<TreeFile[]>;
  /** The files changed and removed since `commit`, or undefined when that cannot be told (a full scan). */
  changesSince(commit: string | null): Promise<TreeChanges | undefined>;
  read(path: string): Promise<Buffer>;
  close(): Promise<void>;
}

/** Folders never scanned: version control, dependencies, build output of other tools. */
const SKIPPED_FOLDERS = new Set(['.git', '.hg', '.svn', 'node_modules', '.idea', '.vscode']);

/** A folder on disk. Links are not followed (a link could lead out of the tree). */
export class FolderTree implements TreeSource {
  readonly kind = 'local';
  readonly commit = null;

  constructor(readonly root: string) {}

  /** Walked synchronously, as files are read: 50,000 stats through the promise API take seconds. */
  async list(): Promise<TreeFile[]> {
    const files: TreeFile[] = [];
    const walk = (dir: string): void => {
      const entries = readdirSync(dir, { withFileTypes: true });
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) {
          if (!SKIPPED_FOLDERS.has(entry.name)) walk(full);
        } else if (entry.isFile()) {
          files.push({ path: relative(this.root, full).split(sep).join('/'), size: statSync(full).size });
        }
      }
    };
    walk(this.root);
    return files;
  }

  async changesSince(): Promise<undefined> {
    return undefined;
  }

  /**
   * Read synchronously: sources are small, and one blocking read costs a fraction of the promise API's open,
   * stat, read and close round trips through the thread pool (a third of a scan's reading time).
   */
  async read(path: string): Promise<Buffer> {
    return readFileSync(join(this.root, ...path.split('/')));
  }

  async close(): Promise<void> {}
}

/**
 * A commit of a git repository, read with git itself (`ls-tree`, `diff`, and one `cat-file --batch` process
 * for the contents), so a scan of a ref needs no checkout and reads exactly the committed bytes.
 */
export class GitTree implements TreeSource {
  readonly kind = 'git';
  #batch: ChildProcessWithoutNullStreams | undefined;
  #pending: { resolve(b: Buffer): void; reject(e: Error): void; path: string }[] = [];
  #buffer: Buffer = Buffer.alloc(0);

  private constructor(
    readonly root: string,
    readonly commit: string,
  ) {}

  /** Opens `ref` (default HEAD) of the repository at `root`; refuses a folder that is not one. */
  static async open(root: string, ref = 'HEAD'): Promise<GitTree> {
    if (ref.startsWith('-'))
      throw new ValidationError(`not a git ref: ${ref}`, [{ path: 'ref', message: 'not a ref' }]);
    try {
      const { stdout } = await run('git', [
        '-C',
        root,
        'rev-parse',
        '--verify',
        '--end-of-options',
        `${ref}^{commit}`,
      ]);
      return new GitTree(root, stdout.trim());
    } catch (error) {
      const message = `${root} has no commit '${ref}': ${String((error as { stderr?: string }).stderr ?? error).trim()}`;
      throw new ValidationError(message, [{ path: 'ref', message }]);
    }
  }

  /** Whether `root` is the top of a git work tree (or a bare repository). */
  static async isRepository(root: string): Promise<boolean> {
    try {
      const { stdout } = await run('git', ['-C', root, 'rev-parse', '--show-prefix']);
      return stdout.trim() === '';
    } catch {
      return false;
    }
  }

  async list(): Promise<TreeFile[]> {
    const { stdout } = await run('git', ['-C', this.root, 'ls-tree', '-r', '-z', '--long', this.commit], {
      maxBuffer: 1 << 30,
    });
    const files: TreeFile[] = [];
    for (const record of stdout.split('\0')) {
      // <mode> SP <type> SP <object> SP+ <size> TAB <path>
      const match = /^(\d+) (\w+) [0-9a-f]+ +(\d+|-)\t(.*)$/s.exec(record);
      if (match?.[2] !== 'blob' || match[1] === '120000') continue;
      files.push({ path: match[4]!, size: Number(match[3]) });
    }
    return files;
  }

  async changesSince(commit: string | null): Promise<TreeChanges | undefined> {
    if (commit === null || commit === this.commit)
      return commit === this.commit ? { changed: [], removed: [] } : undefined;
    try {
      await run('git', ['-C', this.root, 'cat-file', '-e', `${commit}^{commit}`]);
    } catch {
      return undefined; // the previous commit is gone (a rewritten history): scan everything
    }
    const { stdout } = await run(
      'git',
      ['-C', this.root, 'diff', '--name-status', '-z', '--no-renames', commit, this.commit],
      {
        maxBuffer: 1 << 30,
      },
    );
    const parts = stdout.split('\0');
    const changedPaths: string[] = [];
    const removed: string[] = [];
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const status = parts[i]!;
      const path = parts[i + 1]!;
      if (status === 'D') removed.push(path);
      else changedPaths.push(path);
    }
    const sizes = new Map((await this.list()).map((f) => [f.path, f.size]));
    const changed = changedPaths.filter((p) => sizes.has(p)).map((p) => ({ path: p, size: sizes.get(p)! }));
    return { changed, removed };
  }

  read(path: string): Promise<Buffer> {
    const batch = this.#ensureBatch();
    return new Promise((resolve, reject) => {
      this.#pending.push({ resolve, reject, path });
      batch.stdin.write(`${this.commit}:${path}\n`);
    });
  }

  #ensureBatch(): ChildProcessWithoutNullStreams {
    if (this.#batch) return this.#batch;
    const batch = spawn('git', ['-C', this.root, 'cat-file', '--batch'], { stdio: 'pipe' });
    batch.stdout.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#drain();
    });
    const fail = (error: Error) => {
      for (const p of this.#pending.splice(0)) p.reject(error);
    };
    batch.on('error', fail);
    batch.on('exit', () => fail(new Error('git cat-file ended')));
    this.#batch = batch;
    return batch;
  }

  /** Answers are `<oid> <type> <size>\n<content>\n`, or `<name> missing\n`, in request order. */
  #drain(): void {
    for (;;) {
      const head = this.#pending[0];
      if (!head) return;
      const newline = this.#buffer.indexOf(10);
      if (newline < 0) return;
      const header = this.#buffer.subarray(0, newline).toString();
      const match = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
      if (!match) {
        this.#buffer = this.#buffer.subarray(newline + 1);
        this.#pending.shift();
        head.reject(new Error(`git cannot read ${head.path}: ${header}`));
        continue;
      }
      const size = Number(match[2]);
      if (this.#buffer.length < newline + 1 + size + 1) return;
      const content = Buffer.from(this.#buffer.subarray(newline + 1, newline + 1 + size));
      this.#buffer = this.#buffer.subarray(newline + 1 + size + 1);
      this.#pending.shift();
      head.resolve(content);
    }
  }

  async close(): Promise<void> {
    const batch = this.#batch;
    this.#batch = undefined;
    if (!batch) return;
    batch.stdin.end();
    await new Promise<void>((resolve) =>
      batch.exitCode === null ? batch.on('exit', () => resolve()) : resolve(),
    );
  }
}
