import { createHash, randomUUID } from 'node:crypto';
import type { WriteScope } from '@mainframe-kb/storage-core';
import type { Kysely } from 'kysely';
import type { AnalyticsDatabase, AutoResolutionRow } from '../schema/analytics-database.js';

/** The hash before the first row. */
export const AUTO_GENESIS = '0'.repeat(64);

export type AutoRowKind = 'decision' | 'review' | 'outcome';

/** The fields a row's hash covers: everything but its sequence number and its own hash. */
export type AutoRowFields = Omit<AutoResolutionRow, 'seq' | 'hash'>;

/** sha256 over the row's fields in a fixed order, with the previous row's hash: rewriting any row breaks the chain. */
export function autoRowHash(row: AutoRowFields): string {
  const fields = [
    row.id,
    row.kind,
    row.decision_id,
    row.incident_id,
    row.component,
    row.proposal_kind,
    row.proposal_id,
    row.confidence === null ? null : Number(row.confidence),
    row.threshold === null ? null : Number(row.threshold),
    row.decision,
    row.decided_by,
    row.applied_solution,
    row.inputs,
    row.created_at,
    row.prev_hash,
  ];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

export type NewAutoRow = Omit<AutoRowFields, 'id' | 'prev_hash' | 'created_at'> & { id?: string };

/**
 * Appends a row to the log inside the caller's write transaction. The head row is updated first, so on
 * PostgreSQL and MySQL a concurrent writer waits on its lock and then reads the new head: the chain never forks.
 */
export async function appendAutoRow(
  scope: WriteScope<AnalyticsDatabase>,
  row: NewAutoRow,
): Promise<AutoResolutionRow> {
  const { trx } = scope;
  await trx
    .updateTable('auto_resolution_head')
    .set((eb) => ({ seq: eb.ref('seq') }))
    .where('id', '=', 1)
    .execute();
  let head = await trx.selectFrom('auto_resolution_head').selectAll().where('id', '=', 1).executeTakeFirst();
  if (!head) {
    await trx.insertInto('auto_resolution_head').values({ id: 1, seq: 0, hash: AUTO_GENESIS }).execute();
    head = { id: 1, seq: 0, hash: AUTO_GENESIS };
  }
  const id = row.id ?? randomUUID();
  // A decision is its own decision: reviews and outcomes name it.
  const decisionId = row.kind === 'decision' ? id : row.decision_id;
  const fields: AutoRowFields = {
    ...row,
    id,
    decision_id: decisionId,
    prev_hash: head.hash,
    created_at: scope.now,
  };
  const hash = autoRowHash(fields);
  await trx
    .insertInto('auto_resolutions')
    .values({ ...fields, hash })
    .execute();
  const inserted = await trx
    .selectFrom('auto_resolutions')
    .select('seq')
    .where('id', '=', fields.id)
    .executeTakeFirstOrThrow();
  await trx
    .updateTable('auto_resolution_head')
    .set({ seq: Number(inserted.seq), hash })
    .where('id', '=', 1)
    .execute();
  return { ...fields, hash, seq: Number(inserted.seq) };
}

export interface AutoLogProblem {
  seq: number | null;
  id: string | null;
  problem: string;
}

export interface AutoLogVerification {
  ok: boolean;
  rows: number;
  head: { seq: number; hash: string } | null;
  problems: AutoLogProblem[];
}

/** Walks the whole log in order, recomputing every hash and link, and checks the head names the last row. */
export async function verifyAutoLog(db: Kysely<AnalyticsDatabase>): Promise<AutoLogVerification> {
  const problems: AutoLogProblem[] = [];
  let prev = AUTO_GENESIS;
  let rows = 0;
  let lastSeq = 0;
  let after = -1;
  for (;;) {
    const batch = await db
      .selectFrom('auto_resolutions')
      .selectAll()
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(1000)
      .execute();
    for (const r of batch) {
      rows++;
      const { seq, hash, ...fields } = r;
      if (r.prev_hash !== prev) {
        problems.push({
          seq: Number(seq),
          id: r.id,
          problem: 'does not link to the row before it (a row was removed or inserted)',
        });
      }
      if (autoRowHash(fields) !== hash) {
        problems.push({
          seq: Number(seq),
          id: r.id,
          problem: 'its content does not match its hash (the row was changed)',
        });
      }
      prev = hash;
      lastSeq = Number(seq);
      if (problems.length >= 100) break;
    }
    if (batch.length < 1000 || problems.length >= 100) break;
    after = Number(batch[batch.length - 1]!.seq);
  }
  const headRow = await db
    .selectFrom('auto_resolution_head')
    .selectAll()
    .where('id', '=', 1)
    .executeTakeFirst();
  const head = headRow ? { seq: Number(headRow.seq), hash: headRow.hash } : null;
  if (problems.length < 100) {
    if (rows > 0 && (!head || head.hash !== prev || head.seq !== lastSeq)) {
      problems.push({
        seq: head?.seq ?? null,
        id: null,
        problem: 'the head does not name the last row (rows were removed from the end)',
      });
    }
    if (rows === 0 && head && head.seq !== 0) {
      problems.push({ seq: head.seq, id: null, problem: 'the head names rows the log does not have' });
    }
  }
  return { ok: problems.length === 0, rows, head, problems };
}
