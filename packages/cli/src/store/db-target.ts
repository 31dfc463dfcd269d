import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../cli-error.js';

/** Where the store lives, as the `--db` flag or `$KB_DATABASE_URL` names it. */
export type DbTarget =
  | { type: 'sqlite'; path: string }
  | { type: 'postgresql'; url: string }
  | { type: 'mysql'; url: string };

const SCHEMES: Record<string, 'postgresql' | 'mysql'> = {
  postgres: 'postgresql',
  postgresql: 'postgresql',
  mysql: 'mysql',
  mariadb: 'mysql',
};

/** SQLite's name for a database that lives in memory and vanishes on close; never a file path. */
export const MEMORY_PATH = ':memory:';

export function resolveSqlitePath(path: string, baseDir: string): string {
  return path === MEMORY_PATH || isAbsolute(path) ? path : resolve(baseDir, path);
}

/**
 * `./kb.db`, `sqlite:./kb.db`, `sqlite:///abs/kb.db`, `postgres://…`, `mysql://…`. Relative SQLite paths
 * resolve against `baseDir` (the working directory), so the store does not move with the process.
 */
export function parseDbTarget(spec: string, baseDir: string): DbTarget {
  const value = spec.trim();
  if (value === '') throw new UsageError('--db needs a path or a database URL');
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(value)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'sqlite') {
    const type = SCHEMES[scheme];
    if (!type) {
      throw new UsageError(
        `unknown database URL scheme '${scheme}://': use a file path, sqlite:<path>, postgres://… or mysql://…`,
      );
    }
    // mysql2 reads mysql:// URLs; mariadb:// names the same protocol.
    return { type, url: scheme === 'mariadb' ? value.replace(/^mariadb:/i, 'mysql:') : value };
  }
  if (/^sqlite:/i.test(value)) {
    // sqlite:kb.db, sqlite://kb.db and sqlite:///abs/kb.db all name a file; the slashes are URL dressing.
    const path = value.slice('sqlite:'.length).replace(/^\/\//, '');
    if (path === '') throw new UsageError('sqlite: needs a file path, e.g. sqlite:./kb.db');
    return { type: 'sqlite', path: resolveSqlitePath(path, baseDir) };
  }
  return { type: 'sqlite', path: resolveSqlitePath(value, baseDir) };
}

/** A URL with its password replaced, safe to print in messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([^:]+:\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

export function describeTarget(target: DbTarget): string {
  return target.type === 'sqlite' ? target.path : redactUrl(target.url);
}
