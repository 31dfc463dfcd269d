import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from './built-cli.js';
import { Workspace } from './cli-harness.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const bin = fileURLToPath(new URL('../bin/kb.js', import.meta.url));

let ws: Workspace;
beforeAll(() => {
  buildCli();
  ws = new Workspace();
}, 300_000);
afterAll(() => ws?.remove());

function kb(...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: ws.dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the kb binary', () => {
  it('prints its version', () => {
    const pkg = JSON.parse(readFileSync(`${packageDir}package.json`, 'utf8'));
    expect(kb('--version')).toEqual({ code: 0, stdout: `kb ${pkg.version}\n`, stderr: '' });
  });

  it('creates a store with the sample KB from the data file next to dist/, and searches it', () => {
    const init = kb('--json', 'init', '--sample');
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    const { created, entries } = JSON.parse(init.stdout);
    expect(created).toBe(true);
    expect(entries).toBeGreaterThanOrEqual(30);

    const search = kb('--json', 'search', 'S0C7', '--limit', '3');
    expect(search.code).toBe(0);
    const doc = JSON.parse(search.stdout);
    expect(doc.results.length).toBeGreaterThan(0);
    expect(doc.results[0].title).toMatch(/S0C7/);

    // Piped stdout is not a terminal: plain text, no escape codes, no progress bar.
    const human = kb('search', 'S0C7');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/\[S0C7\]/i);
    expect(human.stdout).not.toContain('\x1b');
  });

  it('stops quietly when the reader of its output goes away (kb … | head)', async () => {
    kb('init', '--sample');
    // The reader closes its end at once: every write of the answer fails with EPIPE.
    const outcome = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [bin, '--json', 'search', 'error', '--limit', '100'], {
        cwd: ws.dir,
        env: { PATH: process.env.PATH ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(outcome.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(outcome.code).toBe(0);
  });

  it('finds the commands of the plugin packages installed next to it', () => {
    const help = kb('help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^ {2}patterns +.*\[plugin patterns\]$/m);
    expect(help.stdout).toMatch(/^ {2}backup +.*\[plugin backup\]$/m);
  });

  it('sets the exit code and prints JSON errors on stderr', () => {
    const missing = kb('--json', 'get', 'no-such-entry');
    expect(missing.code).toBe(4);
    expect(missing.stdout).toBe('');
    expect(JSON.parse(missing.stderr).error.code).toBe('NOT_FOUND');

    const usage = kb('frobnicate');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/unknown command 'frobnicate'/);
  });
});
