import type { AuditRow, MigrationStatus, Storage, TableHash } from '@mainframe-kb/storage-core';

/**
 * What a rollback must give back, read before the upgrade changes anything: the migration ledger, the
 * content hash of every table, and the head of the audit trail.
 */
export interface StoreState {
  /** Every ledger row (`namespace:id checksum appliedAt`), sorted, and the drift the ledger shows. */
  readonly ledger: readonly string[];
  /** Content hash and row count of every table the store's extensions own (the ledger excluded). */
  readonly tables: Readonly<Record<string, TableHash>>;
  /** The audit trail's tables: append-only, so a rollback adds rows that record it instead of removing any. */
  readonly auditTables: readonly string[];
  /** The last audit row; the rows before it are sealed by its hash (the chain). */
  readonly auditHead: { readonly seq: number; readonly hash: string } | null;
}

/** The ledger as a sorted list of its rows, so two states compare as lists. */
export function ledgerRows(status: MigrationStatus): string[] {
  const rows = [...status.namespaces, ...status.dormant].flatMap((n) =>
    n.applied.map((m) => `${n.namespace}:${m.id} ${m.checksum} ${m.appliedAt}`),
  );
  rows.push(...status.problems.map((p) => `problem ${p.kind} ${p.namespace}:${p.id}`));
  return rows.sort();
}

export async function captureState(storage: Storage): Promise<StoreState> {
  const ledger = ledgerRows(await storage.migrationStatus());
  const { tables } = await storage.contentHash();
  const auditTables = storage
    .tables()
    .filter((t) => t.entity === 'audit' && !t.derived)
    .map((t) => t.name);
  const [head] = await storage.auditRows({ limit: 1 });
  return {
    ledger,
    tables,
    auditTables,
    auditHead: head ? { seq: head.seq, hash: head.hash } : null,
  };
}

export interface StateCheck {
  readonly ok: boolean;
  /** What matched, or what did not. */
  readonly detail: string;
}

function auditRowCount(state: StoreState): number {
  return state.auditTables.reduce((n, t) => n + (state.tables[t]?.rows ?? 0), 0);
}

function ledgerDifference(before: readonly string[], after: readonly string[]): string {
  const added = after.filter((r) => !before.includes(r)).map((r) => r.split(' ')[0]);
  const removed = before.filter((r) => !after.includes(r)).map((r) => r.split(' ')[0]);
  const parts = [
    ...(added.length > 0 ? [`now also ${added.join(', ')}`] : []),
    ...(removed.length > 0 ? [`no longer ${removed.join(', ')}`] : []),
  ];
  return `the migration ledger differs (${parts.join('; ')})`;
}

/**
 * The audit rows written since `before` (`total` rows in the trail now), after checking that the old head is
 * still the row it was: the chain then proves every row before it unchanged.
 */
async function auditSince(
  storage: Storage,
  before: StoreState,
  total: number,
): Promise<{ rows: AuditRow[]; problems: string[] }> {
  const added = total - auditRowCount(before);
  if (added < 0) return { rows: [], problems: [`the audit trail lost ${-added} rows`] };
  // The old head and the rows after it: the last `added + 1` rows (just the new ones on an empty trail).
  const wanted = added + (before.auditHead ? 1 : 0);
  const tail = wanted === 0 ? [] : await storage.auditRows({ limit: wanted });
  const problems: string[] = [];
  if (before.auditHead) {
    const head = tail[0];
    if (head?.seq !== before.auditHead.seq || head.hash !== before.auditHead.hash) {
      problems.push(`the audit trail's row ${before.auditHead.seq} is not the one it was before`);
    }
  }
  return { rows: tail.slice(before.auditHead ? 1 : 0), problems };
}

/**
 * What changed in the store since `before` that the upgrade did not do itself: audit rows (every change made
 * through the store writes one) whose action is not in `own`. A rollback by restoring the backup would lose
 * those changes, so it must not restore when there are any. Changes that write no audit row (search history,
 * view counts) are not seen.
 */
export async function foreignChanges(
  storage: Storage,
  before: StoreState,
  own: readonly string[],
): Promise<string[]> {
  const counts = await storage.rowCounts([...before.auditTables]);
  const total = before.auditTables.reduce((n, t) => n + (counts[t] ?? 0), 0);
  const since = await auditSince(storage, before, total);
  const foreign = since.rows
    .filter((r) => !own.includes(r.action))
    .map((r) => `${r.action} ${r.entity}${r.entityId ? ` ${r.entityId}` : ''} by ${r.actor}`);
  return [...since.problems, ...foreign];
}

/**
 * Checks that `storage` holds what `before` recorded: the same ledger, every table but the audit trail with
 * the same content hash, and the audit trail unchanged up to its old head (the chain proves every row before
 * it) followed only by rows whose action is in `recorded`: the rows that record the rollback itself.
 */
export async function checkRestored(
  storage: Storage,
  before: StoreState,
  recorded: readonly string[],
  options: { keep?: readonly string[] } = {},
): Promise<StateCheck> {
  const after = await captureState(storage);
  const problems: string[] = [];
  const sameLedger =
    before.ledger.length === after.ledger.length && before.ledger.every((r, i) => r === after.ledger[i]);
  if (!sameLedger) problems.push(ledgerDifference(before.ledger, after.ledger));

  const audit = new Set([...before.auditTables, ...after.auditTables]);
  const names = [...new Set([...Object.keys(before.tables), ...Object.keys(after.tables)])].filter(
    (t) => !audit.has(t),
  );
  // Changes made by others while the upgrade ran were kept on purpose: only the ledger must be as before.
  const keeping = (options.keep?.length ?? 0) > 0;
  for (const name of keeping ? [] : names.sort()) {
    const was = before.tables[name];
    const now = after.tables[name];
    if (was?.hash === now?.hash) continue;
    problems.push(
      was === undefined
        ? `table ${name} was not there before`
        : now === undefined
          ? `table ${name} is gone`
          : `table ${name} differs (${was.rows} rows before, ${now.rows} now)`,
    );
  }

  const since = await auditSince(storage, before, auditRowCount(after));
  problems.push(...since.problems);
  const extra = since.rows.map((r) => r.action);
  const unexpected = extra.filter((a) => !recorded.includes(a));
  if (unexpected.length > 0 && !keeping) {
    problems.push(`the audit trail has rows it should not: ${unexpected.join(', ')}`);
  }
  const chain = await storage.verifyAuditChain();
  if (!chain.ok) problems.push(`the audit chain does not verify: ${chain.message ?? 'broken'}`);

  if (problems.length > 0) return { ok: false, detail: problems.join('; ') };
  if (keeping) {
    return {
      ok: true,
      detail: `the migration ledger (${before.ledger.length} rows) as before; kept what changed meanwhile: ${options.keep?.join('; ')}`,
    };
  }
  const tables = names.filter((t) => before.tables[t] !== undefined).length;
  return {
    ok: true,
    detail:
      `content of ${tables} tables and the migration ledger (${before.ledger.length} rows) as before; the audit ` +
      `trail unchanged up to its old head${extra.length > 0 ? `, then ${extra.join(', ')}` : ''}`,
  };
}
