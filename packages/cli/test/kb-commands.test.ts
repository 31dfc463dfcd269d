import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENTRY_KEYS, Workspace } from './cli-harness.js';

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
});
afterEach(() => ws.remove());

const S0C7 = [
  '--title',
  'S0C7 in PAYROLL',
  '--problem',
  'Batch step abends with S0C7 on a packed field',
  '--solution',
  'Initialise WS-AMOUNT before the ADD',
  '--category',
  'COBOL',
];

async function addOne(extra: string[] = []): Promise<string> {
  const { id } = await ws.ok<{ id: string }>(['add', ...S0C7, ...extra]);
  return id;
}

async function count(): Promise<number> {
  return (await ws.ok<{ entries: number }>(['init'])).entries;
}

describe('kb init', () => {
  it('creates ./kb.db on first use and says so, then reports it existing', async () => {
    expect(await ws.ok(['init'])).toEqual({ created: true, entries: 0 });
    expect(existsSync(ws.path('kb.db'))).toBe(true);
    expect(await ws.ok(['init'])).toEqual({ created: false, entries: 0 });
  });

  it('prints a readable summary without --json', async () => {
    const result = await ws.run(['init']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Created ${ws.path('kb.db')}`);
    expect(result.stdout).toContain('0 entries');
  });
});

describe('kb add / get / update / delete', () => {
  beforeEach(async () => {
    await ws.init();
  });

  it('adds from flags and prints {"id"}', async () => {
    const result = await ws.run([
      '--json',
      'add',
      ...S0C7,
      '--severity',
      'high',
      '--tag',
      'S0C7',
      '--tag',
      'payroll',
    ]);
    expect(result.code).toBe(0);
    const doc = result.json();
    expect(Object.keys(doc)).toEqual(['id']);
    expect(doc.id).toMatch(/\S/);
  });

  it('prints the entry with exactly the fields of CLI.md, in order', async () => {
    const id = await addOne(['--severity', 'high', '--tag', 'S0C7', '--tag', 'Payroll Batch']);
    const entry = await ws.ok(['get', id]);
    expect(Object.keys(entry)).toEqual(ENTRY_KEYS);
    expect(entry).toMatchObject({
      id,
      title: 'S0C7 in PAYROLL',
      category: 'COBOL',
      severity: 'high',
      tags: ['s0c7', 'payroll-batch'],
      usageCount: 0,
      successCount: 0,
      failureCount: 0,
    });
    expect(Number.isNaN(Date.parse(entry.createdAt))).toBe(false);
  });

  it('exits 4 for an unknown id, with the error as JSON on stderr', async () => {
    await ws.ok(['init']);
    const result = await ws.run(['--json', 'get', 'no-such-entry']);
    expect(result.code).toBe(4);
    expect(result.stdout).toBe('');
    const { error } = result.errorJson();
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain('no-such-entry');
    expect(Object.keys(result.errorJson())).toEqual(['error']);
    expect(Object.keys(error)).toEqual(['code', 'message']);
  });

  it('exits 3 for rejected input: a bad severity, an empty title', async () => {
    const bad = await ws.run(['--json', 'add', ...S0C7, '--severity', 'urgent']);
    expect(bad.code).toBe(3);
    expect(bad.errorJson().error.code).toBe('VALIDATION');
    expect(bad.errorJson().error.message).toMatch(/severity/);

    const empty = await ws.run([
      'add',
      '--title',
      ' ',
      '--problem',
      'p',
      '--solution',
      's',
      '--category',
      'JCL',
    ]);
    expect(empty.code).toBe(3);
    expect(empty.stderr).toMatch(/title/);
    expect(await count()).toBe(0);
  });

  it('updates fields; repeated --tag replaces the whole tag list', async () => {
    const id = await addOne(['--tag', 'old', '--tag', 'older']);
    const entry = await ws.ok([
      'update',
      id,
      '--solution',
      'Use INITIALIZE',
      '--tag',
      'new',
      '--tag',
      'newer',
    ]);
    expect(Object.keys(entry)).toEqual(ENTRY_KEYS);
    expect(entry.solution).toBe('Use INITIALIZE');
    expect(entry.tags).toEqual(['new', 'newer']);
    expect(entry.title).toBe('S0C7 in PAYROLL');
    expect((await ws.ok(['update', id, '--clear-tags'])).tags).toEqual([]);
  });

  it('update exits 4 for an unknown id and 3 for a bad value', async () => {
    const id = await addOne();
    expect((await ws.run(['update', 'missing-id', '--title', 'x'])).code).toBe(4);
    expect((await ws.run(['update', id, '--severity', 'extreme'])).code).toBe(3);
  });

  it('deletes: {"deleted":true}, then {"deleted":false} with exit 4', async () => {
    const id = await addOne();
    expect(await ws.ok(['delete', id])).toEqual({ deleted: true });
    const again = await ws.run(['--json', 'delete', id]);
    expect(again.code).toBe(4);
    expect(again.json()).toEqual({ deleted: false });
    expect((await ws.run(['get', id])).code).toBe(4);
  });

  it('under --quiet, add prints only the id', async () => {
    await ws.ok(['init']);
    const result = await ws.run(['--quiet', 'add', ...S0C7]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^[A-Za-z0-9._:-]+\n$/);
    expect((await ws.run(['get', result.stdout.trim()])).code).toBe(0);
  });
});

describe('kb add --file', () => {
  beforeEach(async () => {
    await ws.init();
  });

  const entry = (title: string, extra: Record<string, unknown> = {}) => ({
    title,
    problem: `${title} problem`,
    solution: `${title} solution`,
    category: 'JCL',
    ...extra,
  });

  it('adds one object or an array and prints {"ids"}', async () => {
    writeFileSync(ws.path('one.json'), JSON.stringify(entry('IEF212I one')));
    writeFileSync(
      ws.path('many.json'),
      JSON.stringify([entry('A'), entry('B', { severity: 'low', tags: ['x'] })]),
    );
    const one = await ws.ok<{ ids: string[] }>(['add', '--file', 'one.json']);
    expect(one.ids).toHaveLength(1);
    const many = await ws.ok<{ ids: string[] }>(['add', '--file', ws.path('many.json')]);
    expect(Object.keys(many)).toEqual(['ids']);
    expect(many.ids).toHaveLength(2);
    expect((await ws.ok(['get', many.ids[1] as string])).severity).toBe('low');
    expect(await count()).toBe(3);
  });

  it('is all or nothing: one bad entry refuses the file with exit 3 and writes nothing', async () => {
    await ws.ok(['add', '--file', writeJson('seed.json', [entry('kept')])]);
    const file = writeJson('bad.json', [
      entry('good 1'),
      entry('good 2'),
      entry('bad', { severity: 'urgent' }),
    ]);
    const result = await ws.run(['--json', 'add', '--file', file]);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    const { error } = result.errorJson();
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toMatch(/entries\.2\.severity/);
    expect(await count()).toBe(1);
  });

  it('refuses a file that is not JSON (exit 3), is missing (exit 4) or cannot be read (exit 1)', async () => {
    writeFileSync(ws.path('broken.json'), '[{"title": ');
    expect((await ws.run(['add', '--file', 'broken.json'])).code).toBe(3);
    const missing = await ws.run(['--json', 'add', '--file', 'missing.json']);
    expect(missing.code).toBe(4);
    expect(missing.errorJson().error).toEqual({
      code: 'NOT_FOUND',
      message: `no such file: ${ws.path('missing.json')}`,
    });
    mkdirSync(ws.path('a-folder.json'));
    expect((await ws.run(['add', '--file', 'a-folder.json'])).code).toBe(1);
    writeFileSync(ws.path('numbers.json'), '[1, 2]');
    expect((await ws.run(['add', '--file', 'numbers.json'])).code).toBe(3);
  });

  function writeJson(name: string, value: unknown): string {
    writeFileSync(ws.path(name), JSON.stringify(value));
    return ws.path(name);
  }
});

describe('kb feedback', () => {
  beforeEach(async () => {
    await ws.init();
  });

  it('records success and failure and prints the usage counters', async () => {
    const id = await addOne();
    await ws.ok(['feedback', id, '--success']);
    const counters = await ws.ok(['feedback', id, '--failure']);
    expect(counters).toMatchObject({ id, successCount: 1, failureCount: 1, successRate: 0.5 });
    const entry = await ws.ok(['get', id]);
    expect(entry).toMatchObject({ successCount: 1, failureCount: 1 });
  });

  it('exits 4 for an unknown id', async () => {
    await ws.ok(['init']);
    const result = await ws.run(['--json', 'feedback', 'nope', '--success']);
    expect(result.code).toBe(4);
    expect(result.errorJson().error.code).toBe('NOT_FOUND');
  });
});

describe('kb search', () => {
  beforeEach(async () => {
    await ws.init();
  });

  it('prints results with exactly the fields of CLI.md', async () => {
    const id = await addOne(['--tag', 's0c7']);
    await ws.ok([
      'add',
      '--title',
      'IEF212I not catalogued',
      '--problem',
      'JCL',
      '--solution',
      'x',
      '--category',
      'JCL',
    ]);
    const doc = await ws.ok(['search', 'S0C7']);
    // The table's fields, then the facets this search produced (CLI.md); nothing was corrected.
    expect(Object.keys(doc)).toEqual(['results', 'total', 'tookMs', 'facets']);
    expect(doc.facets.category).toEqual([{ value: 'COBOL', count: 1 }]);
    expect(doc.total).toBe(1);
    expect(typeof doc.tookMs).toBe('number');
    expect(doc.results).toHaveLength(1);
    const [hit] = doc.results;
    expect(Object.keys(hit)).toEqual(['id', 'title', 'score', 'snippet', 'category', 'severity', 'tags']);
    expect(hit).toMatchObject({
      id,
      title: 'S0C7 in PAYROLL',
      category: 'COBOL',
      severity: 'medium',
      tags: ['s0c7'],
    });
    expect(typeof hit.score).toBe('number');
    expect(hit.snippet).toMatch(/<mark>S0C7<\/mark>/i);
  });

  it('filters by category and tag and honours --limit', async () => {
    await addOne(['--tag', 'batch']);
    await ws.ok([
      'add',
      '--title',
      'S0C7 in CICS',
      '--problem',
      'ASRA S0C7',
      '--solution',
      'x',
      '--category',
      'CICS',
    ]);
    expect((await ws.ok(['search', 'S0C7'])).total).toBe(2);
    const cics = await ws.ok(['search', 'S0C7', '--category', 'CICS']);
    expect(cics.results.map((r: { title: string }) => r.title)).toEqual(['S0C7 in CICS']);
    const tagged = await ws.ok(['search', 'S0C7', '--tag', 'batch']);
    expect(tagged.results.map((r: { title: string }) => r.title)).toEqual(['S0C7 in PAYROLL']);
    const limited = await ws.ok(['search', 'S0C7', '--limit', '1']);
    expect(limited.results).toHaveLength(1);
    expect(limited.total).toBe(2);
  });

  it('refuses any bad --limit as a usage error (exit 2), a bad severity as rejected input (exit 3)', async () => {
    for (const limit of ['0', 'abc', '101', '-1', '1.5']) {
      const result = await ws.run(['--json', 'search', 'x', '--limit', limit]);
      expect(result.code, limit).toBe(2);
      expect(result.errorJson().error.message).toBe(
        `--limit takes a whole number from 1 to 100, not '${limit}'`,
      );
    }
    expect((await ws.run(['search', 'x', '--limit', '100'])).code).toBe(0);
    expect((await ws.run(['search', 'x', '--severity', 'urgent'])).code).toBe(3);
  });

  it('takes a filter alone as the query: --category X finds what category:X does', async () => {
    await addOne();
    const byFlag = await ws.ok(['search', '--category', 'COBOL']);
    const byQuery = await ws.ok(['search', 'category:COBOL']);
    expect(byFlag.total).toBe(1);
    expect(byFlag.results.map((r: { id: string }) => r.id)).toEqual(
      byQuery.results.map((r: { id: string }) => r.id),
    );
    const nothing = await ws.run(['--json', 'search']);
    expect(nothing.code).toBe(2);
    expect(nothing.errorJson().error.message).toMatch(/needs a query/);
  });

  it('shows matched terms in brackets when stdout is not a terminal, in bold when it is', async () => {
    await addOne();
    const plain = await ws.run(['search', 'S0C7']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('S0C7 in PAYROLL');
    expect(plain.stdout).toMatch(/\[S0C7\]/i);
    expect(plain.stdout).not.toContain('<mark>');
    expect(plain.stdout).not.toContain('\x1b[');

    const tty = await ws.run(['search', 'S0C7'], { isTTY: true });
    expect(tty.stdout.toLowerCase()).toContain('\x1b[1ms0c7\x1b[22m');
    expect(tty.stdout).not.toContain('<mark>');

    const noColor = await ws.run(['search', 'S0C7'], { isTTY: true, env: { NO_COLOR: '1' } });
    expect(noColor.stdout).not.toContain('\x1b[1m');
  });

  it('takes a query written as several words, and negative numbers as words', async () => {
    await ws.ok([
      'add',
      '--title',
      'SQLCODE -911 deadlock',
      '--problem',
      'rollback',
      '--solution',
      'retry',
      '--category',
      'DB2',
    ]);
    const doc = await ws.ok(['search', 'SQLCODE', '-911']);
    expect(doc.results[0]?.title).toBe('SQLCODE -911 deadlock');
  });
});

describe('where the store is', () => {
  it('uses --db, sqlite:<path>, $KB_DATABASE_URL, then ./kb.db', async () => {
    await ws.ok(['--db', 'a.db', 'init']);
    expect(existsSync(ws.path('a.db'))).toBe(true);
    await ws.ok(['init', '--db', 'sqlite:b.db']);
    expect(existsSync(ws.path('b.db'))).toBe(true);
    await ws.ok(['init'], { env: { KB_DATABASE_URL: 'sqlite:c.db' } });
    expect(existsSync(ws.path('c.db'))).toBe(true);
    expect(existsSync(ws.path('kb.db'))).toBe(false);
    // --db wins over the environment.
    await ws.ok(['--db', 'd.db', 'init'], { env: { KB_DATABASE_URL: 'c.db' } });
    expect(existsSync(ws.path('d.db'))).toBe(true);
  });

  it('keeps entries apart per database', async () => {
    await ws.init(['--db', 'one.db']);
    await ws.ok(['--db', 'one.db', 'add', ...S0C7]);
    expect((await ws.ok(['--db', 'one.db', 'init'])).entries).toBe(1);
    expect((await ws.ok(['--db', 'two.db', 'init'])).entries).toBe(0);
  });

  it('reads ./kb.config.json when present; its relative database path is relative to the file', async () => {
    mkdirSync(ws.path('conf'));
    writeFileSync(ws.path('conf/kb.config.json'), JSON.stringify({ database: { path: 'from-config.db' } }));
    await ws.ok(['--config', 'conf/kb.config.json', 'init']);
    expect(existsSync(ws.path('conf/from-config.db'))).toBe(true);

    writeFileSync(ws.path('kb.config.json'), JSON.stringify({ database: { path: 'default-config.db' } }));
    await ws.ok(['init']);
    expect(existsSync(ws.path('default-config.db'))).toBe(true);
  });

  it('only kb init creates a store: any other command on a missing one exits 4 naming it', async () => {
    await ws.init();
    await ws.ok(['add', ...S0C7]);
    for (const args of [
      ['search', 'S0C7'],
      ['add', ...S0C7],
      ['get', 'x'],
      ['health'],
      ['migrate', 'status'],
      ['export', '--format', 'json', '--out', 'out.json'],
    ]) {
      const result = await ws.run(['--json', '--db', 'typo.db', ...args]);
      expect(result.code, args.join(' ')).toBe(4);
      expect(result.errorJson().error.code).toBe('NOT_FOUND');
      expect(result.errorJson().error.message).toContain(ws.path('typo.db'));
      expect(result.errorJson().error.message).toContain('kb init');
      expect(existsSync(ws.path('typo.db')), 'nothing is created').toBe(false);
    }
    const viaEnv = await ws.run(['search', 'S0C7'], { env: { KB_DATABASE_URL: 'sqlite:elsewhere.db' } });
    expect(viaEnv.code).toBe(4);
    expect(viaEnv.stderr).toContain(ws.path('elsewhere.db'));
    expect(existsSync(ws.path('elsewhere.db'))).toBe(false);
    // The store that exists is untouched and still answers.
    expect((await ws.ok(['search', 'S0C7'])).total).toBe(1);
  });

  it('refuses an invalid config with exit 2', async () => {
    writeFileSync(ws.path('bad.json'), JSON.stringify({ database: { busyTimeoutMs: -1 } }));
    const invalid = await ws.run(['--json', '--config', 'bad.json', 'init']);
    expect(invalid.code).toBe(2);
    expect(invalid.errorJson().error.code).toBe('CONFIG_INVALID');
    expect(invalid.errorJson().error.message).toMatch(/busyTimeoutMs/);

    writeFileSync(ws.path('not-json.json'), '{');
    expect((await ws.run(['--config', 'not-json.json', 'init'])).code).toBe(2);
    expect((await ws.run(['--config', 'missing.json', 'init'])).code).toBe(2);
  });
});

describe('schema, plugins, health', () => {
  beforeEach(async () => {
    await ws.init();
  });

  it('kb migrate status lists the applied core migrations and nothing pending', async () => {
    await ws.ok(['init']);
    const status = await ws.ok(['migrate', 'status']);
    const core = status.namespaces.find((n: { namespace: string }) => n.namespace === 'core');
    expect(core.applied.length).toBeGreaterThan(0);
    expect(core.pending).toEqual([]);
    expect(status.pendingCount).toBe(0);
  });

  it('kb migrate plan on an up-to-date store plans nothing', async () => {
    await ws.ok(['init']);
    expect((await ws.ok(['migrate', 'plan'])).steps).toEqual([]);
    expect((await ws.run(['migrate', 'plan'])).stdout).toMatch(/Nothing to migrate up/);
  });

  it('kb migrate down then up rolls a migration back and applies it again', async () => {
    await ws.ok(['init']);
    const status = await ws.ok(['migrate', 'status']);
    const core = status.namespaces.find((n: { namespace: string }) => n.namespace === 'core');
    const [first, second] = core.applied.map((m: { id: string }) => m.id);
    const down = await ws.ok(['migrate', 'down', '--to', `core:${first}`]);
    expect(down.results.length).toBeGreaterThan(0);
    expect(down.results.every((r: { status: string }) => r.status === 'reverted')).toBe(true);

    const after = await ws.ok(['migrate', 'status']);
    expect(after.pendingCount).toBe(down.results.length);
    expect(after.namespaces.find((n: { namespace: string }) => n.namespace === 'core').held).toMatchObject({
      to: `core:${first}`,
    });
    // Core rolled back on purpose: an ordinary command neither migrates it nor runs on missing tables.
    const refused = await ws.run(['--json', 'search', 'S0C7']);
    expect(refused.code).toBe(1);
    expect(refused.errorJson().error.message).toMatch(/rolled back to core:.*migrate up/);
    expect((await ws.ok(['migrate', 'status'])).pendingCount).toBe(down.results.length);
    const plan = await ws.ok(['migrate', 'plan']);
    expect(plan.steps.map((s: { id: string }) => s.id)).toContain(second);

    const up = await ws.ok(['migrate', 'up']);
    expect(up.results).toHaveLength(down.results.length);
    expect((await ws.ok(['migrate', 'status'])).pendingCount).toBe(0);
  });

  it('a plugin namespace rolled back stays there: other commands run, its own say why, until migrate up', async () => {
    const pending = async () => (await ws.ok(['migrate', 'status'])).pendingCount as number;
    const patterns = (await ws.ok(['migrate', 'status'])).namespaces.find(
      (n: { namespace: string }) => n.namespace === 'patterns',
    );
    const down = await ws.ok(['migrate', 'down', '--to', 'patterns:']);
    expect(down.results.map((r: { status: string }) => r.status)).toEqual(down.results.map(() => 'reverted'));
    expect(down.results.length).toBeGreaterThanOrEqual(patterns.applied.length);
    const held = await pending();
    expect(held).toBe(down.results.length);

    // Ordinary commands work and leave the rollback alone.
    await ws.ok(['add', '--title', 'T', '--problem', 'p', '--solution', 's', '--category', 'Other']);
    expect((await ws.ok(['search', 'T'])).total).toBe(1);
    expect(await pending()).toBe(held);
    const text = await ws.run(['migrate', 'status']);
    expect(text.stdout).toMatch(/held: patterns was rolled back to patterns: on .*kb migrate up/);
    // The rolled-back plugin's own commands say why they cannot run.
    const list = await ws.run(['--json', 'patterns', 'list']);
    expect(list.code).toBe(1);
    expect(list.errorJson().error).toMatchObject({
      code: 'EXTENSION_NOT_ENABLED',
      message: expect.stringMatching(/rolled back to patterns: .*migrate up/),
    });

    const up = await ws.ok(['migrate', 'up']);
    expect(up.results.every((r: { status: string }) => r.status === 'applied')).toBe(true);
    expect(await pending()).toBe(0);
    expect((await ws.ok(['migrate', 'status'])).namespaces.some((n: { held?: unknown }) => n.held)).toBe(
      false,
    );
    expect((await ws.run(['patterns', 'list'])).code).toBe(0);
  });

  it('kb plugins lists the enabled plugins: without a config, every installed one', async () => {
    const { plugins } = await ws.ok(['plugins']);
    expect(plugins.map((p: { id: string }) => p.id).sort()).toEqual([
      'analytics',
      'backup',
      'code',
      'io-formats',
      'patterns',
      'templates',
    ]);
  });

  it('kb plugins shows the commands, flat methods and tables each plugin brings', async () => {
    const { plugins } = await ws.ok(['plugins']);
    const patterns = plugins.find((p: { id: string }) => p.id === 'patterns');
    expect(patterns.commands).toEqual(['patterns', 'incidents']);
    expect(patterns.provides).toEqual(['createPattern', 'getPatterns', 'updatePattern']);
    expect(patterns.tables).toContain('incidents');
    const backup = plugins.find((p: { id: string }) => p.id === 'backup');
    expect(backup.commands).toEqual(['backup', 'restore']);
    const code = plugins.find((p: { id: string }) => p.id === 'code');
    expect(code.commands).toEqual(['code']);
    const analytics = plugins.find((p: { id: string }) => p.id === 'analytics');
    expect(analytics.commands).toEqual(['analytics']);
    expect(analytics.provides).toEqual(['storePrediction', 'getAnalytics']);
    expect(analytics.tables).toContain('ml_model_chunks');
    expect(code.provides).toEqual(['storeCodeAnalysis', 'getCodeAnalysis', 'linkCodeToKB']);
    const text = (await ws.run(['plugins'])).stdout;
    expect(text).toMatch(/^patterns \S+ \(MVP2, @mainframe-kb\/plugin-patterns\)$/m);
    expect(text).toMatch(/^ {2}commands +kb patterns, kb incidents$/m);
    expect(text).toMatch(/^ {2}methods +createPattern, getPatterns, updatePattern$/m);
    expect(text).toMatch(/^ {2}tables +incidents, /m);
  });

  it('a config file that names extensions enables only those', async () => {
    writeFileSync(ws.path('kb.config.json'), JSON.stringify({ mvp: { extensions: [{ id: 'patterns' }] } }));
    const { plugins } = await ws.ok(['plugins']);
    expect(plugins.map((p: { id: string }) => p.id)).toEqual(['patterns']);
    const refused = await ws.run(['--json', 'export', '--format', 'json', '--out', ws.path('x.json')]);
    expect(refused.code).toBe(1);
    expect(refused.errorJson().error.code).toBe('EXTENSION_NOT_ENABLED');
  });

  it('kb health reports healthy probes and exits 0', async () => {
    const health = await ws.ok(['health']);
    expect(health.status).not.toBe('unhealthy');
    expect(health.probes.map((p: { name: string }) => p.name)).toContain('integrity');
  });

  it('kb metrics and kb optimize report on the store', async () => {
    await addOne();
    const metrics = await ws.ok(['metrics']);
    expect(metrics.database.entries).toBe(1);
    const optimized = await ws.ok(['optimize']);
    expect(optimized.steps.length).toBeGreaterThan(0);
    expect((await ws.run(['metrics'])).stdout).toMatch(/1 entries/);
  });

  it('kb metrics in a new process reports the store’s recorded search latency, and says what is per-process', async () => {
    await addOne();
    for (const q of ['S0C7', 'PAYROLL', 'packed field']) await ws.ok(['search', q]);
    // Each kb run is a new process: the searches above were timed by three other processes.
    const metrics = await ws.ok(['metrics']);
    expect(metrics.scope).toEqual({
      operations: 'process',
      counters: 'process',
      cache: 'process',
      database: 'store',
      searches: 'store',
    });
    expect(metrics.searches.count).toBe(3);
    expect(metrics.searches.p95).toBeGreaterThan(0);
    expect(metrics.searches.p50).toBeLessThanOrEqual(metrics.searches.p95);
    const text = (await ws.run(['metrics'])).stdout;
    expect(text).toMatch(/searches recorded in the store: 3 from /);
    expect(text).toMatch(/this kb process only/);
  });
});
