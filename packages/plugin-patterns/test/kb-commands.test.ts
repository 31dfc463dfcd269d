import { join } from 'node:path';
import {
  type CommandOptionValue,
  isStorageError,
  type PluginCommand,
  type PluginCommandContext,
  type Storage,
  StorageErrorCode,
} from '@mainframe-kb/storage-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Incident, incidentIdOf, type PatternDetail, patternsPlugin } from '../src/index.js';
import { openStore, type TempDir, tempDir } from './support/store.js';

// The plugin's `kb` commands, run as `kb` runs them (core's PluginCommand contract) with a fake context that
// records what they print, on a real SQLite store.

class FakeUsageError extends Error {}

interface Outcome {
  code: number | undefined;
  /** What `--json` would print. */
  json: unknown;
  /** What the text output would print. */
  text: string;
  /** What `run` threw, if it threw. */
  error: unknown;
  /** Whether the command asked for the store. */
  opened: boolean;
}

function command(name: string): PluginCommand {
  const found = patternsPlugin.commands?.find((c) => c.name === name);
  if (!found) throw new Error(`the plugin has no '${name}' command`);
  return found;
}

let dir: TempDir;
let path: string;
let storage: Storage;

/** Runs `kb <argv> [--<values>]` against `store`, as `kb` would with the plugin enabled. */
async function run(
  argv: readonly string[],
  values: Record<string, CommandOptionValue> = {},
  store: Storage = storage,
): Promise<Outcome> {
  const [name, ...positionals] = argv;
  const printed: { json: unknown; text: string }[] = [];
  let opened = false;
  const ctx: PluginCommandContext = {
    positionals,
    values,
    cwd: dir.path,
    env: {},
    out: {
      emit: (json, text) => printed.push({ json, text: text() }),
      warn: () => undefined,
      progress: () => ({ update: () => undefined, finish: () => undefined }),
    },
    storage: async () => {
      opened = true;
      return store;
    },
    usageError: (message) => new FakeUsageError(message),
  };
  try {
    const code = await command(name!).run(ctx);
    expect(printed, 'a command prints exactly one document').toHaveLength(1);
    return { code, json: printed[0]!.json, text: printed[0]!.text, error: undefined, opened };
  } catch (error) {
    expect(printed, 'a failed command prints nothing').toEqual([]);
    return { code: undefined, json: undefined, text: '', error, opened };
  }
}

/** Runs a command that must succeed. */
async function kb(
  argv: readonly string[],
  values: Record<string, CommandOptionValue> = {},
  store: Storage = storage,
): Promise<Outcome> {
  const outcome = await run(argv, values, store);
  if (outcome.error !== undefined) throw outcome.error;
  expect(outcome.code).toBe(0);
  return outcome;
}

function codeOf(error: unknown): string {
  if (error instanceof FakeUsageError) return 'USAGE';
  return isStorageError(error) ? error.code : `not a StorageError: ${String(error)}`;
}

beforeEach(async () => {
  dir = tempDir();
  path = join(dir.path, 'kb.db');
  const seed = await openStore(path, { incremental: false });
  const day = 86_400_000;
  await seed.plugin(patternsPlugin).createIncidents([
    ...[0, 10, 20, 30, 40].map((d, k) => ({
      ticketId: `INC${k}`,
      source: 'servicenow' as const,
      title: `PAYROLL run ${k} abended S0C7`,
      ...(k === 2 && { description: 'Job PAYR0002 ended with S0C7 in step 2' }),
      component: 'PAYROLL',
      severity: 'high' as const,
      createdAt: new Date(Date.UTC(2025, 0, 1) + d * day).toISOString(),
    })),
    {
      ticketId: 'OPS-9',
      source: 'jira',
      title: 'CICS region slow at month end',
      component: 'CICSPROD',
      severity: 'medium',
      status: 'resolved',
      createdAt: '2025-03-01T08:30:00Z',
      resolvedAt: '2025-03-01T10:00:00Z',
      resolution: 'raised MXT',
    },
  ]);
  await seed.close();
  storage = await openStore(path, { incremental: false });
});

afterEach(async () => {
  await storage.close();
  dir.remove();
});

