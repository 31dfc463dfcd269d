import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { StorageConfig } from '../config/storage-config.js';
import { StorageErrorCode } from '../errors/error-codes.js';
import { StorageError } from '../errors/storage-error.js';
import { processAlive } from '../util/process-alive.js';
import { auditKeyId } from './audit-hash.js';
import { rememberAuditKeys } from './process-audit-keys.js';

export interface AuditKey {
  readonly id: string;
  readonly secret: Buffer;
}

/** Where a store's audit keys come from, in the order they are looked for (docs/audit.md). */
export type AuditKeySource =
  | { readonly kind: 'file'; readonly path: string; readonly create: boolean }
  | { readonly kind: 'env'; readonly variable: string }
  | { readonly kind: 'memory' }
  | { readonly kind: 'none' };

const MIN_KEY_BYTES = 32;

const HEADER =
  '# mainframe-kb audit keyring: one base64 key per line; the last signs new audit rows, the others verify\n' +
  '# the rows they signed. Keep it owner-only and out of the database and its backups; keep a copy safe.\n';

/**
 * Picks the key source: `audit.keyFile`, else the variable `audit.keyEnv` names when set, else a file beside
 * a SQLite database, else an in-process key for an in-memory one, else none (a server without a key).
 */
export function auditKeySource(
  config: StorageConfig,
  databaseFile: string | undefined,
  writable: boolean,
  env: Readonly<Record<string, string | undefined>> = process.env,
): AuditKeySource {
  if (config.audit.keyFile) return { kind: 'file', path: config.audit.keyFile, create: writable };
  const fromEnv = env[config.audit.keyEnv];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return { kind: 'env', variable: config.audit.keyEnv };
  if (databaseFile === ':memory:') return { kind: 'memory' };
  if (databaseFile !== undefined)
    return { kind: 'file', path: `${databaseFile}.audit-key`, create: writable };
  return { kind: 'none' };
}

function parseKeys(text: string, where: string): AuditKey[] {
  const keys: AuditKey[] = [];
  const entries = text
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .flatMap((line) => line.split(','));
  for (const [index, raw] of entries.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const secret = Buffer.from(line, 'base64');
    if (
      secret.length < MIN_KEY_BYTES ||
      secret.toString('base64').replace(/=+$/, '') !== line.replace(/=+$/, '')
    ) {
      throw new StorageError(
        StorageErrorCode.CONFIG_INVALID,
        `${where}: entry ${index + 1} is not a base64 key of ${MIN_KEY_BYTES} bytes or more (make one with: openssl rand -base64 32)`,
        { details: { where, entry: index + 1 } },
      );
    }
    keys.push({ id: auditKeyId(secret), secret });
  }
  return keys;
}

function newKey(): AuditKey {
  const secret = randomBytes(MIN_KEY_BYTES);
  return { id: auditKeyId(secret), secret };
}

/**
 * Removes the scratch files (`writeScratch`) beside `path` whose process is gone: a process killed between
 * writing one and renaming it into place leaves it behind, and nothing else would ever remove it.
 */
