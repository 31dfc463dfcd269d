import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage } from '@mainframe-kb/storage-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDemoApp } from '../src/app.js';
import { TokenTable } from '../src/tokens.js';
import { type Fixture, GRANTS, openFixture, TOKENS } from './support/demo-fixture.js';
import { natural, SEED, serviceNowCsv, serviceNowJson, serviceNowRecords } from './support/seed-incidents.js';

let f: Fixture;

beforeEach(async () => {
  f = await openFixture();
});

afterEach(async () => {
  await f.close();
});

const upload = (role: 'viewer' | 'editor' | 'admin', query: string, body: string | Uint8Array) =>
  f.call(role, 'POST', `/api/incidents/import?${query}`, body, {
    'content-type': 'application/octet-stream',
  });

async function importSeed() {
  const response = await upload('editor', 'source=servicenow', serviceNowJson());
  expect(response.status).toBe(200);
  return response.json();
}

describe('seed-anchor data', () => {
  it('has the 23 incidents of seed-data.sql, NATURAL among them', () => {
    expect(SEED).toHaveLength(23);
    expect(SEED[0]).toEqual({
      title: 'MQ Queue Manager Not Starting',
      description:
        'WebSphere MQ queue manager QMGR1 fails to start after system IPL. Error message indicates lock contention.',
      area: 'MQ',
      status: 'OPEN',
      priority: 'CRITICAL',
    });
    expect(natural.description).toContain('NAT3050');
  });
});

describe('importing incidents', () => {
  it('imports a ServiceNow Table API export and reports the counts; again, everything is unchanged', async () => {
    const result = await importSeed();
    expect(result).toEqual({
      source: 'servicenow',
      records: 26,
      inserted: 26,
      updated: 0,
      unchanged: 0,
      skipped: 0,
      errors: [],
      dryRun: false,
      written: true,
    });
    const again = await upload('editor', 'source=servicenow', serviceNowJson());
    expect(await again.json()).toMatchObject({ records: 26, inserted: 0, unchanged: 26, written: true });

    const first = await f.json('viewer', 'GET', '/api/incidents?limit=1');
    expect(first.body.incidents[0]).toMatchObject({
      source: 'servicenow',
      ticketId: 'INC0020001',
      title: 'MQ Queue Manager Not Starting',
      component: 'MQ',
      severity: 'critical',
      status: 'open',
      createdAt: '2025-03-01T00:00:00.000Z',
    });
  });

  it('answers a dry run with the counts and writes nothing', async () => {
    const before = await f.storage.contentHash();
    const response = await upload('editor', 'source=servicenow&dryRun=true', serviceNowJson());
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ records: 26, inserted: 26, dryRun: true, written: false });
    expect(await f.storage.contentHash()).toEqual(before);
  });

  it('refuses a CSV export with bad records: a 422 naming each record, and nothing written', async () => {
    const rows = serviceNowRecords().slice(0, 4);
    rows[1] = { ...rows[1]!, opened_at: '2025-02-30 10:00:00' };
    rows[2] = { ...rows[2]!, opened_at: '' };
    const before = await f.storage.contentHash();
    const response = await upload('editor', 'source=servicenow', serviceNowCsv(rows));
    expect(response.status).toBe(422);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const body = await response.json();
    expect(body.code).toBe('VALIDATION');
    expect(body.detail).toBe(
      '2 of the 4 records of the servicenow file cannot be imported; nothing was written',
    );
    expect(body.details).toMatchObject({ records: 4, inserted: 0, written: false });
    expect(
      body.details.errors.map((e: { record: number; location: string; field: string }) => [
        e.record,
        e.location,
        e.field,
      ]),
    ).toEqual([
      [2, 'line 3', 'opened_at'],
      [3, 'line 4', 'opened_at'],
    ]);
    expect(body.issues[0]).toEqual({
      path: 'line 3.opened_at',
      message: "'2025-02-30 10:00:00' is not a date (expected YYYY-MM-DD HH:MM:SS)",
    });
    expect(body.issues[1]).toEqual({ path: 'line 4.opened_at', message: 'is required' });
    expect(await f.storage.contentHash()).toEqual(before);

    // The same rows, all valid, import from CSV.
    const good = await upload('editor', 'source=servicenow', serviceNowCsv(serviceNowRecords().slice(0, 4)));
    expect(await good.json()).toMatchObject({ records: 4, inserted: 4, errors: [] });
  });

  it('refuses what is not an export at all, an empty body and an unknown source, leaving the store unchanged', async () => {
    const before = await f.storage.contentHash();
    const notJson = await upload('editor', 'source=jira', '{"issues": [');
    expect(notJson.status).toBe(422);
    const body = await notJson.json();
    expect(body.details.errors).toHaveLength(1);
    expect(body.details.errors[0]).toMatchObject({ record: 0, location: 'file', field: null });
    expect(body.details.errors[0].message).toMatch(/^not JSON: /);

    const empty = await f.json('editor', 'POST', '/api/incidents/import?source=splunk', undefined);
    expect(empty).toMatchObject({ status: 422, body: { code: 'VALIDATION' } });
    expect(empty.body.detail).toBe('the upload is empty: send the splunk export file as the request body');

    const unknown = await upload('editor', 'source=remedy', serviceNowJson());
    expect(unknown.status).toBe(422);
    expect((await unknown.json()).issues.map((i: { path: string }) => i.path)).toEqual(['source']);
    expect(await f.storage.contentHash()).toEqual(before);
  });
});

