import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from './cli-harness.js';

// These never need a working store: arguments are refused before anything is opened.
let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
});
afterEach(() => ws.remove());

describe('usage errors exit 2 with a usage line', () => {
  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [[], /missing command/],
    [['get'], /missing argument/],
    [['get', 'a', 'b'], /unexpected argument 'b'/],
    [['search', 'x', '--bogus'], /unknown option '--bogus'/],
    [['--bogus', 'search', 'x'], /unknown option '--bogus'/],
    [['search', 'x', '--limit'], /--limit needs a value/],
    [['search', 'x', '--limit', 'ten'], /--limit takes a whole number/],
    [['add', '--title', 'T'], /missing --problem, --solution, --category/],
    [['add', '--file', 'x.json', '--title', 'T'], /--file cannot be combined with --title/],
    [['update', 'some-id'], /nothing to update/],
    [['update', 'some-id', '--tag', 'a', '--clear-tags'], /contradict/],
    [['feedback', 'some-id'], /exactly one of --success or --failure/],
    [['feedback', 'some-id', '--success', '--failure'], /exactly one of --success or --failure/],
    [['migrate'], /missing argument/],
    [['migrate', 'sideways'], /unknown migrate action 'sideways'/],
    [['migrate', 'down'], /needs --to/],
    [['migrate', 'up', '--to', 'no-colon'], /--to takes <namespace>:<migration id>/],
    [['migrate', 'repair'], /needs --accept-checksums, --forget-unknown or --clear-failed/],
    [['migrate', 'up', '--clear-failed'], /--clear-failed belongs to kb migrate repair/],
    [['--db', 'ftp://host/x', 'get', 'x'], /unknown database URL scheme 'ftp:\/\/'/],
  ])('kb %j', async (args, message) => {
    const result = await ws.run(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/^usage: kb /m);
    expect(result.stdout).toBe('');
  });

  it('prints the error as JSON on stderr under --json, wherever --json is written', async () => {
    for (const args of [
      ['--json', 'get'],
      ['get', '--json'],
    ]) {
      const result = await ws.run(args);
      expect(result.code).toBe(2);
      expect(result.errorJson()).toEqual({ error: { code: 'USAGE', message: 'missing argument' } });
      expect(result.stdout).toBe('');
    }
  });
});

describe('help and version', () => {
  it('lists every command of CLI.md', async () => {
    for (const args of [['help'], ['--help'], ['-h']]) {
      const result = await ws.run(args);
      expect(result.code).toBe(0);
      for (const name of [
        'init',
        'add',
        'get',
        'update',
        'delete',
        'search',
        'feedback',
        'migrate',
        'plugins',
      ]) {
        expect(result.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
      }
      for (const name of ['health', 'metrics', 'optimize', 'upgrade', 'copy', 'export', 'import']) {
        expect(result.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
      }
      // kb's own commands come first; plugins' follow in their own section (kb-contributed-commands.test.ts).
      expect(result.stdout.indexOf('Commands:')).toBeLessThan(result.stdout.indexOf('Commands of plugins'));
    }
  });

  it('describes KB_ACTOR by its role mapping and exit 3 as covering a refused role', async () => {
    const { stdout } = await ws.run(['help']);
    expect(stdout).toMatch(
      /KB_ACTOR +who runs kb .*\n.*cli\.roles of the config file maps it to a role \(docs\/cli-roles\.md\)/,
    );
    expect(stdout).toMatch(/3 rejected \(invalid input, or refused by the actor's role\)/);
  });

  it('shows one command with kb help <command> and kb <command> --help', async () => {
    for (const args of [
      ['help', 'search'],
      ['search', '--help'],
    ]) {
      const result = await ws.run(args);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^usage: kb search <query>/);
    }
    expect((await ws.run(['help', 'nope'])).code).toBe(2);
  });

  it('prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect((await ws.run(['--version'])).stdout).toBe(`kb ${pkg.version}\n`);
    expect((await ws.run(['--json', '--version'])).json()).toEqual({ version: pkg.version });
  });
});

describe('an unreachable database server', () => {
  it.each([
    ['postgres://kb:secret@127.0.0.1:1/kb', 'PostgreSQL'],
    ['mysql://kb:secret@127.0.0.1:1/kb', 'MySQL'],
  ])('--db %s fails with exit 1, says where, and never prints the password', async (url, name) => {
    const result = await ws.run(['--json', '--db', url, 'get', 'x']);
    expect(result.code).toBe(1);
    const { error } = result.errorJson();
    expect(error.code).toBe('DATABASE');
    expect(error.message).toContain(name);
    expect(error.message).toContain('127.0.0.1');
    expect(error.message).not.toContain('secret');
  });
});
