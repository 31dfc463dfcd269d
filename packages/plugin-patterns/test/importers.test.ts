import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  adfToText,
  extractErrorCodes,
  type ImportedRecord,
  importJira,
  importServiceNow,
  importSplunk,
  readCsv,
} from '../src/index.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

async function collect(records: AsyncIterable<ImportedRecord>): Promise<ImportedRecord[]> {
  const out: ImportedRecord[] = [];
  for await (const r of records) out.push(r);
  return out;
}

const incidents = (records: ImportedRecord[]) =>
  records.map((r) => {
    if (!r.ok) throw new Error(`${r.location}: ${r.field}: ${r.message}`);
    return r.incident;
  });

describe('ServiceNow importer', () => {
  it('maps Table API JSON with plain values', async () => {
    const [a, b, c] = incidents(await collect(importServiceNow(fixture('servicenow-incidents.json'))));
    expect(a).toMatchObject({
      ticketId: 'INC0010001',
      source: 'servicenow',
      title: 'PAYROLL nightly batch abended S0C7',
      component: 'PAYROLL',
      severity: 'critical',
      status: 'closed',
      createdAt: '2025-03-03T01:12:44.000Z',
      resolvedAt: '2025-03-03T04:30:00.000Z',
      resolution: 'Input file had spaces in amount field; rerun after correcting the extract.',
      metadata: {
        sysId: '9d385017c611228701d22104cc95c371',
        closeCode: 'Solved (Permanently)',
        assignmentGroup: 'Batch Operations',
      },
    });
    expect(b).toMatchObject({
      ticketId: 'INC0010002',
      severity: 'high',
      status: 'resolved',
      component: 'CICSPROD',
    });
    // An empty configuration item falls back to the business service; an empty resolved_at is no date.
    expect(c).toMatchObject({
      ticketId: 'INC0010003',
      component: 'DB2PROD',
      severity: 'medium',
      status: 'open',
      resolvedAt: null,
      resolution: null,
    });
  });

  it('maps display-value reference fields ({display_value, value, link})', async () => {
    const [a, b] = incidents(await collect(importServiceNow(fixture('servicenow-display-values.json'))));
    expect(a).toMatchObject({
      ticketId: 'INC0020001',
      component: 'PAYROLL',
      severity: 'high',
      status: 'resolved',
      createdAt: '2025-03-06T02:00:00.000Z',
      metadata: { assignmentGroup: 'Batch Operations', priority: '2 - High', state: 'Resolved' },
    });
    expect(b).toMatchObject({
      ticketId: 'INC0020002',
      component: 'BILLING',
      severity: 'low',
      status: 'open',
      resolvedAt: null,
    });
  });

  it('reads CSV exports with labels (multi-line quoted fields) and with field names', async () => {
    const labelled = incidents(await collect(importServiceNow(fixture('servicenow-incidents-labels.csv'))));
    expect(labelled).toHaveLength(2);
    expect(labelled[0]).toMatchObject({
      ticketId: 'INC0030001',
      component: 'CLAIMS',
      severity: 'critical',
      status: 'closed',
    });
    expect(labelled[0]!.description).toContain('\r\nIGZ0035S');
    expect(labelled[1]!.title).toBe('RACF violation "ICH408I" for batch user');
    const named = incidents(await collect(importServiceNow(fixture('servicenow-incidents-fields.csv'))));
    expect(named.map((i) => [i.ticketId, i.component, i.severity, i.status])).toEqual([
      ['INC0040001', 'LEDGER', 'high', 'resolved'],
      ['INC0040002', 'CICSPROD', 'critical', 'open'],
    ]);
  });

  it('reports bad records with their line and field, and keeps the good ones', async () => {
    const records = await collect(importServiceNow(fixture('servicenow-invalid.csv')));
    expect(records.map((r) => (r.ok ? ['ok', r.location] : [r.location, r.field]))).toEqual([
      ['ok', 'line 2'],
      ['line 3', 'opened_at'],
      ['line 4', 'short_description'],
    ]);
  });

  it('refuses a file that is not the Table API shape', async () => {
    const [r] = await collect(importServiceNow('{"records":[]}'));
    expect(r).toMatchObject({ ok: false, location: 'file', field: 'result' });
  });
});