describe('incidents', () => {
  beforeEach(importSeed);

  it('lists and filters incidents, a page at a time', async () => {
    const critical = await f.json('viewer', 'GET', '/api/incidents?severity=critical');
    expect(critical.body.incidents.map((i: { title: string }) => i.title)).toEqual([
      'MQ Queue Manager Not Starting',
      'RACF Password Sync Issues',
      'DATACOM Database Corruption',
      'Complex Integration Issue',
    ]);
    const resolved = await f.json('viewer', 'GET', '/api/incidents?status=resolved');
    expect(resolved.body.incidents.map((i: { component: string }) => i.component)).toEqual(['USS', 'HSM']);
    const code = await f.json('viewer', 'GET', '/api/incidents?errorCode=NAT3050');
    expect(code.body.incidents.map((i: { ticketId: string }) => i.ticketId)).toEqual([
      'INC0020013',
      'INC0030001',
      'INC0030002',
      'INC0030003',
    ]);
    // The program name NAT9999 reads as a NATURAL message id too: the plugin's extractor takes both.
    expect(code.body.incidents[0].errorCodes).toEqual(['NAT3050', 'NAT9999']);
    const text = await f.json('viewer', 'GET', '/api/incidents?text=tape%20mount');
    expect(text.body.incidents.map((i: { title: string }) => i.title)).toEqual(['HSM Migration Issues']);
    const window = await f.json('viewer', 'GET', '/api/incidents?from=2025-03-07&to=2025-03-07T03:30:00Z');
    expect(window.body.incidents.map((i: { createdAt: string }) => i.createdAt)).toEqual([
      '2025-03-07T02:00:00.000Z',
      '2025-03-07T03:00:00.000Z',
    ]);

    const page1 = await f.json('viewer', 'GET', '/api/incidents?limit=10');
    expect(page1.body).toMatchObject({ offset: 0, limit: 10, hasMore: true });
    expect(page1.body.incidents).toHaveLength(10);
    const page3 = await f.json('viewer', 'GET', '/api/incidents?limit=10&offset=20');
    expect(page3.body.hasMore).toBe(false);
    expect(page3.body.incidents).toHaveLength(6);

    const bad = await f.json('viewer', 'GET', '/api/incidents?severity=urgent');
    expect(bad.status).toBe(422);
    expect(bad.body.issues[0].path).toBe('severity');
  });

  it('gives a timeline per day with the empty days, and per hour over a range', async () => {
    const days = await f.json('viewer', 'GET', '/api/incidents/timeline?interval=day&by=severity');
    expect(days.status).toBe(200);
    expect(days.body.buckets).toEqual([
      '2025-03-01',
      '2025-03-02',
      '2025-03-03',
      '2025-03-04',
      '2025-03-05',
      '2025-03-06',
      '2025-03-07',
    ]);
    expect(days.body.totals).toEqual([5, 5, 5, 5, 3, 0, 3]);
    expect(days.body.total).toBe(26);
    const series = Object.fromEntries(
      days.body.series.map((s: { key: string; counts: number[] }) => [s.key, s.counts]),
    );
    // Critical: MQ (hour 0), RACF (35), DATACOM (50), Complex Integration (100).
    expect(series.critical).toEqual([1, 1, 1, 0, 1, 0, 0]);
    // Each seed priority is one severity: the series add up to the seed's counts per priority.
    const perPriority = (p: string) => SEED.filter((s) => s.priority === p).length;
    expect(days.body.series.map((s: { key: string; total: number }) => [s.key, s.total]).sort()).toEqual(
      [
        ['critical', perPriority('CRITICAL')],
        ['high', perPriority('HIGH')],
        ['low', perPriority('LOW')],
        ['medium', perPriority('MEDIUM') + 3],
      ].sort(),
    );

    const hours = await f.json(
      'viewer',
      'GET',
      '/api/incidents/timeline?interval=hour&by=errorCode&key=NAT3050&from=2025-03-07T00:00:00Z&to=2025-03-07T06:00:00Z',
    );
    expect(hours.body.buckets).toEqual([
      '2025-03-07T00',
      '2025-03-07T01',
      '2025-03-07T02',
      '2025-03-07T03',
      '2025-03-07T04',
      '2025-03-07T05',
    ]);
    expect(hours.body.series).toEqual([{ key: 'NAT3050', counts: [0, 0, 1, 1, 1, 0], total: 3 }]);

    const tooWide = await f.json(
      'viewer',
      'GET',
      '/api/incidents/timeline?interval=hour&from=2020-01-01&to=2025-01-01',
    );
    expect(tooWide).toMatchObject({ status: 422, body: { code: 'VALIDATION' } });
  });

  it('resolves an incident and links it to the KB entry that solves it', async () => {
    const [incident] = (await f.json('viewer', 'GET', '/api/incidents?text=HSM')).body.incidents;
    const entryId = await f.storage.createEntry({
      title: 'HSM migration fails on tape mount errors',
      problem: 'DFSMShsm cannot migrate data sets to tape: mounts fail.',
      solution: 'Check the tape pool and the ARCCMDxx SETSYS TAPEMIGRATION settings.',
      category: 'Other',
    });
    const before = await f.storage.contentHash();
    const missing = await f.json('editor', 'PATCH', `/api/incidents/${incident.id}`, {
      kbEntryId: 'no-such-entry',
    });
    expect(missing).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    expect(await f.storage.contentHash()).toEqual(before);

    const changed = await f.json('editor', 'PATCH', `/api/incidents/${incident.id}`, {
      status: 'closed',
      resolution: 'Tape pool refilled.',
      kbEntryId: entryId,
    });
    expect(changed).toMatchObject({
      status: 200,
      body: { id: incident.id, status: 'closed', resolution: 'Tape pool refilled.', kbEntryId: entryId },
    });
    expect((await f.json('viewer', 'GET', `/api/incidents/${incident.id}`)).body.kbEntryId).toBe(entryId);

    expect((await f.call('editor', 'DELETE', `/api/incidents/${incident.id}`)).status).toBe(204);
    expect((await f.json('viewer', 'GET', `/api/incidents/${incident.id}`)).status).toBe(404);
    expect((await f.json('editor', 'DELETE', `/api/incidents/${incident.id}`)).status).toBe(404);
  });
});

