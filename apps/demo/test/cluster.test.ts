import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoCluster, startDemoCluster as Start } from '../src/cluster.js';
import { GRANTS, sampleEntry, TOKENS } from './support/demo-fixture.js';

describe('the server in two worker processes on one port', () => {
  let dir: string;
  let server: DemoCluster;

  beforeAll(async () => {
    // The built cluster: its workers are plain node processes running dist/cluster-worker.js (the package's
    // test script builds dist first). A computed specifier: typecheck runs before the build.
    const built = new URL('../dist/cluster.js', import.meta.url).href;
    const { startDemoCluster } = (await import(built)) as { startDemoCluster: typeof Start };
    dir = mkdtempSync(join(tmpdir(), 'kb-demo-cluster-'));
    server = await startDemoCluster({ database: join(dir, 'kb.db'), grants: GRANTS, port: 0 }, 2);
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // A new connection per request: the primary hands connections to the workers in turn.
  const call = (role: keyof typeof TOKENS, method: string, path: string, body?: unknown) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${TOKENS[role]}`,
        connection: 'close',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('loads the sample once, and a write through one worker is read and streamed by every worker', async () => {
    const counts = new Set<number>();
    for (let i = 0; i < 4; i++) {
      const page = (await (await call('viewer', 'GET', '/api/entries?limit=1')).json()) as { total: number };
      counts.add(page.total);
    }
    expect(counts).toEqual(new Set([36]));
    const workers = new Set<number>();
    for (let i = 0; i < 6; i++) {
      const metrics = (await (await call('viewer', 'GET', '/api/metrics')).json()) as {
        server: { worker: number };
      };
      workers.add(metrics.server.worker);
    }
    expect(workers).toEqual(new Set([1, 2]));

    const streams = await Promise.all([0, 1].map(() => call('viewer', 'GET', '/api/events')));
    const created = await call('editor', 'POST', '/api/entries', sampleEntry);
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    for (let i = 0; i < 4; i++) {
      const search = (await (await call('viewer', 'GET', '/api/search?q=PAYROLL%20packed')).json()) as {
        results: { entry: { id: string } }[];
      };
      expect(search.results[0]?.entry.id).toBe(id);
    }
    for (const stream of streams) {
      const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
      let text = '';
      const deadline = Date.now() + 5_000;
      while (!text.includes(id) && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      await reader.cancel();
      expect(text).toContain('event: entry:created');
      expect(text).toContain(id);
    }
  });
});
