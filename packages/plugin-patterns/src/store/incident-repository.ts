import { NotFoundError } from '@mainframe-kb/storage-core';
import { type Kysely, sql } from 'kysely';
import type { DetectionIncident } from '../detection/detection-types.js';
import { extractErrorCodes } from '../detection/error-code-extractor.js';
import { incidentIdOf } from '../detection/stable-id.js';
import type {
  ValidCountOptions,
  ValidIncidentInput,
  ValidIncidentQuery,
  ValidIncidentUpdate,
} from '../input-schemas.js';
import type { IncidentRow, PatternsDatabase } from '../schema/patterns-database.js';
import type { Incident, IncidentCount } from '../types.js';
import { rowToIncident } from './row-mapping.js';
import { containsText, inChunks, insertMany } from './sql-helpers.js';

type Db = Kysely<PatternsDatabase>;

export function incidentCodes(row: Pick<IncidentRow, 'title' | 'description'>): string[] {
  return extractErrorCodes(`${row.title}\n${row.description}`);
}

export function inputToRow(input: ValidIncidentInput, now: string): IncidentRow {
  return {
    id: incidentIdOf(input.source, input.ticketId),
    source: input.source,
    ticket_id: input.ticketId,
    title: input.title,
    description: input.description,
    component: input.component,
    severity: input.severity,
    status: input.status,
    created_at: input.createdAt,
    resolved_at: input.resolvedAt,
    resolution: input.resolution,
    kb_entry_id: input.kbEntryId,
    metadata: JSON.stringify(input.metadata),
    imported_at: now,
    updated_at: now,
  };
}

const CONTENT_COLUMNS = [
  'title',
  'description',
  'component',
  'severity',
  'status',
  'created_at',
  'resolved_at',
  'resolution',
  'kb_entry_id',
  'metadata',
] as const;

export function sameContent(a: IncidentRow, b: IncidentRow): boolean {
  return CONTENT_COLUMNS.every((c) => (a[c] ?? null) === (b[c] ?? null));
}

export async function existingRows(db: Db, ids: readonly string[]): Promise<Map<string, IncidentRow>> {
  const rows = await inChunks(ids, 500, (chunk) =>
    db.selectFrom('incidents').selectAll().where('id', 'in', chunk).execute(),
  );
  return new Map(rows.map((r) => [r.id, r]));
}

async function writeCodes(
  db: Db,
  rows: readonly Pick<IncidentRow, 'id' | 'title' | 'description' | 'created_at'>[],
): Promise<string[]> {
  const codeRows = rows.flatMap((r) =>
    incidentCodes(r).map((code) => ({ incident_id: r.id, code, created_at: r.created_at })),
  );
  await insertMany(db, 'incident_error_codes', codeRows);
  return codeRows.map((c) => c.incident_id);
}

/**
 * Extracts every incident's error codes again (the table is derived: a copy or a logical restore loads the
 * incidents and leaves it to be rebuilt here).
 */
