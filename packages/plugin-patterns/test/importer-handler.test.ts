import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DomainImportInput, DomainRecord, Storage } from '@mainframe-kb/storage-core';
import { ValidationError } from '@mainframe-kb/storage-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { patternsImporterHandler } from '../src/importers/importer-registry.js';
import { patternsPlugin } from '../src/index.js';
import { openStore, type TempDir, tempDir } from './support/store.js';

// Issue 18: the importers `kb import` reaches (with --source, or by recognising the file) give the pipeline
// what it needs to import a daily pull again: rows without a KB link (a link made in the store stays), one
// ticket once, and the records they refuse named one by one.

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name));

/** What the pipeline hands an importer: the bytes as a stream only (a gzip input has no size to read at once). */
function streamed(bytes: Uint8Array, fileName: string): DomainImportInput {
  return {
    source: {
      size: Number.NaN,
      read: () => Promise.reject(new Error('a streamed input cannot be read at an offset')),
      async *stream() {
        for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
      },
    },
    head: bytes.subarray(0, 64),
    fileName,
    format: undefined,
    limits: { maxRecordBytes: 1 << 22, maxDepth: 64, maxRecords: 1_000, maxDecompressedBytes: 1 << 30 },
    options: {},
    readRecords: () => {
      throw new Error('not used by these importers');
    },
  };
}

async function rowsOf(source: string, input: DomainImportInput): Promise<DomainRecord[]> {
  const out: DomainRecord[] = [];
  for await (const record of patternsImporterHandler(source)(input)) out.push(record);
  return out;
}

const incidentRows = (records: DomainRecord[]) =>
  records.flatMap((r) => ('table' in r && r.table === 'incidents' ? [r.row] : []));

describe('the patterns importers as the import pipeline calls them', () => {
  it('read a streamed input, and yield each ticket before its error codes, without a KB link', async () => {
    const records = await rowsOf('servicenow', streamed(fixture('servicenow-incidents.json'), 'x.json'));
    const tables = records.map((r) => ('table' in r ? r.table : 'entry'));
    expect(tables[0]).toBe('incidents');
    expect(tables.filter((t) => t === 'incidents')).toHaveLength(3);
    // Every code row follows its own incident.
    let current: unknown;
    for (const r of records) {
      if (!('table' in r)) throw new Error('no KB entries expected');
      if (r.table === 'incidents') current = r.row.id;
      else expect(r.row.incident_id).toBe(current);
    }
    for (const row of incidentRows(records)) expect(Object.hasOwn(row, 'kb_entry_id')).toBe(false);
  });

  it('a ticket listed twice is imported once, as its last record says', async () => {
    const doc = JSON.parse(fixture('servicenow-incidents.json').toString('utf8')) as {
      result: Record<string, string>[];
    };
    doc.result.push({ ...(doc.result[0] as Record<string, string>), short_description: 'S0C7 again, later' });
    const records = await rowsOf('servicenow', streamed(Buffer.from(JSON.stringify(doc)), 'x.json'));
    const rows = incidentRows(records);
    expect(rows).toHaveLength(3);
    expect(rows.filter((r) => r.ticket_id === 'INC0010001').map((r) => r.title)).toEqual([
      'S0C7 again, later',
    ]);
  });

  it('refused records are named one by one in details.rejected; a file of another shape is refused whole', async () => {
    const bad = await rowsOf('servicenow', streamed(fixture('servicenow-invalid.csv'), 'bad.csv')).catch(
      (e: unknown) => e,
    );
    expect(bad).toBeInstanceOf(ValidationError);
    expect((bad as ValidationError).details?.rejected).toEqual([
      expect.objectContaining({ record: 2, location: { line: 3 }, field: 'opened_at' }),
      expect.objectContaining({ record: 3, location: { line: 4 }, field: 'short_description' }),
    ]);
    const other = await rowsOf('jira', streamed(fixture('servicenow-incidents.json'), 'sn.json')).catch(
      (e: unknown) => e,
    );
    expect(other).toBeInstanceOf(ValidationError);
    expect((other as ValidationError).details?.rejected).toBeUndefined();
  });
});

describe('importIncidents keeps a KB link when the ticket comes again', () => {
  let dir: TempDir;
  let storage: Storage;

  beforeEach(async () => {
    dir = tempDir();
    storage = await openStore(join(dir.path, 'kb.db'), { incremental: false });
  });

  afterEach(async () => {
    await storage.close();
    dir.remove();
  });

  it('unchanged, and changed: the link made in the store stays', async () => {
    const api = storage.plugin(patternsPlugin);
    const file = fixture('servicenow-incidents.json');
    await api.importIncidents('servicenow', file);
    const [entryId] = await storage.createEntries([
      { title: 'S0C7 in PAYROLL', problem: 'p', solution: 's', category: 'COBOL' },
    ]);
    const [incident] = await api.listIncidents({ text: 'S0C7' });
    if (incident === undefined || entryId === undefined) throw new Error('fixture incident missing');
    await api.updateIncident(incident.id, { kbEntryId: entryId });

    expect(await api.importIncidents('servicenow', file)).toMatchObject({ unchanged: 3, updated: 0 });
    expect((await api.getIncident(incident.id)).kbEntryId).toBe(entryId);

    const changed = file
      .toString('utf8')
      .replace('PAYROLL nightly batch abended S0C7', 'PAYROLL batch S0C7 again');
    expect(await api.importIncidents('servicenow', changed)).toMatchObject({ updated: 1, unchanged: 2 });
    expect(await api.getIncident(incident.id)).toMatchObject({
      kbEntryId: entryId,
      title: 'PAYROLL batch S0C7 again',
    });
  });
});
