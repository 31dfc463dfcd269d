import { existsSync } from 'node:fs';
import {
  type CopyProgress,
  copyStore,
  isStorageError,
  moveSqliteStore,
  removeSqliteStore,
  type Storage,
  StorageError,
  StorageErrorCode,
  scratchPath,
  sweepScratchFiles,
} from '@mainframe-kb/storage-core';
import { actorId } from '../actor.js';
import { UsageError } from '../cli-error.js';
import { type Command, flag, stringOption } from '../command.js';
import { describeTarget, MEMORY_PATH } from '../store/db-target.js';
import { openStore } from '../store/open-store.js';
import { resolveStoreSettings } from '../store/store-config.js';

export const copyCommand: Command = {
  name: 'copy',
  summary: 'copy a whole store to another database (SQLite → PostgreSQL, and back)',
  usage: 'kb copy --from <target> --to <target> [--replace] [--batch-size n]',
  details: [
    '--from, --to   a path, sqlite:<path>, postgres://… (?schema=name) or mysql://…',
    '--replace      overwrite a target that holds other content (default: refuse it)',
    '--batch-size   rows read and written per batch (default 2000)',
    'Every table of core and of every enabled extension is copied in one transaction on the target, then',
    "checked: the target's content hash must equal the source's or nothing is committed. Copying into a",
    'store that already holds the same content changes nothing. A copy that fails leaves the target as it',
    'was: a new one is not created (no file, no tables), an existing one keeps its content.',
  ],
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    replace: { type: 'boolean' },
    'batch-size': { type: 'string' },
  },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const from = stringOption(ctx, 'from');
    const to = stringOption(ctx, 'to');
    if (!from?.trim() || !to?.trim())
      throw new UsageError('kb copy needs --from and --to', copyCommand.usage);
    const batchText = stringOption(ctx, 'batch-size');
    const batchSize = batchText === undefined ? undefined : Number(batchText);
    if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000)) {
      throw new UsageError('--batch-size takes a whole number from 1 to 100000', copyCommand.usage);
    }
    // Both stores get the run's config (the extensions to enable), each with its own database.
    const configFlag = ctx.settings().configFile ?? undefined;
    const settings = (db: string) =>
      resolveStoreSettings({ dbFlag: db, configFlag, env: ctx.io.env, cwd: ctx.io.cwd });
    const source = settings(from);
    const target = settings(to);
    if (describeTarget(source.target) === describeTarget(target.target)) {
      throw new UsageError('--from and --to name the same store', copyCommand.usage);
    }
    // A new SQLite target is built under a scratch name beside it and renamed into place once the copy is
    // checked, so a failed or killed copy leaves no store behind; the next copy removes a killed one's file.
    const finalPath =
      target.target.type === 'sqlite' && target.target.path !== MEMORY_PATH ? target.target.path : undefined;
    let scratch: string | undefined;
    if (finalPath !== undefined) {
      await sweepScratchFiles(finalPath, 'copy');
      if (!existsSync(finalPath)) scratch = scratchPath(finalPath, 'copy');
    }
    const stores: Storage[] = [];
    const closeAll = async () => {
      for (const s of stores.splice(0)) await s.close();
    };
    try {
      const open = async (s: typeof source, missing: 'fail' | 'create') => {
        const store = await openStore(s, { migrate: 'auto', actorId: actorId(ctx.io), missing });
        stores.push(store);
        return store;
      };
      const a = await open(source, 'fail').catch((error: unknown) => {
        if (!isStorageError(error, StorageErrorCode.NOT_FOUND)) throw error;
        throw new StorageError(
          StorageErrorCode.NOT_FOUND,
          `--from names no store: there is none at ${describeTarget(source.target)}`,
          { cause: error, details: error.details },
        );
      });
      // A server target is new when its first migration ran just now (a database exists before kb touches
      // it, as in `kb init`): a failed copy then drops what opening it created.
      const opened = new Date().toISOString();
      const b = await open(scratch === undefined ? target : settings(scratch), 'create');
      let newTarget = false;
      if (target.target.type !== 'sqlite') {
        const core = (await b.migrationStatus()).namespaces.find((n) => n.namespace === 'core');
        const first = core?.applied[0]?.appliedAt;
        newTarget = first !== undefined && first >= opened;
      }
      let bar: ReturnType<typeof ctx.out.progress> | undefined;
      const result = await copyStore(a, b, {
        replace: flag(ctx, 'replace'),
        newTarget,
        ...(batchSize === undefined ? {} : { batchSize }),
        onProgress: (p: CopyProgress) => {
          bar ??= ctx.out.progress('Copying', p.expectedRows);
          bar.update(p.totalRows);
        },
      });
      bar?.finish();
      await closeAll();
      if (scratch !== undefined && finalPath !== undefined) {
        await moveSqliteStore(scratch, finalPath);
        scratch = undefined;
      }
      const rows = Object.values(result.rows).reduce((n, r) => n + r, 0);
      ctx.out.emit(
        {
          copied: result.copied,
          rows: result.rows,
          hash: result.hash.hash,
          durationMs: Math.round(result.durationMs),
        },
        () =>
          result.copied
            ? `Copied ${rows} rows from ${describeTarget(source.target)} to ${describeTarget(target.target)} in ${(result.durationMs / 1000).toFixed(1)} s; content hash ${result.hash.hash.slice(0, 16)}… on both`
            : `${describeTarget(target.target)} already holds this content (hash ${result.hash.hash.slice(0, 16)}…): nothing to copy`,
      );
      return 0;
    } finally {
      await closeAll();
      if (scratch !== undefined) await removeSqliteStore(scratch);
    }
  },
};
