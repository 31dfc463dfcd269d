import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage } from '@mainframe-kb/storage-core';
import { afterAll, describe, expect, it } from 'vitest';
import { type Child, spawnChild } from './child-process-harness.js';
import type { WriterResult } from './reliability-child.js';

/**
 * Reliability 5: concurrent writers all succeed. Four processes write into one SQLite file at once, each
 * write its own transaction (BEGIN IMMEDIATE, so writers queue on the busy timeout instead of failing on
 * a lock upgrade). Every write must land and none may fail with BUSY, with the default busy timeout.
 */
// The documented size runs by default: it takes well under a minute here (measured: see the report line).
const WRITERS = 4;
const WRITES = 1_500;

describe('reliability 5: concurrent writer processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kb-rel5-'));
  const path = join(dir, 'kb.db');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`${WRITERS} processes × ${WRITES} writes land with 0 BUSY errors`, { timeout: 600_000 }, async () => {
    // Create and migrate the file first, so the writers race on writes, not on the first migration.
    await (await createStorage({ database: { type: 'sqlite', path } })).close();

    const children: Child[] = [];
    for (let worker = 0; worker < WRITERS; worker++) {
      children.push(spawnChild({ mode: 'writer', path, writes: WRITES, worker }));
    }
    await Promise.all(children.map((c) => c.waitForLine('ready')));
    const started = performance.now();
    for (const c of children) c.proc.stdin.write('go\n');
    const results = await Promise.all(
      children.map(async (c) => JSON.parse(await c.waitForLine('{')) as WriterResult),
    );
    const seconds = (performance.now() - started) / 1_000;
    for (const c of children) expect((await c.exited).code, c.stderr()).toBe(0);

    console.info(
      `reliability 5: ${WRITERS}×${WRITES} writes in ${seconds.toFixed(1)} s: ${JSON.stringify(results.map((r) => [r.ok, r.busy, r.other.length]))}`,
    );
    expect(results.flatMap((r) => r.other)).toEqual([]);
    expect(results.map((r) => r.busy)).toEqual(new Array(WRITERS).fill(0));
    expect(results.map((r) => r.ok)).toEqual(new Array(WRITERS).fill(WRITES));

    const storage = await createStorage({ database: { type: 'sqlite', path } });
    try {
      expect(await storage.countEntries()).toBe(WRITERS * WRITES);
      for (let worker = 0; worker < WRITERS; worker++) {
        expect((await storage.listEntries({ tag: `worker-${worker}`, limit: 1 })).total).toBe(WRITES);
      }
      expect(await storage.dialect.integrityCheck('full')).toEqual({ ok: true, problems: [] });
      expect(await storage.verifyAuditChain()).toEqual({ ok: true, rows: WRITERS * WRITES });
    } finally {
      await storage.close();
    }
  });
});
