import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorage } from '@mainframe-kb/storage-core';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { availableTestStores, rawAccessPlugin, rawDialect } from '../../src/index.js';
import { type Child, spawnChild } from './child-process-harness.js';
import type { WriterResult } from './reliability-child.js';

/**
 * Reliability 5: concurrent writers all succeed. Four processes write into one store at once, each write its
 * own transaction (on SQLite BEGIN IMMEDIATE, so writers queue on the busy timeout instead of failing on a
 * lock upgrade; on PostgreSQL and MySQL on pooled connections, concurrently). Every write must land, none
 * may fail with BUSY, and the audit trail must stay one linear chain.
 */
// The documented size runs by default: it takes well under a minute here (measured: see the report line).
const WRITERS = 4;
const WRITES = 1_500;

for (const target of availableTestStores()) {
  const title = `reliability 5: concurrent writer processes on ${target.dialect}${target.skipped ? ` (${target.skipped})` : ''}`;
  describe.skipIf(!target.stores)(title, () => {
    afterAll(async () => target.stores?.cleanup());

    it(`${WRITERS} processes × ${WRITES} writes land with 0 BUSY errors`, { timeout: 600_000 }, async () => {
      const database = await target.stores!.database();
      // A server store's processes share one audit keyring (a SQLite store keeps its own beside the file):
      // the writers race to create it on their first write, as a new deployment's processes would.
      const keys = mkdtempSync(join(tmpdir(), 'kb-writers-keys-'));
      const audit = target.dialect === 'sqlite' ? undefined : { keyFile: join(keys, 'audit-keyring') };
      // Create and migrate the store first, so the writers race on writes, not on the first migration.
      await (await createStorage({ database, ...(audit ? { audit } : {}) })).close();

      const children: Child[] = [];
      for (let worker = 0; worker < WRITERS; worker++) {
        children.push(
          spawnChild({ mode: 'writer', database, writes: WRITES, worker, ...(audit ? { audit } : {}) }),
        );
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
        `reliability 5 (${target.dialect}): ${WRITERS}×${WRITES} writes in ${seconds.toFixed(1)} s: ${JSON.stringify(results.map((r) => [r.ok, r.busy, r.other.length]))}; longest write ${Math.max(...results.map((r) => r.maxWriteMs))} ms`,
      );
      expect(results.flatMap((r) => r.other)).toEqual([]);
      expect(results.map((r) => r.busy)).toEqual(new Array(WRITERS).fill(0));
      expect(results.map((r) => r.ok)).toEqual(new Array(WRITERS).fill(WRITES));

      const storage = await createStorage(
        { database, ...(audit ? { audit } : {}) },
        { plugins: [rawAccessPlugin] },
      );
      onTestFinished(() => rmSync(keys, { recursive: true, force: true }));
      try {
        // Half the writes create entries, half record feedback on them.
        expect(await storage.countEntries()).toBe((WRITERS * WRITES) / 2);
        for (let worker = 0; worker < WRITERS; worker++) {
          expect((await storage.listEntries({ tag: `worker-${worker}`, limit: 1 })).total).toBe(WRITES / 2);
        }
        expect(await rawDialect(storage).integrityCheck('full')).toEqual({ ok: true, problems: [] });
        // One linear audit chain although the writers ran at once on the servers.
        expect(await storage.verifyAuditChain()).toEqual({ ok: true, rows: WRITERS * WRITES });
      } finally {
        await storage.close();
      }
    });
  });
}
