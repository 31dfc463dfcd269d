import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type DomainImportInput,
  type FieldValue,
  isStorageError,
  type RecordLocation,
  type Storage,
  StorageErrorCode,
} from '@mainframe-kb/storage-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { incidentIdOf, type PatternCriticalEvent, patternsPlugin } from '../src/index.js';
import { generateIncidentStream, overlap } from './support/incident-stream.js';
import { openStore, type TempDir, tempDir } from './support/store.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isStorageError(error), `expected a StorageError ${code}, got ${String(error)}`).toBe(true);
  expect((error as { code: string }).code).toBe(code);
}

/** What the import pipeline hands a domain importer, for a file held in memory. */
function importInput(text: string, fileName: string): DomainImportInput {
  const bytes = new TextEncoder().encode(text);
  return {
    source: {
      size: bytes.length,
      read: async (offset, length) => bytes.slice(offset, offset + length),
      async *stream() {
        yield bytes;
      },
    },
    head: bytes.slice(0, 512),
    fileName,
    format: undefined,
    limits: { maxRecordBytes: 1 << 20, maxDepth: 64, maxRecords: 100_000, maxDecompressedBytes: 1 << 26 },
    options: {},
    readRecords: () => {
      throw new Error('the patterns importers parse their sources themselves');
    },
  };
}

async function rowCount(storage: Storage, table: string): Promise<number> {
  return (await storage.rowCounts([table]))[table] ?? 0;
}

let dir: TempDir;
let path: string;
let storage: Storage;

beforeEach(async () => {
  dir = tempDir();
  path = join(dir.path, 'kb.db');
  storage = await openStore(path);
});
afterEach(async () => {
  await storage.close();
  dir.remove();
});

const api = () => storage.plugin(patternsPlugin);

