import { describe, expect, it } from 'vitest';
import { parseDbTarget, redactUrl } from './db-target.js';

describe('parseDbTarget', () => {
  it('reads paths and sqlite: URLs, relative to the base directory', () => {
    expect(parseDbTarget('kb.db', '/w')).toEqual({ type: 'sqlite', path: '/w/kb.db' });
    expect(parseDbTarget('/abs/kb.db', '/w')).toEqual({ type: 'sqlite', path: '/abs/kb.db' });
    expect(parseDbTarget('sqlite:kb.db', '/w')).toEqual({ type: 'sqlite', path: '/w/kb.db' });
    expect(parseDbTarget('sqlite://data/kb.db', '/w')).toEqual({ type: 'sqlite', path: '/w/data/kb.db' });
    expect(parseDbTarget('sqlite:///abs/kb.db', '/w')).toEqual({ type: 'sqlite', path: '/abs/kb.db' });
    expect(parseDbTarget(':memory:', '/w')).toEqual({ type: 'sqlite', path: ':memory:' });
  });

  it('recognises network dialects by scheme', () => {
    expect(parseDbTarget('postgres://h/db', '/w')).toEqual({ type: 'postgresql', url: 'postgres://h/db' });
    expect(parseDbTarget('postgresql://h/db', '/w')).toMatchObject({ type: 'postgresql' });
    expect(parseDbTarget('mysql://h/db', '/w')).toMatchObject({ type: 'mysql' });
    expect(parseDbTarget('mariadb://h/db', '/w')).toMatchObject({ type: 'mysql' });
  });

  it('refuses unknown schemes and empty targets as usage errors', () => {
    expect(() => parseDbTarget('ftp://h/x', '/w')).toThrow(/unknown database URL scheme/);
    expect(() => parseDbTarget('  ', '/w')).toThrow(/needs a path/);
    expect(() => parseDbTarget('sqlite:', '/w')).toThrow(/needs a file path/);
  });

  it('redacts passwords', () => {
    expect(redactUrl('postgres://kb:s3cret@db:5432/kb')).toBe('postgres://kb:***@db:5432/kb');
    expect(redactUrl('postgres://db/kb')).toBe('postgres://db/kb');
  });
});
