import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createStorage } from '@mainframe-kb/storage-core';
import { chunked, generateCorpus } from '@mainframe-kb/testkit';

export const CACHE_DIR = '/tmp/kb-backup-bench';

/**
 * The synthetic corpus as a SQLite store of `entries` entries, built once and cached under /tmp (a build of
 * a million entries takes many minutes). A `.done` marker is written last, so a killed build is rebuilt.
 */
export async function corpusDatabase(entries: number, log: (line: string) => void): Promise<string> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const path = join(CACHE_DIR, `corpus-${entries}.db`);
  if (existsSync(`${path}.done`) && existsSync(path)) return path;
  const building = `${path}.building`;
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${building}${suffix}`, { force: true });
  const storage = await createStorage(
    { database: { path: building }, integrations: { eventBus: { durableLog: false } } },
    { actor: { id: 'bench', role: 'admin' } },
  );
  const started = performance.now();
  let done = 0;
  for (const batch of chunked(generateCorpus({ count: entries, seed: 42 }), 20_000)) {
    await storage.createEntries(batch);
    done += batch.length;
    if (done % 100_000 === 0)
      log(`  corpus: ${done}/${entries} entries, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  await storage.optimize();
  await storage.close();
  renameSync(building, path);
  writeFileSync(`${path}.done`, new Date().toISOString());
  log(
    `  corpus: ${entries} entries, ${(statSync(path).size / 1e6).toFixed(0)} MB in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  return path;
}

if (process.argv[1]?.endsWith('bench-corpus.ts')) {
  const entries = Number(process.argv[2] ?? '1000000');
  await corpusDatabase(entries, (line) => console.log(line));
}
