import { describe, expect, it } from 'vitest';
import { StorageErrorCode } from '../errors/error-codes.js';
import { ConfigError } from '../errors/storage-error.js';
import { parseDatabaseUrl, redactUrl } from './database-url.js';

describe('parseDatabaseUrl', () => {
  it('reads server URLs by scheme, in any case', () => {
    expect(parseDatabaseUrl('postgres://h/db')).toEqual({ type: 'postgresql', url: 'postgres://h/db' });
    expect(parseDatabaseUrl('postgresql://u:p@h:5432/db?schema=kb')).toEqual({
      type: 'postgresql',
      url: 'postgresql://u:p@h:5432/db?schema=kb',
    });
    expect(parseDatabaseUrl('mysql://h/db')).toEqual({ type: 'mysql', url: 'mysql://h/db' });
    expect(parseDatabaseUrl('POSTGRES://h/db')).toEqual({ type: 'postgresql', url: 'POSTGRES://h/db' });
  });

  it('rewrites mariadb:// to mysql://, the scheme mysql2 reads', () => {
    expect(parseDatabaseUrl('mariadb://u:p@h:3306/db')).toEqual({
      type: 'mysql',
      url: 'mysql://u:p@h:3306/db',
    });
    expect(parseDatabaseUrl('MariaDB://h/db')).toEqual({ type: 'mysql', url: 'mysql://h/db' });
  });

  it('reads sqlite: URLs and bare paths, leaving relative paths as written', () => {
    expect(parseDatabaseUrl('sqlite:kb.db')).toEqual({ type: 'sqlite', path: 'kb.db' });
    expect(parseDatabaseUrl('sqlite:./data/kb.db')).toEqual({ type: 'sqlite', path: './data/kb.db' });
    expect(parseDatabaseUrl('sqlite://data/kb.db')).toEqual({ type: 'sqlite', path: 'data/kb.db' });
    expect(parseDatabaseUrl('sqlite:///abs/kb.db')).toEqual({ type: 'sqlite', path: '/abs/kb.db' });
    expect(parseDatabaseUrl('SQLite:kb.db')).toEqual({ type: 'sqlite', path: 'kb.db' });
    expect(parseDatabaseUrl('kb.db')).toEqual({ type: 'sqlite', path: 'kb.db' });
    expect(parseDatabaseUrl('/abs/kb.db')).toEqual({ type: 'sqlite', path: '/abs/kb.db' });
    expect(parseDatabaseUrl(':memory:')).toEqual({ type: 'sqlite', path: ':memory:' });
    expect(parseDatabaseUrl('sqlite::memory:')).toEqual({ type: 'sqlite', path: ':memory:' });
  });

  it('takes a drive letter for a path, not a scheme', () => {
    expect(parseDatabaseUrl('C://kb/kb.db')).toEqual({ type: 'sqlite', path: 'C://kb/kb.db' });
    expect(parseDatabaseUrl('C:\\kb\\kb.db')).toEqual({ type: 'sqlite', path: 'C:\\kb\\kb.db' });
  });

  it('refuses an unknown scheme with a ConfigError naming it and the accepted forms', () => {
    const error = (() => {
      try {
        parseDatabaseUrl('ftp://h/x');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: StorageErrorCode.CONFIG_INVALID });
    expect((error as Error).message).toMatch(/unknown database URL scheme 'ftp:\/\/'/);
    expect((error as Error).message).toMatch(/sqlite:<path>.*postgres:\/\/.*mysql:\/\/.*mariadb:\/\//);
    // Names on Object.prototype are schemes like any other.
    expect(() => parseDatabaseUrl('constructor://h/x')).toThrow(ConfigError);
  });

  it('refuses an empty URL and a sqlite: URL without a path', () => {
    expect(() => parseDatabaseUrl('  ')).toThrow(ConfigError);
    expect(() => parseDatabaseUrl('sqlite:')).toThrow(/needs a file path/);
    expect(() => parseDatabaseUrl('sqlite://')).toThrow(/needs a file path/);
  });
});

describe('redactUrl', () => {
  it('replaces the password of every scheme', () => {
    expect(redactUrl('postgres://kb:s3cret@db:5432/kb')).toBe('postgres://kb:***@db:5432/kb');
    expect(redactUrl('postgresql://kb:s3cret@db/kb')).toBe('postgresql://kb:***@db/kb');
    expect(redactUrl('mysql://root:s3cret@db:3306/kb')).toBe('mysql://root:***@db:3306/kb');
    expect(redactUrl('mariadb://root:s3cret@db:3306/kb')).toBe('mariadb://root:***@db:3306/kb');
  });

  it('covers passwords that URL parsing misreads', () => {
    expect(redactUrl('mysql://u:12#34@h/db')).toBe('mysql://u:***@h/db');
    expect(redactUrl('postgres://u:a/b?c@h/db')).toBe('postgres://u:***@h/db');
    expect(redactUrl('postgres://u:p@ss@h/db')).toBe('postgres://u:***@h/db');
    expect(redactUrl('postgres://:s3cret@h/db')).toBe('postgres://:***@h/db');
  });

  it('replaces a password given as a query parameter', () => {
    expect(redactUrl('postgres://h/db?user=kb&password=s3cret&sslmode=require')).toBe(
      'postgres://h/db?user=kb&password=***&sslmode=require',
    );
    expect(redactUrl('postgres://h/db?sslpassword=s3cret')).toBe('postgres://h/db?sslpassword=***');
  });

  it('leaves URLs without a password, paths and garbage as they are', () => {
    expect(redactUrl('postgres://db/kb')).toBe('postgres://db/kb');
    expect(redactUrl('postgres://kb@db:5432/kb')).toBe('postgres://kb@db:5432/kb');
    expect(redactUrl('./kb.db')).toBe('./kb.db');
    expect(redactUrl('%%not a url::@@')).toBe('%%not a url::@@');
    expect(redactUrl('')).toBe('');
  });
});
