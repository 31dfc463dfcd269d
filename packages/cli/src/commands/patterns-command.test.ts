import { patternsPlugin } from '@mainframe-kb/plugin-patterns';
import { createStorage } from '@mainframe-kb/storage-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from '../../test/cli-harness.js';

describe('kb patterns', () => {
  let ws: Workspace;

  beforeEach(async () => {
    ws = new Workspace();
    const storage = await createStorage(
      { database: { path: ws.path('kb.db') } },
      { plugins: [patternsPlugin] },
    );
    const day = 86_400_000;
    await storage.extension(patternsPlugin).createIncidents(
      [0, 10, 20, 30, 40].map((d, k) => ({
        ticketId: `INC${k}`,
        title: `PAYROLL run ${k} abended S0C7`,
        component: 'PAYROLL',
        severity: 'high' as const,
        createdAt: new Date(Date.UTC(2025, 0, 1) + d * day).toISOString(),
      })),
    );
    await storage.close();
  });

  afterEach(() => ws.remove());

  it('detect, list and show', async () => {
    const summary = await ws.ok(['--db', 'kb.db', 'patterns', 'detect']);
    expect(summary).toMatchObject({ incidents: 5, byType: { error: 1 } });
    const listed = await ws.ok(['--db', 'kb.db', 'patterns', 'list', '--type', 'error']);
    expect(listed.patterns).toHaveLength(1);
    expect(listed.patterns[0]).toMatchObject({ errorCode: 'S0C7', frequency: 5, component: 'PAYROLL' });
    const shown = await ws.ok(['--db', 'kb.db', 'patterns', 'show', listed.patterns[0].id]);
    expect(shown.incidents).toHaveLength(5);
    expect(shown.suggestion).toMatchObject({ title: 'S0C7: recurring incidents', status: 'open' });
    const text = await ws.run(['--db', 'kb.db', 'patterns', 'list']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('S0C7 recurred in 5 incidents on PAYROLL');
  });

  it('exits 4 for an unknown pattern, 3 for a bad filter, 2 for a bad action', async () => {
    expect((await ws.run(['--db', 'kb.db', 'patterns', 'show', 'pat_nope'])).code).toBe(4);
    expect((await ws.run(['--db', 'kb.db', 'patterns', 'list', '--type', 'weird'])).code).toBe(3);
    expect((await ws.run(['--db', 'kb.db', 'patterns', 'explode'])).code).toBe(2);
    expect((await ws.run(['--db', 'kb.db', 'patterns', 'list', '--limit', 'ten'])).code).toBe(2);
  });
});