describe('patterns', () => {
  beforeEach(importSeed);

  it('detects the recurring NAT3050 abend and shows the pattern with its incidents', async () => {
    const summary = await f.json('editor', 'POST', '/api/patterns/detect');
    expect(summary.status).toBe(200);
    expect(summary.body.incidents).toBe(26);
    expect(summary.body.byType.error).toBeGreaterThanOrEqual(1);

    const list = await f.json('viewer', 'GET', '/api/patterns?type=error&errorCode=NAT3050');
    expect(list.body.patterns).toHaveLength(1);
    const [pattern] = list.body.patterns;
    expect(pattern).toMatchObject({
      type: 'error',
      origin: 'detected',
      status: 'active',
      errorCode: 'NAT3050',
      component: 'NATURAL',
      frequency: 4,
      firstSeen: '2025-03-03T12:00:00.000Z',
      lastSeen: '2025-03-07T04:00:00.000Z',
      description: 'NAT3050 recurred in 4 incidents on NATURAL',
    });

    const detail = await f.json('viewer', 'GET', `/api/patterns/${pattern.id}?incidentLimit=2`);
    expect(detail.status).toBe(200);
    expect(detail.body.incidents).toHaveLength(4);
    expect(detail.body.incidentDetails.map((i: { ticketId: string }) => i.ticketId)).toEqual([
      'INC0020013',
      'INC0030001',
    ]);
    expect(detail.body.incidentDetails[0]).toMatchObject({
      title: 'NATURAL Program Abend',
      correlationScore: 1,
    });

    const acknowledged = await f.json('editor', 'PATCH', `/api/patterns/${pattern.id}`, {
      status: 'acknowledged',
    });
    expect(acknowledged.body.status).toBe('acknowledged');
    const active = await f.json('viewer', 'GET', '/api/patterns?status=active&type=error&errorCode=NAT3050');
    expect(active.body.patterns).toEqual([]);
    expect((await f.json('viewer', 'GET', '/api/patterns/pat-nothing')).status).toBe(404);
  });

  it('links a pattern to a KB entry, lists it from the entry, and unlinks it', async () => {
    await f.json('editor', 'POST', '/api/patterns/detect');
    const [pattern] = (await f.json('viewer', 'GET', '/api/patterns?errorCode=NAT3050')).body.patterns;
    const entryId = await f.storage.createEntry({
      title: 'NAT3050 in NATURAL batch programs',
      problem: 'A NATURAL program ends with NAT3050 when its stack overflows.',
      solution: 'Raise the ESIZE/stack size of the NATURAL session or split the program.',
      category: 'Other',
    });
    const linked = await f.json('editor', 'POST', `/api/patterns/${pattern.id}/kb-links`, {
      kbEntryId: entryId,
      score: 0.9,
    });
    expect(linked.status).toBe(200);
    expect(linked.body.kbLinks).toContainEqual(
      expect.objectContaining({ kbEntryId: entryId, linkType: 'manual', score: 0.9 }),
    );
    const fromEntry = await f.json('viewer', 'GET', `/api/entries/${entryId}/patterns`);
    expect(fromEntry.body.patterns.map((p: { id: string }) => p.id)).toEqual([pattern.id]);
    expect((await f.json('viewer', 'GET', '/api/entries/no-such-entry/patterns')).status).toBe(404);

    const missing = await f.json('editor', 'POST', `/api/patterns/${pattern.id}/kb-links`, {
      kbEntryId: 'no-such-entry',
    });
    expect(missing).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });

    expect((await f.call('editor', 'DELETE', `/api/patterns/${pattern.id}/kb-links/${entryId}`)).status).toBe(
      204,
    );
    expect((await f.json('viewer', 'GET', `/api/entries/${entryId}/patterns`)).body.patterns).toEqual([]);
    expect((await f.call('editor', 'DELETE', `/api/patterns/${pattern.id}/kb-links/${entryId}`)).status).toBe(
      404,
    );
  });

  it('lists the KB entries detection suggests, and lets an editor dismiss one', async () => {
    await f.json('editor', 'POST', '/api/patterns/detect');
    const open = await f.json('viewer', 'GET', '/api/patterns/suggestions?status=open');
    expect(open.status).toBe(200);
    const [pattern] = (await f.json('viewer', 'GET', '/api/patterns?errorCode=NAT3050')).body.patterns;
    // No KB entry mentions NAT3050: detection proposes one for the pattern.
    const suggestion = open.body.suggestions.find((s: { patternId: string }) => s.patternId === pattern.id);
    expect(suggestion).toMatchObject({ status: 'open' });
    expect(suggestion.title).toContain('NAT3050');
    const dismissed = await f.json('editor', 'PATCH', `/api/patterns/${pattern.id}/suggestion`, {
      status: 'dismissed',
    });
    expect(dismissed.body).toMatchObject({ patternId: pattern.id, status: 'dismissed' });
    const after = await f.json('viewer', 'GET', '/api/patterns/suggestions?status=open');
    expect(after.body.suggestions.map((s: { patternId: string }) => s.patternId)).not.toContain(pattern.id);
  });

  it('records a pattern by hand with its incidents, and deletes it', async () => {
    const incidents = (await f.json('viewer', 'GET', '/api/incidents?text=RACF')).body.incidents;
    const created = await f.json('editor', 'POST', '/api/patterns', {
      type: 'correlation',
      description: 'RACF problems lock users out of TSO',
      confidence: 0.6,
      incidents: incidents.map((i: { id: string }) => i.id),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ origin: 'manual', frequency: incidents.length });
    expect(created.body.incidentDetails.map((i: { title: string }) => i.title).sort()).toEqual([
      'RACF Password Sync Issues',
      'TSO User Cannot Logon',
    ]);
    expect((await f.call('editor', 'DELETE', `/api/patterns/${created.body.id}`)).status).toBe(204);
    expect((await f.json('viewer', 'GET', `/api/patterns/${created.body.id}`)).status).toBe(404);
  });
});

