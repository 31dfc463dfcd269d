import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { patternsPlugin } from '@mainframe-kb/plugin-patterns';
import { createStorage, type Storage } from '@mainframe-kb/storage-core';
import { rawAccessPlugin, rawDb } from '@mainframe-kb/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importStore, ioFormatsPlugin } from '../src/index.js';
import { type TempDir, tableRows, tempDir } from './store-helpers.js';
import {
  jiraJson,
  type SeedIncident,
  seedIncidents,
  serviceNowCsv,
  serviceNowJson,
  splunkJson,
  ticketOf,
} from './support/seed-incidents.js';

// Issue 18, defect 3: the daily pull of a ServiceNow, Jira or Splunk export, imported again, is the normal case.
// Without --on-conflict, a source system's export updates by ticket key: what did not change is `unchanged`
// and nothing is written (no row, no audit row, no event); a changed ticket is `updated`, its error codes
// replaced; a KB link made in the store survives. The data: the seed-anchor incidents (seed-data.sql).

const SEED = seedIncidents();

describe('re-importing a source system export', () => {
  let dir: TempDir;
  let storage: Storage;

  beforeEach(async () => {
    dir = tempDir();
    storage = await createStorage(
      {
        database: { type: 'sqlite', path: dir.file('store.db') },
        mvp: { extensions: [{ id: 'patterns', options: { incremental: false } }] },
      },
      { plugins: [ioFormatsPlugin, patternsPlugin, rawAccessPlugin], actor: { id: 't', role: 'admin' } },
    );
  });

  afterEach(async () => {
    await storage.close();
    dir.remove();
  });

  const write = (name: string, text: string | Buffer) => {
    const file = dir.file(name);
    writeFileSync(file, text);
    return file;
  };
  /** Everything that is content: hashed tables, the audit trail and the event log, and the derived codes. */
  const state = async () => ({
    hash: (await storage.contentHash()).hash,
    audit: (await rawDb(storage).selectFrom('kb_audit').select('seq').execute()).length,
    events: (await rawDb(storage).selectFrom('kb_events').select('seq').execute()).length,
    codes: await tableRows(storage, 'incident_error_codes'),
  });
  const incident = async (ticket: string) =>
    (await rawDb(storage)
      .selectFrom('incidents')
      .selectAll()
      .where('ticket_id', '=', ticket)
      .executeTakeFirstOrThrow()) as Record<string, unknown>;

  it('a ServiceNow export imported again is unchanged record by record, and writes nothing', async () => {
    const file = write('incidents.json', serviceNowJson(SEED));
    const first = await importStore(storage, { input: file });
    expect(first).toMatchObject({ committed: true, source: 'servicenow', errors: [] });
    expect(first.records).toEqual({
      inserted: SEED.length,
      updated: 0,
      unchanged: 0,
      skipped: 0,
      rejected: 0,
    });
    expect(first.entities).toEqual({ incidents: first.records });
    const codes = (await tableRows(storage, 'incident_error_codes')).length;
    expect(first.rows.incidents?.inserted).toBe(SEED.length);
    expect(first.rows.incident_error_codes?.inserted).toBe(codes);

    const before = await state();
    const again = await importStore(storage, { input: file });
    expect(again.committed).toBe(true);
    expect(again.records).toEqual({
      inserted: 0,
      updated: 0,
      unchanged: SEED.length,
      skipped: 0,
      rejected: 0,
    });
    expect(again.rows.incident_error_codes).toMatchObject({ inserted: 0, updated: 0, unchanged: codes });
    expect(await state()).toEqual(before);
  });

  it('a changed ticket is updated (its codes replaced, its first import time kept), the rest unchanged', async () => {
    const file = write('incidents.json', serviceNowJson(SEED));
    await importStore(storage, { input: file });
    const target = SEED.findIndex((s) => /NAT3050/.test(s.description));
    expect(target).toBeGreaterThanOrEqual(0);
    const stored = await incident(ticketOf(target));
    const changed: SeedIncident[] = SEED.map((s, i) =>
      i === target ? { ...s, description: 'NATURAL program NAT9999 now ends with S0C4 after the fix' } : s,
    );
    const result = await importStore(storage, { input: write('pull-2.json', serviceNowJson(changed)) });
    expect(result.records).toEqual({
      inserted: 0,
      updated: 1,
      unchanged: SEED.length - 1,
      skipped: 0,
      rejected: 0,
    });
    const after = await incident(ticketOf(target));
    expect(after.description).toContain('S0C4');
    expect(after.imported_at).toBe(stored.imported_at);
    const codes = (await tableRows(storage, 'incident_error_codes'))
      .filter((r) => r.incident_id === after.id)
      .map((r) => r.code);
    expect(codes).toContain('S0C4');
    expect(codes).not.toContain('NAT3050');
  });

  it('a KB link made in the store survives the next pull, changed or not', async () => {
    const file = write('incidents.json', serviceNowJson(SEED));
    await importStore(storage, { input: file });
    const [entryId] = await storage.createEntries([
      { title: 'NAT3050 stack overflow', problem: 'p', solution: 's', category: 'Other' },
    ]);
    const linked = await incident(ticketOf(0));
    await rawDb(storage)
      .updateTable('incidents')
      .set({ kb_entry_id: entryId })
      .where('id', '=', linked.id as string)
      .execute();
    expect((await importStore(storage, { input: file })).records.unchanged).toBe(SEED.length);
    expect((await incident(ticketOf(0))).kb_entry_id).toBe(entryId);
    const changed = SEED.map((s, i) => (i === 0 ? { ...s, title: `${s.title} (again)` } : s));
    const result = await importStore(storage, { input: write('pull-2.json', serviceNowJson(changed)) });
    expect(result.records.updated).toBe(1);
    expect(await incident(ticketOf(0))).toMatchObject({
      kb_entry_id: entryId,
      title: expect.stringMatching(/again/),
    });
  });

  it('--on-conflict still decides: fail refuses with one error per record, skip leaves them', async () => {
    const file = write('incidents.json', serviceNowJson(SEED));
    await importStore(storage, { input: file });
    const before = await state();
    const failed = await importStore(storage, { input: file, onConflict: 'fail' });
    expect(failed.committed).toBe(false);
    expect(failed.records.rejected).toBe(SEED.length);
    // One per ticket, not one per row (a ticket and its error codes).
    expect(failed.errors).toHaveLength(SEED.length);
    expect(failed.errors[0]).toMatchObject({ reason: 'conflict', key: ticketOf(0), record: 1 });
    expect(await state()).toEqual(before);
    const skipped = await importStore(storage, { input: file, onConflict: 'skip' });
    expect(skipped.records).toMatchObject({ skipped: SEED.length, inserted: 0, updated: 0 });
    expect(await state()).toEqual(before);
  });

  it('a dry run of a changed pull reports the update and writes nothing', async () => {
    await importStore(storage, { input: write('incidents.json', serviceNowJson(SEED)) });
    const before = await state();
    const changed = SEED.map((s, i) => (i === 3 ? { ...s, priority: 'LOW' } : s));
    const dry = await importStore(storage, {
      input: write('p2.json', serviceNowJson(changed)),
      dryRun: true,
    });
    expect(dry).toMatchObject({ dryRun: true, committed: false });
    expect(dry.records).toMatchObject({ updated: 1, unchanged: SEED.length - 1 });
    expect(await state()).toEqual(before);
  });

  it('Jira, Splunk and ServiceNow CSV exports imported again are unchanged too, in batches as well', async () => {
    const files = [
      write('jira.json', jiraJson(SEED)),
      write('splunk.json', splunkJson(SEED)),
      write('servicenow.csv', serviceNowCsv(SEED)),
    ];
    for (const file of files) {
      const first = await importStore(storage, { input: file });
      expect(first.records.inserted).toBe(SEED.length);
    }
    const before = await state();
    for (const file of files) {
      expect((await importStore(storage, { input: file })).records.unchanged).toBe(SEED.length);
      const batched = await importStore(storage, { input: file, batchSize: 5 });
      expect(batched.records).toMatchObject({ unchanged: SEED.length, inserted: 0, updated: 0 });
    }
    expect(await state()).toEqual(before);
    expect(await rawDb(storage).selectFrom('incidents').select('id').execute()).toHaveLength(3 * SEED.length);
  });

  it('a gzip export named with --source is read as a stream (it has no size to read at once)', async () => {
    const file = write('incidents.json.gz', gzipSync(serviceNowJson(SEED)));
    const result = await importStore(storage, { input: file, source: 'servicenow' });
    expect(result).toMatchObject({ committed: true, errors: [] });
    expect(result.records.inserted).toBe(SEED.length);
  });

  it('records a source rejects are listed one by one, and nothing is written', async () => {
    const before = await state();
    const bad = JSON.parse(serviceNowJson(SEED.slice(0, 4))) as { result: Record<string, string>[] };
    (bad.result[1] as Record<string, string>).opened_at = '2025-02-30 10:00:00';
    delete (bad.result[3] as Record<string, string>).number;
    const result = await importStore(storage, { input: write('bad.json', JSON.stringify(bad)) });
    expect(result).toMatchObject({ committed: false, rejected: 2 });
    expect(result.records.rejected).toBe(2);
    expect(result.errors.map((e) => [e.record, e.field, e.location])).toEqual([
      [2, 'opened_at', { pointer: '/result/1' }],
      [4, 'number', { pointer: '/result/3' }],
    ]);
    expect(await state()).toEqual(before);
  });
});