function sweepDeadScratch(path: string): void {
  const escaped = basename(path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^${escaped}\\.(\\d+)\\.[0-9a-f]{8}\\.tmp$`);
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return;
  }
  for (const name of names) {
    const owner = pattern.exec(name)?.[1];
    if (owner === undefined || Number(owner) === process.pid || processAlive(Number(owner))) continue;
    rmSync(join(dirname(path), name), { force: true });
  }
}

/** Writes a keyring to a new owner-only file beside `path`, flushed, and returns its name. */
function writeScratch(path: string, keys: readonly AuditKey[]): string {
  sweepDeadScratch(path);
  const scratch = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fd = openSync(scratch, 'wx', 0o600);
    try {
      writeSync(fd, HEADER + keys.map((k) => `${k.secret.toString('base64')}\n`).join(''));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    rmSync(scratch, { force: true });
    throw keyFileError(path, error);
  }
  return scratch;
}

/**
 * A store's audit keys. The newest signs new rows; every key verifies the rows it signed. A key file is read
 * when first needed and again when a row names a key it lacks (another process rotated); the default file
 * is created, owner-only, only when the store first writes a keyed row, so a store that is only read or
 * loaded (a restore's scratch target) leaves no key behind.
 */
export class AuditKeyring {
  readonly source: AuditKeySource;
  readonly #env: Readonly<Record<string, string | undefined>>;
  #keys: AuditKey[] | undefined;
  /** Keys adopted for this store object only (a fresh load target's keyring file is not created for them). */
  #held: AuditKey[] = [];

  constructor(source: AuditKeySource, env: Readonly<Record<string, string | undefined>> = process.env) {
    this.source = source;
    this.#env = env;
    if (source.kind === 'memory') this.#set([newKey()]);
    else {
      try {
        // Known to the process from the start, so a restore this process runs into another store verifies.
        this.#all();
      } catch {
        // A keyring that cannot be read fails the first operation that needs it, naming the problem.
      }
    }
  }

  #set(keys: AuditKey[]): AuditKey[] {
    this.#keys = keys;
    rememberAuditKeys(keys);
    return keys;
  }

  /** Where the keys are, for messages: `the key file /srv/kb.db.audit-key`, `$KB_AUDIT_KEY` … */
  get description(): string {
    const source = this.source;
    if (source.kind === 'file') return `the key file ${source.path}`;
    if (source.kind === 'env') return `$${source.variable}`;
    if (source.kind === 'memory') return 'an in-process key (in-memory store)';
    return 'no key (set audit.keyFile or KB_AUDIT_KEY)';
  }

  #load(): AuditKey[] {
    const source = this.source;
    if (source.kind === 'env') return parseKeys(this.#env[source.variable] ?? '', `$${source.variable}`);
    if (source.kind !== 'file') return this.#keys ?? [];
    if (source.create) sweepDeadScratch(source.path);
    let text: string;
    try {
      text = readFileSync(source.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new StorageError(
        StorageErrorCode.CONFIG_INVALID,
        `cannot read the audit key file ${source.path}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    return parseKeys(text, source.path);
  }

  #all(): AuditKey[] {
    return this.#keys ?? this.#set(this.#load());
  }

  /** The key with this id, reading the file again once when it is not known yet. */
  key(id: string): Buffer | undefined {
    const known = this.#all().find((k) => k.id === id) ?? this.#held.find((k) => k.id === id);
    if (known || this.source.kind === 'memory') return known?.secret;
    return this.#set(this.#load()).find((k) => k.id === id)?.secret;
  }

  /** Every key, oldest first (a copy hands them to its target). */
  keys(): readonly AuditKey[] {
    return [...this.#held, ...this.#all()];
  }

  /** The key that signs new rows, if the keyring has one already (never creates the key file). */
  existing(): AuditKey | undefined {
    return this.#all().at(-1);
  }

  /** The key that signs new rows, creating the key file first where that is allowed; undefined when none. */
  current(): AuditKey | undefined {
    const keys = this.#all();
    if (keys.length > 0) return keys[keys.length - 1];
    const source = this.source;
    if (source.kind !== 'file' || !source.create) return undefined;
    const published = this.#set(this.#publish(source.path, [newKey()]));
    return published[published.length - 1];
  }

  /**
   * Adds keys that verify older rows (a copy's or a restore's source keys), keeping the current key last.
   * `file: 'create'` writes them to the keyring file, creating it (a copy's named target); `'existing'`
   * only to a file that exists (a restore's scratch target must not leave a key file behind its rename)
   * and otherwise holds them for this store object. Returns the ids kept in memory only.
   */
  adopt(keys: readonly AuditKey[], file: 'create' | 'existing'): string[] {
    const have = new Set(this.keys().map((k) => k.id));
    const fresh = keys.filter((k) => !have.has(k.id));
    if (fresh.length === 0) return [];
    rememberAuditKeys(fresh);
    const source = this.source;
    if (source.kind === 'memory') {
      this.#set([...fresh, ...this.#all()]);
      return [];
    }
    const own = this.#all();
    const storable = source.kind === 'file' && source.create && (file === 'create' || own.length > 0);
    if (!storable) {
      this.#held.push(...fresh);
      return fresh.map((k) => k.id);
    }
    // A keyring that has no key of its own yet gets one: the adopted keys only verify, they never sign.
    this.#set(this.#replace(source.path, [...fresh, ...(own.length > 0 ? own : [newKey()])]));
    return [];
  }

  /** Appends a new current key; the old ones stay to verify their rows. */
  rotate(): AuditKey {
    const source = this.source;
    if (source.kind !== 'file' && source.kind !== 'memory') {
      throw new StorageError(
        StorageErrorCode.UNSUPPORTED,
        source.kind === 'env'
          ? `the audit keys come from $${source.variable}: rotate by appending a new key to it (comma-separated, the last one signs) and restarting`
          : 'this store has no audit key to rotate: set audit.keyFile or KB_AUDIT_KEY',
      );
    }
    const next = newKey();
    if (source.kind === 'memory') this.#set([...this.#all(), next]);
    else if (!source.create) {
      throw new StorageError(
        StorageErrorCode.UNSUPPORTED,
        'the store is read-only: its keyring is not changed',
      );
    } else this.#set(this.#replace(source.path, [...this.#all(), next]));
    return next;
  }

  /** Creates the key file unless another process just did; returns what the file then holds. */
  #publish(path: string, keys: readonly AuditKey[]): AuditKey[] {
    const scratch = writeScratch(path, keys);
    try {
      linkSync(scratch, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw keyFileError(path, error);
    } finally {
      rmSync(scratch, { force: true });
    }
    return parseKeys(readFileSync(path, 'utf8'), path);
  }

  /** Rewrites the key file with `keys` (atomically: a reader sees the old or the new file). */
  #replace(path: string, keys: readonly AuditKey[]): AuditKey[] {
    const scratch = writeScratch(path, keys);
    try {
      renameSync(scratch, path);
    } catch (error) {
      rmSync(scratch, { force: true });
      throw keyFileError(path, error);
    }
    return [...keys];
  }
}

function keyFileError(path: string, error: unknown): StorageError {
  return new StorageError(
    StorageErrorCode.CONFIG_INVALID,
    `cannot write the audit key file ${path}: ${(error as Error).message}`,
    { cause: error, details: { path } },
  );
}