describe('refusals', () => {
  it("refuses a viewer's writes with 403 before the store, which stays unchanged", async () => {
    await importSeed();
    const [incident] = (await f.json('viewer', 'GET', '/api/incidents?limit=1')).body.incidents;
    const before = await f.storage.contentHash();
    const auditBefore = (await f.storage.auditRows({ limit: 1000 })).length;
    const writes: [string, string, unknown][] = [
      ['POST', '/api/incidents/import?source=servicenow', serviceNowJson()],
      ['POST', '/api/incidents/import?source=servicenow&dryRun=true', serviceNowJson()],
      ['POST', '/api/patterns/detect', undefined],
      ['PATCH', `/api/incidents/${incident.id}`, { status: 'resolved' }],
      ['DELETE', `/api/incidents/${incident.id}`, undefined],
      ['POST', '/api/incidents', { ticketId: 'X-1', title: 'x', createdAt: '2025-03-01' }],
      ['POST', '/api/patterns/some-id/kb-links', { kbEntryId: 'e' }],
      ['PATCH', '/api/patterns/some-id', { status: 'dismissed' }],
    ];
    for (const [method, path, body] of writes) {
      const response = await f.call('viewer', method, path, body);
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(await response.json()).toMatchObject({ code: 'FORBIDDEN' });
    }
    expect(await f.storage.contentHash()).toEqual(before);
    expect(await f.storage.auditRows({ limit: 1000 })).toHaveLength(auditBefore);
  });

  it('answers 501 EXTENSION_NOT_ENABLED on a store without the patterns plugin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kb-demo-nopatterns-'));
    const storage = await createStorage({ database: { path: join(dir, 'kb.db') } }, { plugins: [] });
    const demo = createDemoApp({ storage, tokens: new TokenTable(GRANTS), events: { pollMs: 50 } });
    try {
      const before = await storage.contentHash();
      for (const [method, path, body] of [
        ['GET', '/api/incidents', undefined],
        ['GET', '/api/patterns', undefined],
        ['POST', '/api/incidents/import?source=servicenow', serviceNowJson()],
      ] as const) {
        const response = await demo.app.request(path, {
          method,
          headers: { authorization: `Bearer ${TOKENS.editor}` },
          ...(body === undefined ? {} : { body }),
        });
        expect(response.status, `${method} ${path}`).toBe(501);
        expect(response.headers.get('content-type')).toBe('application/problem+json');
        expect(await response.json()).toMatchObject({ code: 'EXTENSION_NOT_ENABLED', status: 501 });
      }
      expect(await storage.contentHash()).toEqual(before);
    } finally {
      await demo.close();
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = await f.json(null, 'GET', '/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/incidents',
        '/api/incidents/import',
        '/api/incidents/timeline',
        '/api/incidents/{id}',
        '/api/patterns',
        '/api/patterns/detect',
        '/api/patterns/{id}',
        '/api/patterns/{id}/kb-links',
      ]),
    );
    const importOp = doc.body.paths['/api/incidents/import'].post;
    expect(importOp.parameters.find((p: { name: string }) => p.name === 'source').schema.enum.sort()).toEqual(
      ['jira', 'servicenow', 'splunk'],
    );
    expect(doc.body.components.schemas.IncidentImportResult).toBeDefined();
  });
});