export async function rebuildErrorCodes(db: Db): Promise<void> {
  await db.deleteFrom('incident_error_codes').execute();
  let after = '';
  for (;;) {
    const rows = await db
      .selectFrom('incidents')
      .select(['id', 'title', 'description', 'created_at'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(1_000)
      .execute();
    if (rows.length === 0) return;
    await writeCodes(db, rows);
    after = rows[rows.length - 1]!.id;
  }
}

/** Inserts new incidents and their error codes. */
export async function insertIncidentRows(db: Db, rows: readonly IncidentRow[]): Promise<void> {
  await insertMany(db, 'incidents', rows as unknown as Record<string, unknown>[]);
  await writeCodes(db, rows);
}

/** Replaces an incident's content, keeping its id and first import time, and re-extracts its codes. */
export async function replaceIncidentRow(db: Db, row: IncidentRow, previous: IncidentRow): Promise<void> {
  const { id, imported_at: _imported, ...content } = row;
  await db
    .updateTable('incidents')
    .set({ ...content, imported_at: previous.imported_at })
    .where('id', '=', id)
    .execute();
  await db.deleteFrom('incident_error_codes').where('incident_id', '=', id).execute();
  await writeCodes(db, [row]);
}

export async function findIncidentRow(db: Db, id: string): Promise<IncidentRow | undefined> {
  return db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
}

async function codesOf(db: Db, ids: readonly string[]): Promise<Map<string, string[]>> {
  const rows = await inChunks(ids, 500, (chunk) =>
    db
      .selectFrom('incident_error_codes')
      .select(['incident_id', 'code'])
      .where('incident_id', 'in', chunk)
      .orderBy('code')
      .execute(),
  );
  const map = new Map<string, string[]>();
  for (const r of rows) {
    const list = map.get(r.incident_id);
    if (list) list.push(r.code);
    else map.set(r.incident_id, [r.code]);
  }
  for (const list of map.values()) list.sort();
  return map;
}

export async function toIncidents(db: Db, rows: readonly IncidentRow[]): Promise<Incident[]> {
  const codes = await codesOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => rowToIncident(r, codes.get(r.id) ?? []));
}

export async function getIncident(db: Db, id: string): Promise<Incident> {
  const row = await findIncidentRow(db, id);
  if (!row) throw new NotFoundError('incident', id);
  const [incident] = await toIncidents(db, [row]);
  return incident!;
}

export async function listIncidents(db: Db, q: ValidIncidentQuery): Promise<Incident[]> {
  let query = db.selectFrom('incidents').selectAll('incidents');
  if (q.component !== undefined) query = query.where('component', '=', q.component);
  if (q.severity) query = query.where('severity', 'in', q.severity);
  if (q.status) query = query.where('status', 'in', q.status);
  if (q.source) query = query.where('source', '=', q.source);
  if (q.from) query = query.where('created_at', '>=', q.from);
  if (q.to) query = query.where('created_at', '<', q.to);
  if (q.text) {
    const text = q.text;
    query = query.where((eb) => eb.or([containsText('title', text), containsText('description', text)]));
  }
  if (q.errorCode) {
    const code = q.errorCode;
    query = query.where('id', 'in', (eb) =>
      eb.selectFrom('incident_error_codes').select('incident_id').where('code', '=', code),
    );
  }
  const rows = await query.orderBy('created_at').orderBy('id').limit(q.limit).offset(q.offset).execute();
  return toIncidents(db, rows);
}

export function applyUpdate(row: IncidentRow, u: ValidIncidentUpdate, now: string): IncidentRow {
  return {
    ...row,
    ...(u.title !== undefined && { title: u.title }),
    ...(u.description !== undefined && { description: u.description }),
    ...(u.component !== undefined && { component: u.component || null }),
    ...(u.severity !== undefined && { severity: u.severity }),
    ...(u.status !== undefined && { status: u.status }),
    ...(u.resolvedAt !== undefined && { resolved_at: u.resolvedAt }),
    ...(u.resolution !== undefined && { resolution: u.resolution }),
    ...(u.kbEntryId !== undefined && { kb_entry_id: u.kbEntryId }),
    ...(u.metadata !== undefined && { metadata: JSON.stringify(u.metadata) }),
    updated_at: now,
  };
}

/** Incident counts per component / error code / severity / source and hour or day (UTC). */
export async function countIncidents(db: Db, o: ValidCountOptions): Promise<IncidentCount[]> {
  // ISO-8601 text: the first 13 characters are the hour, the first 10 the day, on every dialect.
  const bucket = sql<string>`substr(${sql.ref('created_at')}, 1, ${sql.lit(o.interval === 'hour' ? 13 : 10)})`;
  if (o.by === 'errorCode') {
    let q = db
      .selectFrom('incident_error_codes')
      .select([
        sql<string>`code`.as('key'),
        bucket.as('bucket'),
        (eb) => eb.fn.countAll<number>().as('count'),
      ]);
    if (o.from) q = q.where('created_at', '>=', o.from);
    if (o.to) q = q.where('created_at', '<', o.to);
    if (o.key) q = q.where('code', '=', o.key);
    const rows = await q.groupBy(['code', bucket]).orderBy('code').orderBy(bucket).execute();
    return rows.map((r) => ({ key: r.key, bucket: r.bucket, count: Number(r.count) }));
  }
  const column = o.by;
  let q = db
    .selectFrom('incidents')
    .select([
      sql<string | null>`${sql.ref(column)}`.as('key'),
      bucket.as('bucket'),
      (eb) => eb.fn.countAll<number>().as('count'),
    ]);
  if (o.from) q = q.where('created_at', '>=', o.from);
  if (o.to) q = q.where('created_at', '<', o.to);
  if (o.key) q = q.where(column, '=', o.key);
  const rows = await q.groupBy([column, bucket]).orderBy(column).orderBy(bucket).execute();
  return rows.map((r) => ({ key: r.key, bucket: r.bucket, count: Number(r.count) }));
}

/** Every incident as the detectors read it, in time order. */
export async function loadDetectionIncidents(db: Db): Promise<DetectionIncident[]> {
  const rows = await db
    .selectFrom('incidents')
    .select(['id', 'created_at', 'component', 'severity', 'title', 'description'])
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const codeRows = await db.selectFrom('incident_error_codes').select(['incident_id', 'code']).execute();
  const codes = new Map<string, string[]>();
  for (const r of codeRows) {
    const list = codes.get(r.incident_id);
    if (list) list.push(r.code);
    else codes.set(r.incident_id, [r.code]);
  }
  return rows.map((r) => ({
    id: r.id,
    time: Date.parse(r.created_at),
    component: r.component,
    severity: r.severity as DetectionIncident['severity'],
    title: r.title,
    text: `${r.title}\n${r.description}`,
    codes: (codes.get(r.id) ?? []).sort(),
  }));
}
