import { isAbsolute, resolve } from 'node:path';
import { ConfigError, type DatabaseUrlTarget, parseDatabaseUrl, redactUrl } from '@mainframe-kb/storage-core';
import { UsageError } from '../cli-error.js';

export { redactUrl };

/** Where the store lives, as the `--db` flag or `$KB_DATABASE_URL` names it. */
export type DbTarget = DatabaseUrlTarget;

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
  if (spec.trim() === '') throw new UsageError('--db needs a path or a database URL');
  let target: DbTarget;
  try {
    target = parseDatabaseUrl(spec);
  } catch (error) {
    // A bad --db is a usage mistake: exit 2 with core's message, which names the accepted forms.
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  return target.type === 'sqlite'
    ? { type: 'sqlite', path: resolveSqlitePath(target.path, baseDir) }
    : target;
}

export function describeTarget(target: DbTarget): string {
  return target.type === 'sqlite' ? target.path : redactUrl(target.url);
}
