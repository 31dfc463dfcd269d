import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Destination } from '../destination/destination.js';
import type { BackupManager } from '../engine/backup-manager.js';
import { loadPhysicalChain } from '../engine/page-state-loader.js';
import { decodeRows } from '../engine/row-codec.js';
import type { BackupMetadata } from '../manifest/backup-metadata.js';
import { PAGE_HASH_BYTES } from '../manifest/manifest-body.js';
import { markVerified, readManifest, requireManifest, scanManifests } from '../manifest/manifest-store.js';
import { packKey } from '../repository/pack-writer.js';
import type { Repository } from '../repository/repository.js';
import { CONFIG_KEY } from '../repository/repository.js';
import { sha256Hex, unsealFile } from '../repository/sealed-file.js';
import { writeCheckRecord } from '../restore/check-record.js';
import { openPackStretch, POOLS, packStretches } from '../restore/image-restore.js';
import type { CheckResult } from '../restore/restore-checks.js';
import { writing } from '../util/disk-full.js';
import { verifyFolderName } from '../util/leftovers.js';
import { ownerOnlyFolder } from '../util/owner-only.js';

/** The sha256 of an object, read through `buffer` when the destination reads ranges (else whole). */
async function objectSha256(destination: Destination, key: string, buffer: Buffer): Promise<string> {
  if (!destination.readRange) return sha256Hex(await destination.get(key));
  const hash = createHash('sha256');
  for (let position = 0; ; ) {
    const got = await destination.readRange(key, position, buffer);
    hash.update(buffer.subarray(0, got));
    position += got;
    if (got < buffer.length) break;
  }
  return hash.digest('hex');
}

/** Stored bytes per verification job (a stretch of one pack), decoded bytes per job, jobs in flight. */
const VERIFY_STORED_BYTES = 4 * 1024 * 1024;
const VERIFY_RAW_BYTES = 16 * 1024 * 1024;
const VERIFY_JOBS = 4;

export interface VerifyOptions {
  /** Also restore into a temporary database and compare (integrity, foreign keys, content). */
  readonly deep?: boolean;
  /** Restore only these tables into a temporary store and check them (the partial-restore test). */
  readonly tables?: readonly string[];
  /** Check only what needs no key, even when a passphrase is available. */
  readonly keyless?: boolean;
  /**
   * With `deep`: also compare the backup with the live store now (default true; informative, it never fails
   * a verification). A verification right after the backup has nothing to learn from it.
   */
  readonly compareSource?: boolean;
  readonly destination?: string | number;
}

export interface SourceComparison {
  readonly equal: boolean;
  /** Tables whose row count or hash differs between the backup and the live store now. */
  readonly changedTables: readonly string[];
}

export interface VerificationReport {
  readonly ok: boolean;
  /** The backup verified, or null for the whole repository. */
  readonly id: string | null;
  readonly keyed: boolean;
  readonly checks: readonly CheckResult[];
  /** Time of the test restore, when one ran (`deep`). */
  readonly restoreMs?: number;
  /** The live store against the backup (information, not a failure: the store moves on after a backup). */
  readonly comparison?: SourceComparison;
}