describe('the commands the plugin brings to kb', () => {
  it('are kb patterns and kb incidents, with the usage lines kb prints on a usage error', () => {
    expect(command('patterns').usage).toBe(
      'kb patterns detect | list [--type t] [--severity s] [--component c] [--min-confidence x] [--text q] [--limit n] | show <id>',
    );
    expect(command('incidents').usage).toMatch(/^kb incidents list \[--source s\] .* \| show <id\|ticket>$/);
    for (const c of patternsPlugin.commands ?? []) {
      expect(c.positionals).toEqual({ min: 1, max: 2 });
      for (const match of c.usage.matchAll(/--([a-z-]+)/g)) expect(c.options).toHaveProperty([match[1]!]);
    }
  });
});

describe('kb patterns', () => {
  it('detect, list and show, as JSON and as text', async () => {
    const detected = await kb(['patterns', 'detect']);
    expect(detected.json).toMatchObject({ incidents: 6, byType: { error: 1 }, created: 1 });
    expect(detected.text).toMatch(
      /^1 patterns in 6 incidents \(\d+ ms\): 1 error\n1 new, 0 updated, 0 removed;/,
    );

    const listed = await kb(['patterns', 'list'], { type: 'error' });
    const { patterns, total } = listed.json as { patterns: { id: string }[]; total: number };
    expect(total).toBe(1);
    expect(patterns[0]).toMatchObject({ errorCode: 'S0C7', frequency: 5, component: 'PAYROLL' });
    const [header, row, ...rest] = listed.text.split('\n');
    expect(header).toMatch(/^ID +TYPE +CONF +N +SEVERITY +LAST SEEN +DESCRIPTION$/);
    expect(row).toContain(patterns[0]!.id);
    expect(row).toContain('S0C7 recurred in 5 incidents on PAYROLL');
    expect(rest).toEqual([]);

    const shown = await kb(['patterns', 'show', patterns[0]!.id]);
    const detail = shown.json as PatternDetail;
    expect(detail.incidents).toHaveLength(5);
    expect(detail.suggestion).toMatchObject({ title: 'S0C7: recurring incidents', status: 'open' });
    expect(shown.text).toContain(`${detail.id}  error  active  (detected)`);
    expect(shown.text).toContain('Incidents (5):');
    // Incidents are listed by the ticket numbers operators know, with the store's id beside them.
    const first = (shown.json as { incidents: { incidentId: string; source: string; ticketId: string }[] })
      .incidents[0]!;
    expect(first.ticketId).not.toBe(first.incidentId);
    expect(first.incidentId).toBe(incidentIdOf(first.source as 'servicenow', first.ticketId));
    expect(shown.text).toContain(`  ${first.source} ${first.ticketId}  `);
    expect(shown.text).toContain(`(${first.incidentId})`);
    expect(shown.text).toContain('Suggested KB entry (open): S0C7: recurring incidents');
  });

  it('passes the filters on, and says when nothing matches', async () => {
    await kb(['patterns', 'detect']);
    const none = await kb(['patterns', 'list'], { severity: 'low', 'min-confidence': '0.1', limit: '5' });
    expect(none.json).toEqual({ patterns: [], total: 0 });
    expect(none.text).toBe('No patterns.');
    expect((await kb(['patterns', 'list'], { component: 'PAYROLL', text: 's0c7' })).json).toMatchObject({
      total: 1,
    });
  });

  it('refuses a bad action or number before opening the store; the API refuses bad values and ids', async () => {
    const cases: [string[], Record<string, CommandOptionValue>, string, boolean][] = [
      [['patterns', 'explode'], {}, 'USAGE', false],
      [['patterns', 'show'], {}, 'USAGE', false],
      [['patterns', 'list', 'extra'], {}, 'USAGE', false],
      [['patterns', 'list'], { limit: 'ten' }, 'USAGE', false],
      [['patterns', 'list'], { 'min-confidence': 'high' }, 'USAGE', false],
      [['patterns', 'list'], { type: 'weird' }, StorageErrorCode.VALIDATION, true],
      [['patterns', 'show', 'pat_nope'], {}, StorageErrorCode.NOT_FOUND, true],
    ];
    for (const [argv, values, code, opens] of cases) {
      const { error, opened } = await run(argv, values);
      expect(codeOf(error), argv.join(' ')).toBe(code);
      expect(opened, `${argv.join(' ')} opens the store`).toBe(opens);
    }
    const usage = (await run(['patterns', 'list'], { limit: 'ten' })).error as Error;
    expect(usage.message).toBe("--limit must be a number, not 'ten'");
  });

  it('runs with the role of the store it is given: a viewer lists, but may not detect', async () => {
    const viewer = await openStore(path, {}, { actor: { id: 'vera', role: 'viewer' } });
    try {
      expect((await kb(['patterns', 'list'], {}, viewer)).json).toEqual({ patterns: [], total: 0 });
      expect(codeOf((await run(['patterns', 'detect'], {}, viewer)).error)).toBe(StorageErrorCode.FORBIDDEN);
    } finally {
      await viewer.close();
    }
  });
});