describe('importIncidents', () => {
  it('imports a ServiceNow file, and re-importing it updates instead of duplicating', async () => {
    const first = await api().importIncidents('servicenow', fixture('servicenow-incidents.json'));
    expect(first).toMatchObject({
      records: 3,
      inserted: 3,
      updated: 0,
      unchanged: 0,
      errors: [],
      written: true,
    });
    const again = await api().importIncidents('servicenow', fixture('servicenow-incidents.json'));
    expect(again).toMatchObject({ records: 3, inserted: 0, updated: 0, unchanged: 3, written: true });
    expect(await rowCount(storage, 'incidents')).toBe(3);
    const changed = fixture('servicenow-incidents.json').replace('"state": "2"', '"state": "6"');
    const third = await api().importIncidents('servicenow', changed);
    expect(third).toMatchObject({ inserted: 0, updated: 1, unchanged: 2 });
    expect(await rowCount(storage, 'incidents')).toBe(3);
    const incident = await api().findIncident('servicenow', 'INC0010003');
    expect(incident).toMatchObject({ status: 'resolved', errorCodes: ['SQLCODE -911'] });
    expect(incident!.id).toBe(incidentIdOf('servicenow', 'INC0010003'));
  });

  it('imports every fixture of every source, and each re-import changes nothing', async () => {
    const files: [string, string, number][] = [
      ['servicenow', 'servicenow-incidents.json', 3],
      ['servicenow', 'servicenow-display-values.json', 2],
      ['servicenow', 'servicenow-incidents-labels.csv', 2],
      ['servicenow', 'servicenow-incidents-fields.csv', 2],
      ['jira', 'jira-search-v2.json', 2],
      ['jira', 'jira-search-v3.json', 1],
      ['splunk', 'splunk-export.ndjson', 3],
      ['splunk', 'splunk-results.json', 2],
      ['splunk', 'splunk-results.csv', 2],
    ];
    for (const [source, file, n] of files) {
      expect(await api().importIncidents(source, fixture(file)), file).toMatchObject({
        inserted: n,
        errors: [],
      });
    }
    const total = files.reduce((s, f) => s + f[2], 0);
    expect(await rowCount(storage, 'incidents')).toBe(total);
    for (const [source, file, n] of files) {
      expect(
        await api().importIncidents(source, new TextEncoder().encode(fixture(file))),
        file,
      ).toMatchObject({ inserted: 0, updated: 0, unchanged: n });
    }
    expect(await rowCount(storage, 'incidents')).toBe(total);
  });

  it('writes nothing when any record is bad, and says where', async () => {
    const result = await api().importIncidents('servicenow', fixture('servicenow-invalid.csv'));
    expect(result.written).toBe(false);
    expect(result.errors.map((e) => [e.record, e.location, e.field])).toEqual([
      [2, 'line 3', 'opened_at'],
      [3, 'line 4', 'short_description'],
    ]);
    expect(await rowCount(storage, 'incidents')).toBe(0);
  });

  it('honours onConflict skip and fail, and dryRun writes nothing', async () => {
    const file = fixture('servicenow-incidents.json');
    const dry = await api().importIncidents('servicenow', file, { dryRun: true });
    expect(dry).toMatchObject({ inserted: 3, dryRun: true, written: false });
    expect(await rowCount(storage, 'incidents')).toBe(0);
    await api().importIncidents('servicenow', file);
    const changed = file.replaceAll('"priority": "3"', '"priority": "1"');
    expect(await api().importIncidents('servicenow', changed, { onConflict: 'skip' })).toMatchObject({
      skipped: 1,
      updated: 0,
      unchanged: 2,
    });
    const failed = await api().importIncidents('servicenow', changed, { onConflict: 'fail' });
    expect(failed.written).toBe(false);
    expect(failed.errors).toHaveLength(1);
    expect(failed.errors[0]).toMatchObject({ record: 3, location: 'result[2]', field: 'ticketId' });
    expect((await api().findIncident('servicenow', 'INC0010003'))!.severity).toBe('medium');
  });

  it('refuses an unknown source and bad options with a ValidationError', async () => {
    await expectCode(api().importIncidents('remedy', '{}'), StorageErrorCode.VALIDATION);
    await expectCode(
      api().importIncidents('jira', '{}', { onConflict: 'merge' as 'skip' }),
      StorageErrorCode.VALIDATION,
    );
  });

  it('is contributed to core registry under servicenow, jira and splunk', async () => {
    const importers = storage.importers();
    expect(importers.map((i) => [i.source, i.entities])).toEqual([
      ['servicenow', ['incidents']],
      ['jira', ['incidents']],
      ['splunk', ['incidents']],
    ]);
    expect(storage.tables().map((t) => t.name)).toEqual(
      expect.arrayContaining(['incidents', 'incident_patterns', 'pattern_incidents', 'kb_pattern_links']),
    );
  });

  it("as core's DomainImporter, yields the rows of incidents and their codes, or refuses the file", async () => {
    const handler = storage.importers()[0]!.handler;
    const rows: { table: string; row: Readonly<Record<string, FieldValue>>; location: RecordLocation }[] = [];
    for await (const r of handler(importInput(fixture('servicenow-incidents.json'), 'x.json'))) {
      if (!('table' in r)) throw new Error('the patterns importers yield table rows only');
      rows.push(r);
    }
    expect(rows.map((r) => [r.table, r.location.pointer])).toEqual([
      ['incidents', '/result/0'],
      ['incident_error_codes', '/result/0'],
      ['incidents', '/result/1'],
      ['incident_error_codes', '/result/1'],
      ['incident_error_codes', '/result/1'],
      ['incidents', '/result/2'],
      ['incident_error_codes', '/result/2'],
    ]);
    expect(rows[0]!.row).toMatchObject({
      id: incidentIdOf('servicenow', 'INC0010001'),
      ticket_id: 'INC0010001',
      source: 'servicenow',
    });
    expect(rows.filter((r) => r.table === 'incident_error_codes').map((r) => r.row.code)).toEqual([
      'S0C7',
      'DFHFC0951',
      'VSAM status 35',
      'SQLCODE -911',
    ]);
    const refused = (async () => {
      for await (const _ of handler(importInput(fixture('servicenow-invalid.csv'), 'bad.csv'))) {
        // nothing is yielded from a file with bad records
      }
    })();
    await expectCode(refused, StorageErrorCode.VALIDATION);
  });
});