function check(name: string, ok: boolean, detail: string): CheckResult {
  return { name, ok, detail };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The requirements' BackupVerification. Without a key: the config's and every manifest's checksum, the chain,
 * every pack against its name. With the key: manifests authenticate, every blob decrypts, decompresses and
 * every page matches its keyed hash. Deep: a test restore with integrity, foreign-key and content checks.
 */
export class BackupVerifier {
  readonly #manager: BackupManager;

  constructor(manager: BackupManager) {
    this.#manager = manager;
  }

  /** Verifies one backup (`id`) or, without one, every backup and every object of the repository. */
  async verify(id: string | undefined, options: VerifyOptions = {}): Promise<VerificationReport> {
    const destination = this.#manager.destination(options.destination);
    await this.#manager.sweepLeftovers();
    const checks: CheckResult[] = [];
    checks.push(await this.#checkConfig(destination));
    const scan = await scanManifests(destination);
    const known = new Map(scan.backups.map((b) => [b.id, b]));
    for (const d of scan.damaged) checks.push(check(`manifest ${d.key}`, false, d.error.message));
    let scope: BackupMetadata[];
    if (id !== undefined) {
      const target = known.get(id);
      if (!target) {
        const damaged = scan.damaged.find((d) => d.key === `manifests/${id}`);
        // A backup that is not there is not found (exit 4), not a failed verification: nothing was checked.
        if (!damaged) await requireManifest(destination, id);
        checks.push(check(`manifest ${id}`, false, damaged ? damaged.error.message : 'missing'));
        return { ok: false, id, keyed: false, checks };
      }
      scope = [target];
      checks.push(check(`manifest ${id}`, true, 'sha256 ok'));
    } else {
      scope = scan.backups;
    }
    for (const b of scope) {
      const missing = b.dependsOn.filter((dep) => !known.has(dep));
      checks.push(
        check(
          `chain ${b.id}`,
          missing.length === 0,
          missing.length === 0
            ? b.dependsOn.length === 0
              ? 'self-contained'
              : `${b.dependsOn.length} bases present`
            : `missing base ${missing.join(', ')}`,
        ),
      );
    }
    checks.push(...(await this.#checkPacks(destination, scope, id === undefined)));

    const passphrase = this.#manager.passphrase();
    const keyed =
      !options.keyless && (passphrase !== undefined || !this.#manager.config.backup.encryption.enabled);
    let restoreMs: number | undefined;
    let comparison: SourceComparison | undefined;
    if (keyed && checks.every((c) => c.ok)) {
      let repository: Repository | undefined;
      try {
        repository = await this.#manager.openRepository(destination);
        checks.push(check('key', true, 'the passphrase opens the repository'));
      } catch (error) {
        checks.push(check('key', false, message(error)));
      }
      if (repository) {
        for (const b of scope) checks.push(...(await this.#checkContent(repository, b)));
        if (id !== undefined && checks.every((c) => c.ok)) {
          if (options.deep) {
            const started = performance.now();
            checks.push(...(await this.testRestore(id, options.destination)));
            restoreMs = performance.now() - started;
            if (options.compareSource !== false)
              comparison = await this.compareWithSource(id, options.destination);
          }
          if (options.tables)
            checks.push(...(await this.testPartialRestore(id, options.tables, options.destination)));
        }
      }
    }
    const ok = checks.every((c) => c.ok);
    if (ok && keyed && id !== undefined) await markVerified(destination, id, new Date());
    return {
      ok,
      id: id ?? null,
      keyed,
      checks,
      ...(restoreMs !== undefined ? { restoreMs } : {}),
      ...(comparison ? { comparison } : {}),
    };
  }

  async #checkConfig(destination: Destination): Promise<CheckResult> {
    try {
      unsealFile(await destination.get(CONFIG_KEY), 'config');
      return check('config', true, 'sha256 ok');
    } catch (error) {
      return check('config', false, message(error));
    }
  }

  /** Every pack the scope needs (or, for the whole repository, every pack stored) against its sha256 name. */
  async #checkPacks(
    destination: Destination,
    scope: readonly BackupMetadata[],
    everyPack: boolean,
  ): Promise<CheckResult[]> {
    const users = new Map<string, string[]>();
    for (const b of scope) for (const p of b.packs) users.set(p, [...(users.get(p) ?? []), b.id]);
    const stored = everyPack ? await destination.list('data') : [];
    for (const key of stored) {
      const name = key.slice(key.lastIndexOf('/') + 1);
      if (!users.has(name)) users.set(name, []);
    }
    const problems: string[] = [];
    const buffer = Buffer.allocUnsafeSlow(VERIFY_STORED_BYTES);
    for (const [pack, by] of users) {
      const who = by.length > 0 ? ` (needed by ${by.join(', ')})` : ' (referenced by no backup)';
      try {
        if (!/^[0-9a-f]{64}$/.test(pack)) throw new Error('not a pack name');
        if ((await objectSha256(destination, packKey(pack), buffer)) !== pack)
          problems.push(`pack ${pack} does not match its sha256${who}`);
      } catch (error) {
        problems.push(`pack ${pack}: ${message(error)}${who}`);
      }
    }
    return [
      check(
        'packs',
        problems.length === 0,
        problems.length === 0 ? `${users.size} packs match their sha256` : problems.slice(0, 20).join('; '),
      ),
    ];
  }

  /** Authenticates the manifest and every blob the backup needs, decompresses them, checks every page. */
  async #checkContent(repository: Repository, metadata: BackupMetadata): Promise<CheckResult[]> {
    try {
      const { body } = await readManifest(repository, metadata.id);
      if (body.kind === 'physical') {
        const state = await loadPhysicalChain(repository, metadata);
        const bySource = new Map<string, number[]>();
        for (let pgno = 1; pgno <= state.pageCount; pgno += 1) {
          const id = state.locationOf(pgno).id;
          const pages = bySource.get(id);
          if (pages) pages.push(pgno);
          else bySource.set(id, [pgno]);
        }
        const workers = this.#manager.workers(repository);
        const inflight: Promise<void>[] = [];
        // Blobs in pack order, opened a stretch of a pack at a time (one worker job, one read), decoded into
        // the restores' reused shared memory: only the page digests come back.
        const plans = [...bySource.values()]
          .map((pages) => ({ location: state.locationOf(pages[0]!), pages }))
          .sort((a, b) =>
            a.location.pack === b.location.pack
              ? a.location.offset - b.location.offset
              : a.location.pack < b.location.pack
                ? -1
                : 1,
          );
        const verifyStretch = async (batch: typeof plans) => {
          const rawBytes = batch.reduce((sum, b) => sum + b.location.rawBytes, 0);
          const output = POOLS.decoded.take(rawBytes);
          const locations = batch.map((b) => b.location);
          const { opened } = await openPackStretch(
            repository,
            workers,
            locations,
            state.pageSize,
            true,
            output,
          );
          const checked = opened.then(({ pageHashes }) => {
            // Decoded and digested: the output is free again, whatever the digests say.
            POOLS.decoded.give(output);
            let first = 0;
            for (const { location, pages } of batch) {
              for (const pgno of pages) {
                const at = (first + state.slotOf(pgno)) * PAGE_HASH_BYTES;
                if (!state.digestMatches(pgno, pageHashes, at)) {
                  throw new Error(
                    `page ${pgno} does not match its recorded digest (blob ${location.id.slice(0, 16)}…)`,
                  );
                }
              }
              first += location.rawBytes / state.pageSize;
            }
          });
          checked.catch(() => undefined);
          inflight.push(checked);
          while (inflight.length >= VERIFY_JOBS) await inflight.shift();
        };
        try {
          for (const batch of packStretches(plans, VERIFY_STORED_BYTES, VERIFY_RAW_BYTES)) {
            await verifyStretch(batch);
          }
          await Promise.all(inflight);
        } catch (error) {
          await Promise.allSettled(inflight);
          throw error;
        } finally {
          await workers.close();
        }
        return [
          check(
            `content ${metadata.id}`,
            true,
            `${bySource.size} blobs authentic, ${state.pageCount} pages match`,
          ),
        ];
      }
      for (const blob of body.blobs)
        decodeRows(await repository.readBlob(blob), `blob ${blob.id.slice(0, 16)}…`);
      return [check(`content ${metadata.id}`, true, `${body.blobs.length} blobs authentic and decodable`)];
    } catch (error) {
      return [check(`content ${metadata.id}`, false, message(error))];
    } finally {
      repository.dropCaches();
    }
  }

  // ─── The requirements' BackupVerification methods ───────────────────────────────────────────────

  async verifyChecksum(id: string, destination?: string | number): Promise<boolean> {
    return (await this.verify(id, { keyless: true, destination })).ok;
  }

  async verifyEncryption(id: string, destination?: string | number): Promise<boolean> {
    return (await this.verify(id, { destination })).ok;
  }

  /** Decompression is checked with decryption: a blob is only decompressed once authenticated. */
  async verifyCompression(id: string, destination?: string | number): Promise<boolean> {
    return this.verifyEncryption(id, destination);
  }

  /**
   * Restores into a temporary database under the manager's `scratchDir` (default the OS temp folder: a store
   * the size of the backup's) and checks integrity, foreign keys and content.
   */
  async testRestore(id: string, destination?: string | number): Promise<CheckResult[]> {
    const repository = await this.#manager.openRepository(this.#manager.destination(destination));
    const { metadata, body } = await readManifest(repository, id);
    let dir: string | undefined;
    try {
      dir = await this.#scratchDir();
      if (body.kind === 'physical') {
        const path = join(dir, 'restore.sqlite');
        await this.#manager.rebuild(repository, metadata, path);
        const checks = await this.#manager.checkRebuilt(repository, metadata, body, path, 'full');
        // Proof for later restores of this image that these checks passed on it (check-record.ts).
        await writeCheckRecord(repository, metadata, checks);
        return checks.map((c) => ({ ...c, name: `test-restore ${c.name}` }));
      }
      const result = await this.#manager.restore(id, { to: join(dir, 'restore.sqlite'), destination });
      return result.checks.map((c) => ({ ...c, name: `test-restore ${c.name}` }));
    } catch (error) {
      return [check('test-restore', false, message(error))];
    } finally {
      if (dir) await fs.rm(dir, { recursive: true, force: true });
    }
  }

  async testPartialRestore(
    id: string,
    tables: readonly string[],
    destination?: string | number,
  ): Promise<CheckResult[]> {
    let dir: string | undefined;
    try {
      dir = await this.#scratchDir();
      const result = await this.#manager.restore(id, {
        to: join(dir, `partial-${randomBytes(4).toString('hex')}.sqlite`),
        tables,
        destination,
      });
      return result.checks.map((c) => ({ ...c, name: `partial-restore ${c.name}` }));
    } catch (error) {
      return [check('partial-restore', false, message(error))];
    } finally {
      if (dir) await fs.rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * A new folder, its owner's only, for a test restore under the manager's `scratchDir` (default: the OS temp
   * folder). It holds a decrypted copy of the store: named after this process, so that when the process is
   * killed the next operation finds and removes it (`sweepLeftovers`).
   */
  async #scratchDir(): Promise<string> {
    const parent = this.#manager.scratchFolder;
    const dir = join(parent, verifyFolderName());
    await writing(`creating ${dir}`, async () => {
      await ownerOnlyFolder(parent);
      await fs.mkdir(dir, { mode: 0o700 });
    });
    return dir;
  }

  async benchmarkRestoreTime(
    id: string,
    destination?: string | number,
  ): Promise<{ restoreMs: number; bytesPerSecond: number }> {
    const started = performance.now();
    const checks = await this.testRestore(id, destination);
    const restoreMs = performance.now() - started;
    if (checks.some((c) => !c.ok)) throw new Error(`the test restore of ${id} failed`);
    const { backups } = await this.#manager.list(destination);
    const size = backups.find((b) => b.id === id)?.dataSize ?? 0;
    return { restoreMs, bytesPerSecond: size / (restoreMs / 1000) };
  }

  async validateDataIntegrity(id: string, destination?: string | number): Promise<boolean> {
    return (await this.verify(id, { deep: true, destination })).ok;
  }

  async verifyConstraints(id: string, destination?: string | number): Promise<boolean> {
    const checks = await this.testRestore(id, destination);
    return checks.filter((c) => /integrity_check|foreign_key_check/.test(c.name)).every((c) => c.ok);
  }

  /** The live store's content now against the backup's (tables changed since the backup are named). */
  async compareWithSource(id: string, destination?: string | number): Promise<SourceComparison> {
    const repository = await this.#manager.openRepository(this.#manager.destination(destination));
    const { body } = await readManifest(repository, id);
    const names = Object.keys(body.tables);
    // A backup that recorded row counts only is compared by counts: hashing every row of the live store
    // (a minute for a gigabyte here) would add nothing the comparison could use.
    const hashed = names.some((name) => body.tables[name]!.hash !== '');
    const live: Record<string, { rows: number; hash: string }> = {};
    if (hashed) {
      Object.assign(live, (await this.#manager.storage.contentHash({ tables: names })).tables);
    } else {
      const counts = await this.#manager.storage.rowCounts(names);
      for (const [name, rows] of Object.entries(counts)) live[name] = { rows, hash: '' };
    }
    const changedTables = names.filter((name) => {
      const a = body.tables[name]!;
      const b = live[name];
      return !b || a.rows !== b.rows || (a.hash !== '' && a.hash !== b.hash);
    });
    return { equal: changedTables.length === 0, changedTables };
  }
}