describe('kb incidents', () => {
  it('lists incidents oldest first, as JSON and as a table', async () => {
    const listed = await kb(['incidents', 'list']);
    const { incidents, total } = listed.json as { incidents: Incident[]; total: number };
    expect(total).toBe(6);
    expect(incidents.map((i) => i.ticketId)).toEqual(['INC0', 'INC1', 'INC2', 'INC3', 'INC4', 'OPS-9']);
    const lines = listed.text.split('\n');
    expect(lines[0]).toMatch(/^ID +SOURCE +TICKET +STATUS +SEVERITY +CREATED +COMPONENT +TITLE$/);
    expect(lines).toHaveLength(7);
    expect(lines[6]).toMatch(
      new RegExp(
        `^${incidentIdOf('jira', 'OPS-9')} +jira +OPS-9 +resolved +medium +2025-03-01T08:30 +CICSPROD +CICS region slow at month end$`,
      ),
    );
  });

  it('filters by every option and pages', async () => {
    const tickets = async (values: Record<string, CommandOptionValue>) =>
      ((await kb(['incidents', 'list'], values)).json as { incidents: Incident[] }).incidents.map(
        (i) => i.ticketId,
      );
    expect(await tickets({ source: 'jira' })).toEqual(['OPS-9']);
    expect(await tickets({ status: 'resolved' })).toEqual(['OPS-9']);
    expect(await tickets({ severity: 'high', limit: '2', offset: '1' })).toEqual(['INC1', 'INC2']);
    expect(await tickets({ component: 'PAYROLL', 'error-code': 'S0C7', text: 'payr0002' })).toEqual(['INC2']);
    expect(await tickets({ from: '2025-01-11T00:00:00Z', to: '2025-01-31T00:00:00Z' })).toEqual([
      'INC1',
      'INC2',
    ]);
    const none = await kb(['incidents', 'list'], { 'error-code': 'U4038' });
    expect(none.json).toEqual({ incidents: [], total: 0 });
    expect(none.text).toBe('No incidents.');
  });

  it('shows one incident with its error codes', async () => {
    const id = incidentIdOf('jira', 'OPS-9');
    const shown = await kb(['incidents', 'show', id]);
    expect(shown.json).toMatchObject({ id, ticketId: 'OPS-9', resolution: 'raised MXT', errorCodes: [] });
    expect(shown.text).toBe(
      [
        `${id}  jira OPS-9  resolved`,
        'CICS region slow at month end',
        'severity medium · component CICSPROD · created 2025-03-01T08:30:00.000Z · resolved 2025-03-01T10:00:00.000Z',
        'error codes: none',
        'KB entry: none',
        '',
        'Resolution: raised MXT',
      ].join('\n'),
    );
    const payroll = await kb(['incidents', 'show', incidentIdOf('servicenow', 'INC2')]);
    expect(payroll.text).toContain('error codes: S0C7');
    // By ticket number: the same incident as by id.
    expect((await kb(['incidents', 'show', 'OPS-9'])).json).toEqual(shown.json);
    expect((await kb(['incidents', 'show', 'INC2'])).json).toEqual(payroll.json);
    expect(payroll.text).toContain('Job PAYR0002 ended with S0C7 in step 2');
  });

  it('refuses a bad action or number before opening the store; the API refuses bad values and ids', async () => {
    const cases: [string[], Record<string, CommandOptionValue>, string, boolean][] = [
      [['incidents', 'delete', 'x'], {}, 'USAGE', false],
      [['incidents', 'show'], {}, 'USAGE', false],
      [['incidents', 'list', 'extra'], {}, 'USAGE', false],
      [['incidents', 'list'], { offset: 'first' }, 'USAGE', false],
      [['incidents', 'list'], { status: 'weird' }, StorageErrorCode.VALIDATION, true],
      [['incidents', 'list'], { from: 'yesterday' }, StorageErrorCode.VALIDATION, true],
      [['incidents', 'show', 'inc_nope'], {}, StorageErrorCode.NOT_FOUND, true],
    ];
    for (const [argv, values, code, opens] of cases) {
      const { error, opened } = await run(argv, values);
      expect(codeOf(error), argv.join(' ')).toBe(code);
      expect(opened, `${argv.join(' ')} opens the store`).toBe(opens);
    }
  });
});