describe('Jira importer', () => {
  it('maps REST v2 search results: components, labels, priority, resolution', async () => {
    const [a, b] = incidents(await collect(importJira(fixture('jira-search-v2.json'))));
    expect(a).toMatchObject({
      ticketId: 'MFOPS-101',
      source: 'jira',
      title: 'STATEMENTS job fails with SB37',
      component: 'STATEMENTS',
      severity: 'high',
      status: 'closed',
      resolution: 'Fixed',
      createdAt: '2025-03-13T23:05:12.000Z',
      resolvedAt: '2025-03-14T09:20:31.000Z',
      metadata: {
        components: ['STATEMENTS', 'BATCH'],
        labels: ['batch', 'space'],
        priority: 'High',
        issueType: 'Incident',
      },
    });
    expect(b).toMatchObject({
      ticketId: 'MFOPS-102',
      severity: 'critical',
      status: 'open',
      resolution: null,
      createdAt: '2025-03-15T09:00:00.000Z',
    });
  });

  it('turns v3 ADF descriptions into plain text', async () => {
    const [a] = incidents(await collect(importJira(fixture('jira-search-v3.json'))));
    expect(a!.description).toBe(
      'Program HRPAY10 ends with U4038 and message IGZ0037S.\n- started after Enterprise COBOL 6.4\n- reported by @Ana\nCEE3250C The system or user abend U4038 was issued.',
    );
    expect(a).toMatchObject({
      component: 'HRBATCH',
      severity: 'medium',
      status: 'resolved',
      resolution: 'Done',
    });
    expect(extractErrorCodes(a!.description!)).toEqual(['CEE3250C', 'IGZ0037S', 'U4038']);
  });

  it('renders ordered lists and hard breaks', () => {
    expect(
      adfToText({
        type: 'doc',
        content: [
          {
            type: 'orderedList',
            content: [
              {
                type: 'listItem',
                content: [{ type: 'paragraph', content: [{ type: 'text', text: 'one' }] }],
              },
              {
                type: 'listItem',
                content: [
                  {
                    type: 'paragraph',
                    content: [
                      { type: 'text', text: 'two' },
                      { type: 'hardBreak' },
                      { type: 'text', text: 'lines' },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      }),
    ).toBe('1. one\n2. two\nlines');
  });
});

describe('Splunk importer', () => {
  it('reads export NDJSON and skips preview rows', async () => {
    const records = incidents(await collect(importSplunk(fixture('splunk-export.ndjson'))));
    expect(records.map((r) => r.ticketId)).toEqual([
      'main~12~6D3E49A0-31FE-44C3-8373-C3AC6B1ABF06:12:34567',
      'main~12~6D3E49A0-31FE-44C3-8373-C3AC6B1ABF06:12:34601',
      expect.stringMatching(/^splunk-[0-9a-f]{20}$/),
    ]);
    expect(records[0]).toMatchObject({
      component: 'PAYR0001',
      severity: 'high',
      createdAt: '2025-03-20T01:02:03.000Z',
      metadata: { host: 'SYSA', sourcetype: 'zos:syslog' },
    });
    expect(records[1]!.severity).toBe('critical');
    expect(records[2]).toMatchObject({ component: 'CICSPROD', severity: 'high' });
  });

  it('reads results JSON, with ISO and epoch times', async () => {
    const records = incidents(await collect(importSplunk(fixture('splunk-results.json'))));
    expect(records.map((r) => [r.component, r.createdAt, r.severity])).toEqual([
      ['DB2PROD', '2025-03-21T10:00:00.000Z', 'high'],
      ['DB2PROD', '2025-03-21T10:00:00.000Z', 'medium'],
    ]);
    expect(extractErrorCodes(records[0]!.description!)).toEqual(['DSNT408I', 'SQLCODE -911']);
  });

  it('reads CSV with a multi-line _raw and gives the same ids on every read', async () => {
    const first = incidents(await collect(importSplunk(fixture('splunk-results.csv'))));
    const again = incidents(await collect(importSplunk(fixture('splunk-results.csv'))));
    expect(first).toHaveLength(2);
    expect(first[0]!.description!.split('\r\n')).toHaveLength(3);
    expect(first[0]!.title).toBe('IEF450I LEDG0100 STEP01 - ABEND=S0C4 U0000 REASON=00000004');
    expect(first.map((r) => r.ticketId)).toEqual(again.map((r) => r.ticketId));
    expect(extractErrorCodes(first[0]!.description!)).toEqual(['IEF450I', 'S0C4']);
  });
});

describe('CSV reader', () => {
  it('handles quotes, escaped quotes, CRLF and line breaks inside fields', () => {
    expect([...readCsv('a,b\r\n"x, y","say ""hi""\nthere"\n\nlast,\n')]).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"\nthere'] },
      { line: 5, fields: ['last', ''] },
    ]);
  });

  it('reports an unclosed quote with its line', () => {
    expect(() => [...readCsv('a\n"open\n')]).toThrow(/line 2: a quoted field is not closed/);
  });
});