describe('incidents API', () => {
  it('creates, reads, updates, deletes and queries incidents', async () => {
    const a = await api().createIncident({
      ticketId: 'OPS-1',
      title: 'PAYROLL abend S0C7',
      description: 'Job PAYR0001 ended with S0C7',
      component: 'PAYROLL',
      severity: 'high',
      createdAt: '2025-04-01T10:15:00Z',
    });
    expect(a).toMatchObject({
      source: 'manual',
      status: 'open',
      errorCodes: ['S0C7'],
      createdAt: '2025-04-01T10:15:00.000Z',
    });
    await api().createIncidents([
      {
        ticketId: 'OPS-2',
        title: 'VSAM status 35 on CUSTMAST',
        component: 'CICSPROD',
        createdAt: '2025-04-01T11:00:00Z',
      },
      {
        ticketId: 'OPS-3',
        title: 'Another S0C7',
        component: 'PAYROLL',
        createdAt: '2025-04-02T09:00:00+02:00',
      },
    ]);
    await expectCode(
      api().createIncident({ ticketId: 'OPS-1', title: 'again', createdAt: '2025-04-01T10:15:00Z' }),
      StorageErrorCode.CONFLICT,
    );
    expect((await api().listIncidents({ component: 'PAYROLL' })).map((i) => i.ticketId)).toEqual([
      'OPS-1',
      'OPS-3',
    ]);
    expect((await api().listIncidents({ errorCode: 'S0C7' })).map((i) => i.ticketId)).toEqual([
      'OPS-1',
      'OPS-3',
    ]);
    expect((await api().listIncidents({ text: 'custmast' })).map((i) => i.ticketId)).toEqual(['OPS-2']);
    expect((await api().listIncidents({ text: '100%_' })).length).toBe(0);
    expect(
      (await api().listIncidents({ from: '2025-04-01T10:30:00Z', to: '2025-04-02T00:00:00Z' })).map(
        (i) => i.ticketId,
      ),
    ).toEqual(['OPS-2']);
    const updated = await api().updateIncident(a.id, {
      status: 'resolved',
      resolution: 'fixed input',
      description: 'now VSAM status 35 too',
    });
    expect(updated).toMatchObject({
      status: 'resolved',
      resolution: 'fixed input',
      errorCodes: ['S0C7', 'VSAM status 35'],
    });
    expect(await api().countIncidents({ by: 'component', interval: 'day' })).toEqual([
      { key: 'CICSPROD', bucket: '2025-04-01', count: 1 },
      { key: 'PAYROLL', bucket: '2025-04-01', count: 1 },
      { key: 'PAYROLL', bucket: '2025-04-02', count: 1 },
    ]);
    expect(await api().countIncidents({ by: 'errorCode', interval: 'hour', key: 'S0C7' })).toEqual([
      { key: 'S0C7', bucket: '2025-04-01T10', count: 1 },
      { key: 'S0C7', bucket: '2025-04-02T07', count: 1 },
    ]);
    expect(await api().deleteIncident(a.id)).toBe(true);
    expect(await api().deleteIncident(a.id)).toBe(false);
    await expectCode(api().getIncident(a.id), StorageErrorCode.NOT_FOUND);
  });

  it('refuses bad input with a ValidationError and writes nothing', async () => {
    const before = await rowCount(storage, 'kb_audit');
    await expectCode(
      api().createIncident({ ticketId: '', title: 'x', createdAt: '2025-04-01' }),
      StorageErrorCode.VALIDATION,
    );
    await expectCode(
      api().createIncident({ ticketId: 'A', title: 'x', createdAt: 'yesterday' }),
      StorageErrorCode.VALIDATION,
    );
    await expectCode(
      api().createIncident({
        ticketId: 'A',
        title: 'x',
        createdAt: '2025-04-01',
        severity: 'urgent' as 'low',
      }),
      StorageErrorCode.VALIDATION,
    );
    await expectCode(
      api().createIncidents([
        { ticketId: 'A', title: 'fine', createdAt: '2025-04-01' },
        { ticketId: 'B', title: 'x', createdAt: '2025-13-01' },
      ]),
      StorageErrorCode.VALIDATION,
    );
    await expectCode(
      api().createIncident({
        ticketId: 'A',
        title: 'x',
        createdAt: '2025-04-01',
        kbEntryId: 'no-such-entry',
      }),
      StorageErrorCode.NOT_FOUND,
    );
    await expectCode(api().updateIncident('nope', { status: 'closed' }), StorageErrorCode.NOT_FOUND);
    await expectCode(api().updateIncident('nope', {}), StorageErrorCode.VALIDATION);
    await expectCode(
      api().countIncidents({ by: 'weather' as 'component', interval: 'day' }),
      StorageErrorCode.VALIDATION,
    );
    expect(await rowCount(storage, 'incidents')).toBe(0);
    expect(await rowCount(storage, 'kb_audit')).toBe(before);
  });
});

