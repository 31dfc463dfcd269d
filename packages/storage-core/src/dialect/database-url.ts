import { ConfigError } from '../errors/storage-error.js';

/** Where a store lives, as a connection URL or file path names it. */
export type DatabaseUrlTarget =
  | { type: 'postgresql' | 'mysql'; url: string }
  | { type: 'sqlite'; path: string };

const SERVER_SCHEMES: ReadonlyMap<string, 'postgresql' | 'mysql'> = new Map([
  ['postgres', 'postgresql'],
  ['postgresql', 'postgresql'],
  ['mysql', 'mysql'],
  ['mariadb', 'mysql'],
]);

const ACCEPTED_FORMS = 'a file path, sqlite:<path>, postgres://…, postgresql://…, mysql://… or mariadb://…';

/** Two letters at least: `C://kb.db` is a Windows drive, not a scheme. */
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]+):\/\//;

function invalid(message: string): ConfigError {
  return new ConfigError(message, [{ path: '', message }]);
}

/**
 * Reads `postgres://…`, `postgresql://…`, `mysql://…`, `mariadb://…`, `sqlite:<path>`, `sqlite://<path>`,
 * `sqlite:///abs/path` or a bare file path (`:memory:` included). A relative SQLite path comes back as
 * written: what it is relative to is the caller's decision. Throws a ConfigError for an unknown scheme.
 */
export function parseDatabaseUrl(url: string): DatabaseUrlTarget {
  const value = url.trim();
  if (value === '') throw invalid(`the database URL is empty: use ${ACCEPTED_FORMS}`);
  const scheme = SCHEME.exec(value)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== 'sqlite') {
    const type = SERVER_SCHEMES.get(scheme);
    if (type === undefined)
      throw invalid(`unknown database URL scheme '${scheme}://': use ${ACCEPTED_FORMS}`);
    // mysql2 reads only mysql:// URLs; mariadb:// names the same protocol.
    return { type, url: scheme === 'mariadb' ? `mysql${value.slice(scheme.length)}` : value };
  }
  if (/^sqlite:/i.test(value)) {
    // sqlite:kb.db, sqlite://kb.db and sqlite:///abs/kb.db all name a file; the slashes are URL dressing.
    const path = value.slice('sqlite:'.length).replace(/^\/\//, '');
    if (path === '') throw invalid('sqlite: needs a file path, e.g. sqlite:./kb.db');
    return { type: 'sqlite', path };
  }
  return { type: 'sqlite', path: value };
}

/**
 * A connection URL with its password replaced, for messages, logs and `location`. Works on the text rather
 * than through `URL`: a password holding `#` or `/` makes `URL` misread the authority (`u:12#34@h` parses
 * as host `u`, port 12) and would leave the password in the output. The match runs to the last `@` of the
 * text, so a password holding `@` is covered too: an `@` further on hides more than needed, never less.
 */
export function redactUrl(url: string): string {
  return url
    .replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^:/?#@]*):.*@/, '$1:***@')
    .replace(/([?&][^=&#]*password=)[^&#]*/gi, '$1***');
}
