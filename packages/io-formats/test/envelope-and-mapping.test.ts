import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Storage } from '@mainframe-kb/storage-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EXPORT_VERSION,
  exportStore,
  IO_FORMATS_VERSION,
  reasonOf,
  toBoolean,
  toNumber,
  toTimestamp,
  type VersionedExport,
} from '../src/index.js';
import { openStore, seedStore, type TempDir, tempDir } from './store-helpers.js';

describe('the versioned export envelope', () => {
  let dir: TempDir;
  let storage: Storage;
  let envelope: VersionedExport;

  beforeAll(async () => {
    dir = tempDir();
    storage = await openStore(dir.file('store.db'));
    await seedStore(storage);
    const out = dir.file('export.json');
    await exportStore(storage, { format: 'json', out });
    envelope = JSON.parse(readFileSync(out, 'utf8')) as VersionedExport;
  });

  afterAll(async () => {
    await storage.close();
    dir.remove();
  });

  it('carries version, compatibility, metadata, data per entity, transformation log, validation results and integrity', async () => {
    expect(Object.keys(envelope)).toEqual([
      'format',
      'version',
      'backward_compatibility',
      'forward_compatibility',
      'metadata',
      'schemas',
      'data',
      'transformation_log',
      'validation_results',
      'integrity',
    ]);
    expect(envelope.integrity).toMatchObject({
      algorithm: 'sha256',
      body_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      content_hash: await storage.contentHash({
        tables: Object.keys(envelope.schemas).filter((t) => t !== 'kb_migrations'),
      }),
    });
    expect(envelope.version).toBe(EXPORT_VERSION);
    expect(envelope.backward_compatibility).toContain(EXPORT_VERSION);
    expect(envelope.forward_compatibility).toEqual(['1.0.0', EXPORT_VERSION]);
    expect(envelope.metadata).toMatchObject({
      mvp_version: 'MVP1',
      data_model_version: EXPORT_VERSION,
      export_tool_version: IO_FORMATS_VERSION,
      dialect: 'sqlite',
    });
    expect(Date.parse(envelope.metadata.exported_at)).not.toBeNaN();
    expect(envelope.metadata.schema_version).toBe(envelope.metadata.migrations.length);
    expect(Object.keys(envelope.data).sort()).toEqual(['audit', 'events', 'kb', 'schema']);
    expect(envelope.data.kb?.kb_entries).toHaveLength(3);
    expect(envelope.transformation_log).toEqual([]);
    expect(envelope.validation_results).toContainEqual({
      entity: 'kb',
      table: 'kb_entries',
      records: 3,
      ok: true,
    });
    expect(envelope.schemas.kb_entries?.primaryKey).toEqual(['id']);
  });

  it('states the package version the package.json declares', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(IO_FORMATS_VERSION).toBe(pkg.version);
  });

  it('limits an export to the chosen entities and refuses unknown ones', async () => {
    const out = dir.file('kb-only.json');
    const result = await exportStore(storage, { format: 'json', out, entities: ['kb'] });
    expect(Object.keys(result.records)).toEqual(['kb']);
    await expect(
      exportStore(storage, { format: 'json', out: dir.file('no.json'), entities: ['incidents'] }),
    ).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringContaining("'incidents'"),
    });
    await expect(exportStore(storage, { format: 'json', out })).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});

describe('ServiceNow-style value mapping', () => {
  it('reads flags as booleans and refuses anything else', () => {
    for (const yes of ['true', '1', 'Yes', 'on', true]) expect(toBoolean(yes)).toBe(true);
    for (const no of ['false', '0', 'no', 'OFF', '', null, false]) expect(toBoolean(no)).toBe(false);
    expect(reasonOf(catchError(() => toBoolean('maybe')))).toBe('BAD_VALUE');
  });

  it('reads numbers exactly or not at all', () => {
    expect(toNumber('42')).toBe(42);
    expect(toNumber('')).toBeNull();
    expect(toNumber(' -1.5 ')).toBe(-1.5);
    expect(reasonOf(catchError(() => toNumber('12345678901234567890')))).toBe('BAD_VALUE');
    expect(reasonOf(catchError(() => toNumber('12abc')))).toBe('BAD_VALUE');
  });

  it('reads date-times with an explicit zone, or in the zone the caller names, and refuses guessing', () => {
    expect(toTimestamp('2025-03-03T01:12:44Z')?.toISOString()).toBe('2025-03-03T01:12:44.000Z');
    expect(toTimestamp('2025-03-03 01:12:44+02:00')?.toISOString()).toBe('2025-03-02T23:12:44.000Z');
    expect(reasonOf(catchError(() => toTimestamp('2025-03-03 01:12:44')))).toBe('BAD_VALUE');
    expect(toTimestamp('2025-03-03 01:12:44', { timeZone: 'UTC' })?.toISOString()).toBe(
      '2025-03-03T01:12:44.000Z',
    );
    // New York is UTC-5 in winter and UTC-4 in summer (DST from 9 March 2025).
    expect(toTimestamp('2025-01-15 08:00:00', { timeZone: 'America/New_York' })?.toISOString()).toBe(
      '2025-01-15T13:00:00.000Z',
    );
    expect(toTimestamp('2025-07-15 08:00:00', { timeZone: 'America/New_York' })?.toISOString()).toBe(
      '2025-07-15T12:00:00.000Z',
    );
    expect(toTimestamp('2025-07-15 08:00:00.250', { timeZone: 'Asia/Kolkata' })?.toISOString()).toBe(
      '2025-07-15T02:30:00.250Z',
    );
    expect(toTimestamp('')).toBeNull();
    expect(reasonOf(catchError(() => toTimestamp('2025-01-01 00:00', { timeZone: 'Mars/Olympus' })))).toBe(
      'BAD_VALUE',
    );
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}
