import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENTRY_KEYS, Workspace } from './cli-harness.js';

/** kb list, kb history and kb events (CLI.md, Knowledge base): what an operator reaches for after search. */

let ws: Workspace;
beforeEach(async () => {
  ws = await new Workspace().init();
});
afterEach(() => ws.remove());

async function add(title: string, category: string, extra: string[] = []): Promise<string> {
  const args = ['add', '--title', title, '--problem', 'p', '--solution', 's', '--category', category];
  return (await ws.ok<{ id: string }>([...args, ...extra])).id;
}

describe('kb list', () => {
  it('lists entries with the fields of CLI.md and the total, filtered, sorted and paged', async () => {
    const vsam = await add('VSAM status 35', 'VSAM', ['--tag', 'vsam', '--severity', 'high']);
    const s0c7 = await add('S0C7 in PAYROLL', 'COBOL', ['--tag', 'abend']);
    const jcl = await add('JCL error IEF212I', 'JCL', ['--tag', 'abend']);

    const all = await ws.ok(['list']);
    expect(all.total).toBe(3);
    expect(Object.keys(all.entries[0])).toEqual([...ENTRY_KEYS]);

    expect((await ws.ok(['list', '--category', 'VSAM'])).entries.map((e: { id: string }) => e.id)).toEqual([
      vsam,
    ]);
    expect((await ws.ok(['list', '--severity', 'high'])).total).toBe(1);
    const tagged = await ws.ok(['list', '--tag', 'abend', '--sort', 'title']);
    expect(tagged.entries.map((e: { id: string }) => e.id)).toEqual([jcl, s0c7]);

    // Newest first; then the most used first (none is used yet: ties keep the order they were added in).
    expect((await ws.ok(['list', '--sort', 'created', '--limit', '1'])).entries[0].id).toBe(jcl);
    expect((await ws.ok(['list', '--sort', 'used'])).entries.map((e: { id: string }) => e.id)).toEqual([
      vsam,
      s0c7,
      jcl,
    ]);

    const byTitle = ['JCL error IEF212I', 'S0C7 in PAYROLL', 'VSAM status 35'];
    const page2 = await ws.ok(['list', '--sort', 'title', '--limit', '1', '--offset', '1']);
    expect(page2.entries.map((e: { title: string }) => e.title)).toEqual([byTitle[1]]);
    expect(page2.total).toBe(3);

    const text = await ws.run(['list', '--sort', 'title']);
    expect(text.stdout).toMatch(/^ID +TITLE +CATEGORY/);
    expect(text.stdout).toContain('1–3 of 3 entries');
  });

  it('refuses a bad --sort, --limit or --offset as usage (exit 2) and a bad severity as rejected input (3)', async () => {
    for (const args of [
      ['--sort', 'size'],
      ['--limit', '0'],
      ['--limit', '1001'],
      ['--offset', '-1'],
    ]) {
      const result = await ws.run(['--json', 'list', ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.errorJson().error.code).toBe('USAGE');
    }
    expect((await ws.run(['list', '--severity', 'urgent'])).code).toBe(3);
  });
});

describe('kb history', () => {
  it('shows the searches newest first, with --limit and --since', async () => {
    await add('VSAM status 35', 'VSAM');
    await ws.ok(['search', 'VSAM']);
    const between = new Date().toISOString();
    await ws.ok(['search', 'status', '35']);
    const { searches } = await ws.ok(['history']);
    expect(searches.map((s: { query: string }) => s.query)).toEqual(['status 35', 'VSAM']);
    expect(searches[0]).toMatchObject({ resultCount: 1, topResultId: expect.any(String) });
    expect((await ws.ok(['history', '--limit', '1'])).searches).toHaveLength(1);
    const since = await ws.ok(['history', '--since', between]);
    expect(since.searches.map((s: { query: string }) => s.query)).toEqual(['status 35']);
    expect((await ws.run(['history', '--since', 'yesterday'])).code).toBe(3);
    expect((await ws.run(['history', '--limit', 'many'])).code).toBe(2);
  });
});

describe('kb events', () => {
  it('replays the durable log in order, by type and time, and pages with --after', async () => {
    const a = await add('A entry', 'Other');
    const mark = new Date().toISOString();
    const b = await add('B entry', 'Other');
    await ws.ok(['delete', a]);

    const { events, more } = await ws.ok(['events']);
    expect(more).toBe(false);
    expect(events.map((e: { type: string }) => e.type)).toEqual([
      'entry:created',
      'entry:created',
      'entry:deleted',
    ]);
    const seqs = events.map((e: { seq: number }) => e.seq);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);

    const deleted = await ws.ok(['events', '--type', 'entry:deleted']);
    expect(deleted.events).toHaveLength(1);
    expect(JSON.stringify(deleted.events[0].payload)).toContain(a);

    const fromMark = await ws.ok(['events', '--from', mark, '--type', 'entry:created']);
    expect(JSON.stringify(fromMark.events)).toContain(b);
    expect(JSON.stringify(fromMark.events)).not.toContain(a);

    const first = await ws.ok(['events', '--limit', '1']);
    expect(first.more).toBe(true);
    const rest = await ws.ok(['events', '--after', String(first.events[0].seq)]);
    expect(rest.events.map((e: { seq: number }) => e.seq)).toEqual(seqs.slice(1));

    expect((await ws.run(['events', '--from', 'noon'])).code).toBe(3);
    expect((await ws.run(['events', '--after', 'x'])).code).toBe(2);
  });
});
