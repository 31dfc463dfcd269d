import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from './built-cli.js';
import { Workspace } from './cli-harness.js';

/**
 * CLI.md against the real binary: every command its tables name exists (none is a placeholder), and every
 * exit code of its table is what the situations it stands for produce. The contract is read from the shared
 * folder (`<repo>/../shared/CLI.md`, or the file `KB_CLI_CONTRACT` names); CI sets it, so there it cannot be
 * skipped (KB_REQUIRE_CLI_CONTRACT=1).
 */
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const contractFile = process.env.KB_CLI_CONTRACT || join(repo, '..', 'shared', 'CLI.md');
const haveContract = existsSync(contractFile);
if (!haveContract && process.env.KB_REQUIRE_CLI_CONTRACT === '1') {
  throw new Error(`CLI.md not found at ${contractFile} (set KB_CLI_CONTRACT)`);
}
if (!haveContract)
  console.warn(`skipped: the CLI contract ${contractFile} is not here (set KB_CLI_CONTRACT)`);

const bin = fileURLToPath(new URL('../bin/kb.js', import.meta.url));
let ws: Workspace;

function kb(args: readonly string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: ws.dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `kb <word> <sub|sub>…` as the tables write them: the command, and the subcommands listed with `|`. */
function commandsOf(contract: string): Map<string, Set<string>> {
  const commands = new Map<string, Set<string>>();
  for (const line of contract.split('\n')) {
    if (!line.startsWith('|')) continue;
    for (const [, name, rest] of line.matchAll(/`kb ([a-z][a-z-]*)((?: [a-z][a-z|\\-]*)*)/g)) {
      if (!name) continue;
      const subs = commands.get(name) ?? new Set<string>();
      const first = rest?.trim().split(' ')[0] ?? '';
      for (const sub of first.split(/\\?\|/)) if (/^[a-z][a-z-]*$/.test(sub)) subs.add(sub);
      commands.set(name, subs);
    }
  }
  return commands;
}

/** `Exit codes: `0` done; `1` failed; …` */
function exitCodesOf(contract: string): Map<number, string> {
  const start = contract.indexOf('Exit codes:');
  const end = contract.indexOf('\n\n', start);
  const line = start < 0 ? '' : contract.slice(start, end < 0 ? undefined : end).replace(/\s+/g, ' ');
  return new Map(
    [...line.matchAll(/`(\d)` ([^;.]+)/g)].map(([, code, meaning]) => [Number(code), meaning!.trim()]),
  );
}

beforeAll(() => {
  buildCli();
  ws = new Workspace();
}, 300_000);
afterAll(() => ws?.remove());

describe.skipIf(!haveContract)('CLI.md against the kb binary', () => {
  const contract = haveContract ? readFileSync(contractFile, 'utf8') : '';

  it('has every command of its tables, each with the subcommands the tables list', {
    timeout: 180_000,
  }, () => {
    const commands = commandsOf(contract);
    expect(commands.size).toBeGreaterThan(20);
    const missing: string[] = [];
    const listed = kb(['help']);
    expect(listed.code).toBe(0);
    // A placeholder (a command recognised only to say it is not in this release) is not the command.
    expect(listed.stdout).not.toMatch(/not (in|part of) this release/);
    for (const [name, subs] of commands) {
      if (!new RegExp(`^ {2}${name} `, 'm').test(listed.stdout)) missing.push(`kb ${name}: not in kb help`);
      if (subs.size === 0) continue;
      const help = kb(['help', name]);
      if (help.code !== 0) {
        missing.push(`kb ${name}: ${help.stderr.trim()}`);
        continue;
      }
      if (/not in this release|not part of this release/.test(help.stdout))
        missing.push(`kb ${name} is a placeholder`);
      // The subcommands are alternatives of the usage line (`usage: kb backup create … | list | …`).
      const usage = help.stdout.split('\n')[0] ?? '';
      for (const sub of subs) {
        if (!new RegExp(`(kb ${name} |\\| )${sub}\\b`).test(usage))
          missing.push(`kb ${name} ${sub}: not in its usage line`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('exits with the code of the table for each situation, with the JSON error of the contract', {
    timeout: 180_000,
  }, () => {
    const codes = exitCodesOf(contract);
    expect([...codes.keys()]).toEqual([0, 1, 2, 3, 4, 5]);

    const entry = ['--title', 'S0C7 in PAYROLL', '--problem', 'p', '--solution', 's', '--category', 'COBOL'];
    mkdirSync(ws.path('a-folder'));
    writeFileSync(ws.path('kb.config.json'), JSON.stringify({}));
    const situations: [number, string[], string][] = [
      [0, ['init'], 'done'],
      [0, ['add', ...entry], 'done'],
      [1, ['add', '--file', 'a-folder'], 'an unreadable file'],
      [2, ['frobnicate'], 'an unknown command'],
      [2, ['search'], 'a search without a query'],
      [2, ['search', 'x', '--limit', 'abc'], 'a --limit that is not a number'],
      [2, ['search', 'x', '--limit', '0'], 'a --limit out of range'],
      [2, ['--config', 'missing.json', 'search', 'x'], 'a config file that is not there'],
      [3, ['add', ...entry, '--severity', 'urgent'], 'a bad severity'],
      [3, ['search', 'x', '--severity', 'urgent'], 'a bad severity filter'],
      [4, ['get', 'no-such-id'], 'an unknown id'],
      [4, ['--db', 'typo.db', 'search', 'x'], 'a store that does not exist'],
      [4, ['add', '--file', 'missing.json'], 'a missing input file (add)'],
      [4, ['import', 'missing.json'], 'a missing input file (import)'],
    ];
    const wrong: string[] = [];
    for (const [code, args, why] of situations) {
      const result = kb(['--json', ...args]);
      if (result.code !== code)
        wrong.push(
          `${why}: kb ${args.join(' ')} exited ${result.code}, not ${code}: ${result.stderr.trim()}`,
        );
      if (code !== 0) {
        const doc = JSON.parse(result.stderr || '{}');
        if (typeof doc.error?.code !== 'string' || typeof doc.error?.message !== 'string')
          wrong.push(`${why}: stderr is not {"error":{"code","message"}}: ${result.stderr}`);
      }
    }
    expect(existsSync(ws.path('typo.db')), 'a missing store is not created').toBe(false);

    // 5: an export whose bytes changed fails its verification on --restore.
    expect(kb(['export', '--format', 'csv', '--out', 'csv']).code).toBe(0);
    const file = ws.path('csv/kb_entries.csv');
    writeFileSync(file, readFileSync(file, 'utf8').replace('PAYROLL', 'PAYR0LL'));
    expect(kb(['--db', 'restored.db', 'init']).code).toBe(0);
    const tampered = kb(['--json', '--db', 'restored.db', 'import', 'csv', '--restore']);
    if (tampered.code !== 5)
      wrong.push(`an edited export: exited ${tampered.code}, not 5: ${tampered.stderr}`);
    expect(wrong).toEqual([]);
  });
});
