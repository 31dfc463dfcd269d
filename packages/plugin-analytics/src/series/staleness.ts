import type { Kysely } from 'kysely';
import type { AnalyticsDatabase } from '../schema/analytics-database.js';
import { dayOf, hourOf } from './periods.js';

/**
 * What changed since a snapshot was computed, read from the store's durable event log and audit trail. Writes
 * of incidents name their times, so they touch only their own hours; writes that do not (bulk imports, loads,
 * restores, deletions) make every older snapshot stale.
 */
export interface ChangesSince {
  /** Changes that name the hours they touch: `[sequence, hour labels]`. */
  scoped: { seq: number; hours: Set<string>; days: Set<string> }[];
  /** The last event sequence number of a change that could touch any period, or 0. */
  unscopedEventSeq: number;
  /** The last audit sequence number of such a change, or 0. */
  unscopedAuditSeq: number;
}

/** Audit actions that write rows without an event naming their times. */
const UNSCOPED_ACTIONS = ['import', 'import-batch', 'storage-import', 'backup-restore', 'delete'];
/** Events that name no time, or a change too broad to scope. */
const UNSCOPED_EVENTS = ['incident:deleted', 'entry:deleted'];
const SCOPED_EVENTS = ['incident:created', 'incident:updated', 'incident:imported'];

interface IncidentTimes {
  createdAt?: unknown;
  resolvedAt?: unknown;
}

export async function changesSince(
  db: Kysely<AnalyticsDatabase>,
  eventSeq: number,
  auditSeq: number,
): Promise<ChangesSince> {
  const changes: ChangesSince = { scoped: [], unscopedEventSeq: 0, unscopedAuditSeq: 0 };
  const audit = await db
    .selectFrom('kb_audit')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where('seq', '>', auditSeq)
    .where('action', 'in', UNSCOPED_ACTIONS)
    .executeTakeFirst();
  changes.unscopedAuditSeq = Number(audit?.seq ?? 0);
  let after = eventSeq;
  for (;;) {
    const rows = await db
      .selectFrom('kb_events')
      .select(['seq', 'type', 'payload'])
      .where('seq', '>', after)
      .where('type', 'in', [...SCOPED_EVENTS, ...UNSCOPED_EVENTS])
      .orderBy('seq')
      .limit(1000)
      .execute();
    for (const row of rows) {
      const seq = Number(row.seq);
      const hours = await touchedHours(db, row.type, row.payload);
      if (hours === null) changes.unscopedEventSeq = Math.max(changes.unscopedEventSeq, seq);
      else changes.scoped.push({ seq, hours, days: new Set([...hours].map(dayOf)) });
    }
    if (rows.length < 1000) break;
    after = Number(rows[rows.length - 1]!.seq);
  }
  return changes;
}

/** The hours an incident event touches, or null when it cannot say. */
async function touchedHours(
  db: Kysely<AnalyticsDatabase>,
  type: string,
  payloadText: string,
): Promise<Set<string> | null> {
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(payloadText) as Record<string, unknown>;
  } catch {
    return null;
  }
  const hours = new Set<string>();
  const add = (times: unknown): boolean => {
    if (!times || typeof times !== 'object') return false;
    const t = times as IncidentTimes;
    if (typeof t.createdAt !== 'string') return false;
    hours.add(hourOf(t.createdAt));
    if (typeof t.resolvedAt === 'string') hours.add(hourOf(t.resolvedAt));
    return true;
  };
  if (type === 'incident:created') return add(payload.incident) ? hours : null;
  if (type === 'incident:updated') return add(payload.incident) && add(payload.previous) ? hours : null;
  if (type === 'incident:imported') {
    // An import that updated incidents does not say what their times were before: it could touch any period.
    const ids = Array.isArray(payload.ids)
      ? (payload.ids as unknown[]).filter((i) => typeof i === 'string')
      : [];
    if (Number(payload.updated) !== 0 || ids.length !== Number(payload.inserted)) return null;
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500) as string[];
      const rows = await db
        .selectFrom('incidents')
        .select(['created_at', 'resolved_at'])
        .where('id', 'in', chunk)
        .execute();
      if (rows.length !== chunk.length) return null;
      for (const r of rows) add({ createdAt: r.created_at, resolvedAt: r.resolved_at });
    }
    return hours;
  }
  return null;
}

/** Whether a snapshot of `period` (an hour or day label) computed at the given sequence numbers is stale. */
export function isStale(
  changes: ChangesSince,
  period: string,
  snapshotEventSeq: number,
  snapshotAuditSeq: number,
): boolean {
  if (changes.unscopedEventSeq > snapshotEventSeq || changes.unscopedAuditSeq > snapshotAuditSeq) return true;
  const isHour = period.length === 13;
  for (const change of changes.scoped) {
    if (change.seq <= snapshotEventSeq) continue;
    if (isHour ? change.hours.has(period) : change.days.has(period)) return true;
  }
  return false;
}

/** A stored snapshot's period and the sequence numbers it was computed at. */
export interface SnapshotMarks {
  time_period: string;
  event_seq: number | string;
  audit_seq: number | string;
}

/** Those of `snapshots` that later changes made stale, from one read of the changes since the oldest of them. */
export async function staleSnapshots<S extends SnapshotMarks>(
  db: Kysely<AnalyticsDatabase>,
  snapshots: readonly S[],
): Promise<Set<S>> {
  const stale = new Set<S>();
  if (snapshots.length === 0) return stale;
  const changes = await changesSince(
    db,
    Math.min(...snapshots.map((s) => Number(s.event_seq))),
    Math.min(...snapshots.map((s) => Number(s.audit_seq))),
  );
  for (const s of snapshots) {
    if (isStale(changes, s.time_period, Number(s.event_seq), Number(s.audit_seq))) stale.add(s);
  }
  return stale;
}