describe('patterns API and the seed flat methods', () => {
  it('createPattern, getPatterns by every criterion, updatePattern', async () => {
    const [i1, i2] = await api().createIncidents([
      { ticketId: 'P-1', title: 'S0C7 in PAYROLL', component: 'PAYROLL', createdAt: '2025-04-01T00:00:00Z' },
      { ticketId: 'P-2', title: 'S0C7 again', component: 'PAYROLL', createdAt: '2025-04-03T00:00:00Z' },
    ]);
    const id = await storage.createPattern({
      type: 'error',
      description: 'S0C7 in payroll reruns',
      confidence: 0.8,
      severity: 'high',
      component: 'PAYROLL',
      errorCode: 'S0C7',
      incidents: [i1!, { incidentId: i2!, correlationScore: 0.5 }],
    });
    const other = await storage.createPattern({
      type: 'temporal',
      description: 'night burst',
      confidence: 0.3,
      firstSeen: '2025-01-01T00:00:00Z',
      lastSeen: '2025-01-02T00:00:00Z',
    });
    const detail = await api().getPattern(id);
    expect(detail).toMatchObject({
      origin: 'manual',
      frequency: 2,
      firstSeen: '2025-04-01T00:00:00.000Z',
      lastSeen: '2025-04-03T00:00:00.000Z',
    });
    expect(detail.incidents).toEqual([
      { incidentId: i1, correlationScore: 1 },
      { incidentId: i2, correlationScore: 0.5 },
    ]);
    const ids = async (criteria: object) => (await storage.getPatterns(criteria)).map((p) => p.id);
    expect(await ids({})).toEqual([id, other]);
    expect(await ids({ type: 'temporal' })).toEqual([other]);
    expect(await ids({ type: ['error', 'temporal'], minConfidence: 0.5 })).toEqual([id]);
    expect(await ids({ severity: 'high' })).toEqual([id]);
    expect(await ids({ component: 'PAYROLL' })).toEqual([id]);
    expect(await ids({ text: 'BURST' })).toEqual([other]);
    expect(await ids({ from: '2025-03-01T00:00:00Z' })).toEqual([id]);
    expect(await ids({ to: '2025-03-01T00:00:00Z' })).toEqual([other]);
    expect(await storage.updatePattern(id, { status: 'acknowledged', confidence: 0.9 })).toBe(true);
    expect(await storage.updatePattern('pat_missing', { status: 'resolved' })).toBe(false);
    expect(await api().getPattern(id)).toMatchObject({ status: 'acknowledged', confidence: 0.9 });
  });

  it('refuses bad patterns and criteria with a ValidationError, writing nothing', async () => {
    await expectCode(
      storage.createPattern({ type: 'weird' as 'error', description: 'x', confidence: 0.5 }),
      StorageErrorCode.VALIDATION,
    );
    await expectCode(
      storage.createPattern({ type: 'error', description: 'x', confidence: 1.5 }),
      StorageErrorCode.VALIDATION,
    );
    await expectCode(
      storage.createPattern({ type: 'error', description: 'x', confidence: 0.5, incidents: ['inc_nope'] }),
      StorageErrorCode.NOT_FOUND,
    );
    await expectCode(storage.getPatterns({ minConfidence: -1 }), StorageErrorCode.VALIDATION);
    await expectCode(storage.updatePattern('x', { confidence: 2 }), StorageErrorCode.VALIDATION);
    expect(await rowCount(storage, 'incident_patterns')).toBe(0);
  });

  it('links detected patterns to matching KB entries and opens a suggestion when none matches', async () => {
    const kb = await storage.createEntry({
      title: 'S0C7 - Data Exception',
      problem: 'System completion code S0C7 occurs on invalid packed decimal data',
      solution: 'Check the input data',
      category: 'COBOL',
      tags: ['s0c7'],
    });
    const base = Date.UTC(2025, 0, 1);
    const day = 86_400_000;
    await api().createIncidents([
      ...[0, 20, 40].map((d, k) => ({
        ticketId: `S-${k}`,
        title: `Job ${k} abend S0C7`,
        component: 'PAYROLL',
        createdAt: new Date(base + d * day).toISOString(),
      })),
      ...[5, 25, 45].map((d, k) => ({
        ticketId: `W-${k}`,
        title: `Sort failed WER027A run ${k}`,
        component: 'BILLING',
        createdAt: new Date(base + d * day).toISOString(),
      })),
    ]);
    await api().detectPatterns();
    const [s0c7] = await api().getPatterns({ errorCode: 'S0C7' });
    const [wer] = await api().getPatterns({ errorCode: 'WER027A' });
    expect((await api().getPattern(s0c7!.id)).kbLinks).toMatchObject([
      { kbEntryId: kb, linkType: 'detected', score: 1 },
    ]);
    expect((await api().getPattern(s0c7!.id)).suggestion).toBeNull();
    const werDetail = await api().getPattern(wer!.id);
    expect(werDetail.kbLinks).toEqual([]);
    expect(werDetail.suggestion).toMatchObject({
      title: 'WER027A: recurring incidents',
      category: 'Utilities',
      status: 'open',
      tags: ['wer027a', 'billing'],
    });
    expect(await storage.countEntries()).toBe(1); // suggestions never become entries by themselves
    expect((await api().patternsForKbEntry(kb)).map((p) => p.id)).toEqual([s0c7!.id]);
    // Manual links survive re-detection; unlinking removes them; deleting the entry removes its links.
    await api().linkKbEntry(wer!.id, kb, 0.4);
    await api().detectPatterns();
    expect((await api().getPattern(wer!.id)).kbLinks).toMatchObject([{ kbEntryId: kb, linkType: 'manual' }]);
    expect(await api().unlinkKbEntry(wer!.id, kb)).toBe(true);
    expect(await api().unlinkKbEntry(wer!.id, kb)).toBe(false);
    await expectCode(api().linkKbEntry(wer!.id, 'no-entry'), StorageErrorCode.NOT_FOUND);
    await storage.deleteEntry(kb);
    expect(await rowCount(storage, 'kb_pattern_links')).toBe(0);
    expect((await api().setSuggestionStatus(wer!.id, 'dismissed')).status).toBe('dismissed');
    expect(await api().listSuggestions('open')).toEqual([]);
  });
});

