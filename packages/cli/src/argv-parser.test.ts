import { describe, expect, it } from 'vitest';
import { locateGlobals, parseCommandArgs, splitCommand } from './argv-parser.js';

describe('splitCommand', () => {
  it('takes global flags before the first word as global', () => {
    const split = splitCommand(['--db', 'x.db', '--json', 'search', 'S0C7', '--limit', '3']);
    expect(split.command).toBe('search');
    expect(split.rest).toEqual(['S0C7', '--limit', '3']);
    expect(split.before.values).toEqual({ db: 'x.db', json: true });
  });

  it('accepts --flag=value', () => {
    const split = splitCommand(['--db=x.db', 'init']);
    expect(split.command).toBe('init');
    expect(split.before.values.db).toBe('x.db');
  });
});

describe('locateGlobals', () => {
  it('finds --db and --config among arguments it cannot parse yet, and nothing else', () => {
    expect(
      locateGlobals(['list', '--type', 'error', '--config=k.json', '-911', '--db', 'x.db', '--unknown']),
    ).toEqual({ config: 'k.json', db: 'x.db' });
  });

  it('returns only what was written, so flags before the command keep their values', () => {
    expect(locateGlobals(['list', '--limit', '3'])).toEqual({});
    expect(locateGlobals(['--', '--config', 'k.json'])).toEqual({});
  });
});

describe('parseCommandArgs', () => {
  const options = { limit: { type: 'string' }, tag: { type: 'string', multiple: true } } as const;

  it('keeps negative numbers as words and values', () => {
    expect(parseCommandArgs(['SQLCODE', '-911', '--limit', '-5'], options)).toEqual({
      values: { limit: '-5' },
      positionals: ['SQLCODE', '-911'],
    });
  });

  it('collects repeated flags', () => {
    expect(parseCommandArgs(['--tag', 'a', '--tag', 'b'], options).values.tag).toEqual(['a', 'b']);
  });

  it('turns parse failures into short usage errors', () => {
    expect(() => parseCommandArgs(['--nope'], options, 'kb x')).toThrow("unknown option '--nope'");
    expect(() => parseCommandArgs(['--limit'], options)).toThrow('--limit needs a value');
  });
});
