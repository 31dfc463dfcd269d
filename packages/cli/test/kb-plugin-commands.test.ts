import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from './cli-harness.js';

/** How kb discovers, lists and runs the commands plugins bring, shown with two small fixture plugins. */

const GREETING = fileURLToPath(new URL('./fixtures/greeting-plugin.ts', import.meta.url));
const CLASHING = fileURLToPath(new URL('./fixtures/clashing-plugin.ts', import.meta.url));

const greetingOnly = { mvp: { extensions: [{ id: 'greeting', package: GREETING }] } };

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
});
afterEach(() => ws.remove());

describe('a plugin command', () => {
  beforeEach(() => {
    ws.writeConfig(greetingOnly);
  });

  it('is listed by kb help in a section of its own, with its plugin, without a store', async () => {
    const help = await ws.run(['help']);
    expect(help.code).toBe(0);
    const [own, contributed] = help.stdout.split('Commands of plugins:');
    expect(own).toMatch(/^ {2}search +/m);
    expect(own).not.toMatch(/^ {2}hello /m);
    expect(contributed).toMatch(
      /^ {2}hello +greet someone and count the entries of the store \[plugin greeting\]$/m,
    );
    // The config leaves the installed plugins out: their commands are not listed.
    expect(contributed).not.toMatch(/^ {2}patterns /m);
    expect(existsSync(ws.path('kb.db'))).toBe(false);
  });

  it('shows its usage, details and plugin with kb help <command> and --help', async () => {
    for (const args of [
      ['help', 'hello'],
      ['hello', '--help'],
    ]) {
      const result = await ws.run(args);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^usage: kb hello <name>/);
      expect(result.stdout).toContain('  --shout    in capitals');
      expect(result.stdout).toContain("Brought by plugin 'greeting' (greeting-fixture), version 1.2.3.");
    }
  });

  it('gets its positionals, options, the global flags, cwd, env and the run’s store', async () => {
    await ws.init();
    const doc = await ws.ok(['hello', 'ada', '--note', 'a', '--note', 'b'], { env: { GREETING: 'hi' } });
    expect(doc).toMatchObject({
      greeting: 'hello ada',
      entries: 0,
      notes: ['a', 'b'],
      cwd: ws.dir,
      env: 'hi',
      json: true,
    });
    // This user creates ./kb.db, so (no cli.roles) it is admin: the store was opened with the role mapping.
    expect(doc.actor.role).toBe('admin');
    expect(existsSync(ws.path('kb.db'))).toBe(true);
  });

  it('prints through kb: text, warnings on stderr, nothing but the result under --quiet', async () => {
    await ws.init();
    const text = await ws.run(['hello', 'ada', '--shout']);
    expect(text).toMatchObject({ code: 0, stdout: 'HELLO ADA\n', stderr: 'kb: greeting ada\n' });
    const quiet = await ws.run(['--quiet', 'hello', 'ada']);
    expect(quiet).toMatchObject({ code: 0, stdout: 'hello ada\n', stderr: '' });
    const json = await ws.run(['hello', 'ada', '--json']);
    expect(json.stderr).toBe('');
    expect(json.json().greeting).toBe('hello ada');
  });

  it('returns its exit code; undefined is 0', async () => {
    await ws.init();
    expect((await ws.run(['hello', 'ada'])).code).toBe(0);
    expect((await ws.run(['hello', 'ada', '--exit', '5'])).code).toBe(5);
  });

  it('has its positionals and options checked by kb, and its usage errors exit 2 with its usage line', async () => {
    for (const [args, message] of [
      [['hello'], /missing argument/],
      [['hello', 'ada', 'bob'], /unexpected argument 'bob'/],
      [['hello', 'ada', '--bogus'], /unknown option '--bogus'/],
      [['hello', 'nobody'], /nobody is there to greet/],
    ] as const) {
      const result = await ws.run(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toMatch(/^usage: kb hello <name>/m);
      expect(result.stdout).toBe('');
    }
    const json = await ws.run(['--json', 'hello', 'nobody']);
    expect(json.errorJson()).toEqual({ error: { code: 'USAGE', message: 'nobody is there to greet' } });
  });

  it('is found through --config written after the command, and --db there too', async () => {
    ws.remove();
    ws = new Workspace();
    const config = ws.writeConfig(greetingOnly, 'greet.json');
    expect((await ws.run(['hello', 'ada'])).stderr).toMatch(/unknown command 'hello'/);
    await ws.init(['--config', config, '--db', 'other.db']);
    const doc = await ws.ok(['hello', 'ada', '--config', config, '--db', 'other.db']);
    expect(doc.greeting).toBe('hello ada');
    expect(existsSync(ws.path('other.db'))).toBe(true);
    expect(existsSync(ws.path('kb.db'))).toBe(false);
  });

  it('runs as the operator’s actor with the role cli.roles maps; a refused write exits 3 and says why', async () => {
    await ws.ok(['init']);
    ws.writeConfig({ ...greetingOnly, cli: { roles: { alice: 'viewer', bob: 'editor' } } });
    const read = await ws.ok(['hello', 'ada'], { env: { KB_ACTOR: 'alice' } });
    expect(read.actor).toEqual({ id: 'alice', role: 'viewer' });
    const refused = await ws.run(['--json', 'hello', 'ada', '--add'], { env: { KB_ACTOR: 'alice' } });
    expect(refused.code).toBe(3);
    const { error } = refused.errorJson();
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toContain("maps 'alice' to viewer; see docs/cli-roles.md");
    const written = await ws.ok(['hello', 'ada', '--add'], { env: { KB_ACTOR: 'bob' } });
    expect(written.entries).toBe(1);
  });
});