describe('incremental detection', () => {
  it('a batch above the incremental limit runs a full detection; a new look-alike joins its text cluster', async () => {
    const stream = generateIncidentStream({ seed: 'planted-1' });
    await api().createIncidents(stream.incidents);
    const [cluster] = await api().getPatterns({ type: 'correlation' });
    expect(cluster).toMatchObject({ frequency: 5 });
    const text =
      'stopped waiting for dataset allocation of PROD.PAYROLL.D123456 on volume VOL321; the operator cancelled it, freed space on the storage group and restarted the job from its last checkpoint.';
    const joined = await api().createIncident({
      ticketId: 'NEW-1',
      title: 'Nightly job PAYR4242 stopped waiting for dataset allocation',
      description: `Nightly job PAYR4242 ${text}`,
      component: 'PAYROLL',
      createdAt: new Date(stream.end).toISOString(),
    });
    await api().createIncident({
      ticketId: 'NEW-2',
      title: 'Unrelated printer jam',
      description: 'The line printer in building 4 jammed twice this morning.',
      component: 'PAYROLL',
      createdAt: new Date(stream.end + 60_000).toISOString(),
    });
    const after = await api().getPattern(cluster!.id);
    expect(after.frequency).toBe(6);
    expect(after.description).toMatch(/^6 incidents with similar descriptions/);
    expect(after.incidents.map((m) => m.incidentId)).toContain(joined.id);
    expect(after.lastSeen).toBe(new Date(stream.end).toISOString());
  });

  it('finds recurring codes and bursts as incidents arrive, and raises pattern:critical', async () => {
    const critical: PatternCriticalEvent[] = [];
    storage.on('pattern:critical', (e) => void critical.push(e));
    const stream = generateIncidentStream({ seed: 'incremental-1' });
    // Batches below the incremental limit: each one is folded into the stored patterns.
    for (let i = 0; i < stream.incidents.length; i += 50) {
      await api().createIncidents(stream.incidents.slice(i, i + 50));
    }
    const patterns = await api().getPatterns({ limit: 1000 });
    const tickets = async (id: string) =>
      Promise.all(
        (await api().getPattern(id)).incidents.map(
          async (m) => (await api().getIncident(m.incidentId)).ticketId,
        ),
      );
    for (const e of stream.expectations.filter((x) => x.type !== 'correlation')) {
      let found = false;
      for (const p of patterns.filter((q) => q.type === e.type)) {
        if (
          (e.errorCode === undefined || p.errorCode === e.errorCode) &&
          overlap(await tickets(p.id), e.tickets) >= 0.8
        )
          found = true;
      }
      expect(found, `planted '${e.name}' was not found incrementally`).toBe(true);
    }
    expect(patterns.filter((p) => p.type === 'correlation')).toEqual([]);
    const errorIds = patterns
      .filter((p) => p.type === 'error')
      .map((p) => p.id)
      .sort();
    const criticalIds = critical.map((c) => c.pattern.id);
    expect(new Set(criticalIds).size).toBe(criticalIds.length);
    for (const p of patterns.filter((q) => q.frequency >= 5)) expect(criticalIds).toContain(p.id);
    // A full run agrees on the recurring codes.
    await api().detectPatterns();
    expect((await api().getPatterns({ type: 'error' })).map((p) => p.id).sort()).toEqual(errorIds);
  });
});
