import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { type DemoServerOptions, openDemoStore } from './server.js';
import { demoGrants, type TokenGrant } from './tokens.js';

/** What the primary hands each worker (through the environment): the server's options, tokens included. */
export const WORKER_OPTIONS_ENV = 'KB_DEMO_WORKER_OPTIONS';

export interface DemoCluster {
  url: string;
  grants: readonly TokenGrant[];
  workers: number;
  stop(): Promise<void>;
}

/**
 * Runs the server in `workers` processes sharing one port: a search on SQLite (better-sqlite3) runs on its
 * process's only thread, so one process serves one core's worth of searches; more processes use more cores.
 * Each worker opens its own connection (SQLite in WAL mode has many readers and one writer at a time;
 * core retries a busy write), tails the durable event log itself (so every stream sees every change) and
 * keys its search cache by the database's data version (a write through another worker invalidates it).
 * The primary migrates the store and loads the sample first, so workers never race to do it.
 */
export async function startDemoCluster(options: DemoServerOptions, workers: number): Promise<DemoCluster> {
  if (!cluster.isPrimary) throw new Error('startDemoCluster runs in the primary process');
  await (await openDemoStore(options)).close();
  const grants = options.grants ?? demoGrants();
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  cluster.setupPrimary({
    exec: fileURLToPath(new URL(`./cluster-worker${ext}`, import.meta.url)),
    execArgv: process.execArgv,
  });
  const env = { [WORKER_OPTIONS_ENV]: JSON.stringify({ ...options, grants, sample: false }) };
  const started: Worker[] = [];
  const urls = await Promise.all(
    Array.from({ length: workers }, () => {
      const worker = cluster.fork(env);
      started.push(worker);
      return new Promise<string>((resolve, reject) => {
        worker.once('message', (m: { url?: string; error?: string }) =>
          m.url ? resolve(m.url) : reject(new Error(m.error ?? 'worker failed')),
        );
        worker.once('exit', (code) => reject(new Error(`worker exited with ${code} before listening`)));
      });
    }),
  ).catch(async (error) => {
    for (const w of started) w.kill('SIGTERM');
    throw error;
  });
  return {
    url: urls[0] as string,
    grants,
    workers,
    async stop() {
      await Promise.all(
        started.map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.isDead()) return resolve();
              w.once('exit', () => resolve());
              w.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