describe('commands that clash', () => {
  beforeEach(() => {
    ws.writeConfig({
      mvp: {
        extensions: [
          { id: 'greeting', package: GREETING },
          { id: 'clashing', package: CLASHING },
        ],
      },
    });
  });

  it('refuses a plugin command named like one of kb’s, naming both', async () => {
    const result = await ws.run(['--json', 'search', 'S0C7']);
    expect(result.code).toBe(1);
    const { error } = result.errorJson();
    expect(error.code).toBe('EXTENSION_INVALID');
    expect(error.message).toContain("'kb search' is brought by both kb itself and plugin 'clashing'");
  });

  it('refuses a command two plugins bring, naming both', async () => {
    const result = await ws.run(['--json', 'hello', 'ada']);
    expect(result.code).toBe(1);
    const { error } = result.errorJson();
    expect(error.code).toBe('EXTENSION_INVALID');
    expect(error.message).toContain(
      "'kb hello' is brought by both plugin 'greeting' (greeting-fixture) and plugin 'clashing'",
    );
    expect((await ws.run(['help', 'hello'])).code).toBe(1);
  });

  it('refuses a plugin command that redefines a global option', async () => {
    const result = await ws.run(['--json', 'loud']);
    expect(result.code).toBe(1);
    expect(result.errorJson().error.message).toContain(
      "'kb loud' of plugin 'clashing' redefines the global option --json",
    );
  });

  it('runs everything else, and kb help lists what runs and warns about the rest', async () => {
    expect(await ws.ok(['wave'])).toEqual({ ran: 'wave' });
    expect((await ws.run(['get', 'no-such-entry'])).code).toBe(4);
    const help = await ws.run(['help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^ {2}wave +the clashing plugin's wave \[plugin clashing\]$/m);
    expect(help.stdout).not.toMatch(/^ {2}(hello|loud|search) /m);
    expect(help.stderr).toContain("'kb search' is brought by both kb itself and plugin 'clashing'");
    expect(help.stderr).toContain("'kb hello' is brought by both plugin 'greeting'");
    expect(help.stderr).toContain("'kb loud' of plugin 'clashing' redefines the global option --json");
  });
});

describe('commands of an installed plugin the config leaves out', () => {
  beforeEach(() => {
    ws.writeConfig(greetingOnly);
  });

  it('are not listed, and running one says how to enable its plugin (exit 1)', async () => {
    const help = await ws.run(['help', 'patterns']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(`Brought by plugin 'patterns' (@mainframe-kb/plugin-patterns), version`);
    expect(help.stdout).toContain(
      'which the config file leaves out: add { "id": "patterns" } to mvp.extensions',
    );
    const result = await ws.run(['--json', 'patterns', 'list']);
    expect(result.code).toBe(1);
    const { error } = result.errorJson();
    expect(error.code).toBe('EXTENSION_NOT_ENABLED');
    expect(error.message).toContain("needs the 'patterns' plugin (@mainframe-kb/plugin-patterns)");
    expect(error.message).toContain(ws.path('kb.config.json'));
  });
});

describe('kb help when the plugins cannot be resolved', () => {
  it('still lists kb’s own commands, and says why the plugins’ are missing', async () => {
    const result = await ws.run(['--config', 'missing.json', 'help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ {2}search +/m);
    expect(result.stdout).toContain('Commands of plugins: none');
    expect(result.stderr).toMatch(
      /^kb: the commands of plugins are not listed: cannot read config file .*missing\.json/,
    );
    // Any other command needs them, and fails as before: a config that cannot be read is a usage error.
    expect((await ws.run(['--config', 'missing.json', 'hello', 'ada'])).code).toBe(2);
  });
});
