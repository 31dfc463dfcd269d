import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyStore, createStorage, type Storage, StorageError } from '../src/index.js';
import { dialectOf } from '../src/storage.js';

let dir: string;
const open: Storage[] = [];

async function store(name: string): Promise<Storage> {
  const s = await createStorage({ database: { path: join(dir, `${name}.db`) } });
  open.push(s);
  return s;
}

async function fill(s: Storage, n: number): Promise<string[]> {
  const ids = await s.createEntries(
    Array.from({ length: n }, (_, i) => ({
      title: `VSAM status 35 on FILE${i}`,
      problem: `OPEN of DD FILE${i} returns status 35: the dataset is not cataloged. Ünïcode ${'→'.repeat(i % 3)}`,
      solution: 'Define the cluster with IDCAMS DEFINE CLUSTER, then rerun the step.',
      category: i % 2 ? 'vsam' : 'jcl',
      severity: 'high' as const,
      tags: [`file${i}`, 'status-35'],
    })),
  );
  await s.recordFeedback(ids[0]!, { outcome: 'success', rating: 5, comment: 'worked' });
  await s.addRelation(ids[0]!, ids[1]!, 'related');
  await s.search('status 35');
  return ids;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kb-copy-'));
});

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('copyStore', () => {
  it('copies every table, verifies the content hash, and the copy searches and accepts writes', async () => {
    const source = await store('source');
    const ids = await fill(source, 30);
    const target = await store('target');
    const progress: number[] = [];
    const result = await copyStore(source, target, {
      batchSize: 7,
      onProgress: (p) => progress.push(p.totalRows),
    });
    expect(result.copied).toBe(true);
    expect(result.rows.kb_entries).toBe(30);
    expect(result.rows.kb_tags).toBe(60);
    expect(result.rows.kb_audit).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(Object.values(result.rows).reduce((a, b) => a + b, 0));
    const [a, b] = [await source.contentHash(), await target.contentHash()];
    expect(b.hash).toBe(a.hash);
    expect(b.tables.kb_entries).toEqual(a.tables.kb_entries);
    expect((await target.search('FILE7')).results[0]?.entry.id).toBe(ids[7]);
    // Keys continue past the copied ones: new rows do not collide.
    await target.createEntry({
      title: 'New after copy',
      problem: 'p',
      solution: 's',
      category: 'jcl',
    });
    expect(await target.countEntries()).toBe(31);
    expect((await target.verifyAuditChain()).ok).toBe(true);
  });

  it('is idempotent and refuses a target holding other content unless told to replace it', async () => {
    const source = await store('source');
    await fill(source, 5);
    const target = await store('target');
    await copyStore(source, target);
    const again = await copyStore(source, target);
    expect(again.copied).toBe(false);

    const other = await store('other');
    await other.createEntry({ title: 'Other', problem: 'p', solution: 's', category: 'db2' });
    const before = await other.contentHash();
    await expect(copyStore(source, other)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await other.contentHash()).hash).toBe(before.hash);
    const replaced = await copyStore(source, other, { replace: true });
    expect(replaced.copied).toBe(true);
    expect((await other.contentHash()).hash).toBe((await source.contentHash()).hash);
  });

  it('rolls the whole copy back when a batch cannot be written', async () => {
    const source = await store('source');
    await fill(source, 5);
    const target = await store('target');
    // Sabotage one table of the target so inserting into it fails half-way through the copy.
    await sql`create trigger refuse before insert on kb_feedback begin select raise(abort, 'refused'); end`.execute(
      dialectOf(target).db,
    );
    await expect(copyStore(source, target)).rejects.toBeInstanceOf(StorageError);
    expect(await target.countEntries()).toBe(0);
    expect((await target.contentHash()).tables.kb_audit?.rows).toBe(0);
  });

  it('content hash ignores row order and driver types but sees any changed value', async () => {
    const s = await store('one');
    const ids = await fill(s, 3);
    const h1 = await s.contentHash();
    await s.updateEntry(ids[2]!, { title: 'Changed title' });
    const h2 = await s.contentHash();
    expect(h2.hash).not.toBe(h1.hash);
    expect(h2.tables.kb_entries!.rows).toBe(3);
    await expect(s.contentHash({ tables: ['nope'] })).rejects.toThrow(/not a table/);
  });
});

describe('rowCounts', () => {
  it('counts the rows contentHash covers, in one snapshot, without hashing them', async () => {
    const source = await store('counts');
    await fill(source, 4);
    const hash = await source.contentHash();
    const counts = await source.rowCounts();
    expect(counts).toEqual(
      Object.fromEntries(Object.entries(hash.tables).map(([name, t]) => [name, t.rows])),
    );
    expect(counts.kb_entries).toBe(4);
    expect(await source.rowCounts(['kb_tags'])).toEqual({ kb_tags: 8 });
    await expect(source.rowCounts(['no_such_table'])).rejects.toThrow(/not a table of this store/);
  });
});
