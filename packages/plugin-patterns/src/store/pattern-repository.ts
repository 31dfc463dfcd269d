import { NotFoundError } from '@mainframe-kb/storage-core';
import type { ExpressionBuilder, Kysely } from 'kysely';
import type { DetectedPattern } from '../detection/detection-types.js';
import type { ValidPatternCriteria, ValidPatternUpdate } from '../input-schemas.js';
import type { PatternRow, PatternsDatabase } from '../schema/patterns-database.js';
import type { KbPatternLink, Pattern, PatternDetail, PatternMember } from '../types.js';
import { matchKbEntries, scoreEntries, suggestionFor, termsOf } from './kb-matcher.js';
import { rowToLink, rowToPattern, rowToSuggestion } from './row-mapping.js';
import { containsText, inChunks, insertMany } from './sql-helpers.js';

type Db = Kysely<PatternsDatabase>;

export function detectedToRow(p: DetectedPattern, now: string): PatternRow {
  return {
    id: p.id,
    pattern_type: p.type,
    origin: 'detected',
    status: 'active',
    description: p.description,
    confidence: p.confidence,
    frequency: p.members.length,
    severity: p.severity,
    component: p.component,
    error_code: p.errorCode,
    first_seen: p.firstSeen,
    last_seen: p.lastSeen,
    metadata: JSON.stringify(p.metadata),
    created_at: now,
    updated_at: now,
  };
}

export async function findPatternRow(db: Db, id: string): Promise<PatternRow | undefined> {
  return db.selectFrom('incident_patterns').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function requirePatternRow(db: Db, id: string): Promise<PatternRow> {
  const row = await findPatternRow(db, id);
  if (!row) throw new NotFoundError('pattern', id);
  return row;
}

export async function insertMembers(
  db: Db,
  patternId: string,
  members: readonly PatternMember[],
): Promise<void> {
  await insertMany(
    db,
    'pattern_incidents',
    members.map((m) => ({
      pattern_id: patternId,
      incident_id: m.incidentId,
      correlation_score: m.correlationScore,
    })),
  );
}

export async function listPatterns(db: Db, c: ValidPatternCriteria): Promise<Pattern[]> {
  let q = db.selectFrom('incident_patterns').selectAll();
  if (c.type) q = q.where('pattern_type', 'in', c.type);
  if (c.severity) q = q.where('severity', 'in', c.severity);
  if (c.minConfidence !== undefined) q = q.where('confidence', '>=', c.minConfidence);
  if (c.from) q = q.where('last_seen', '>=', c.from);
  if (c.to) q = q.where('first_seen', '<', c.to);
  if (c.component) q = q.where('component', '=', c.component);
  if (c.errorCode) q = q.where('error_code', '=', c.errorCode);
  if (c.status) q = q.where('status', 'in', c.status);
  if (c.origin) q = q.where('origin', '=', c.origin);
  if (c.text) q = q.where(containsText('description', c.text));
  const rows = await q
    .orderBy('confidence', 'desc')
    .orderBy('last_seen', 'desc')
    .orderBy('id')
    .limit(c.limit)
    .offset(c.offset)
    .execute();
  return rows.map(rowToPattern);
}

export async function patternDetail(db: Db, row: PatternRow): Promise<PatternDetail> {
  const [members, links, suggestion] = await Promise.all([
    db
      .selectFrom('pattern_incidents')
      .innerJoin('incidents', 'incidents.id', 'pattern_incidents.incident_id')
      .select(['pattern_incidents.incident_id', 'pattern_incidents.correlation_score'])
      .where('pattern_incidents.pattern_id', '=', row.id)
      .orderBy('incidents.created_at')
      .orderBy('incidents.id')
      .execute(),
    db
      .selectFrom('kb_pattern_links')
      .selectAll()
      .where('pattern_id', '=', row.id)
      .orderBy('score', 'desc')
      .orderBy('kb_entry_id')
      .execute(),
    db.selectFrom('kb_entry_suggestions').selectAll().where('pattern_id', '=', row.id).executeTakeFirst(),
  ]);
  return {
    ...rowToPattern(row),
    incidents: members.map((m) => ({
      incidentId: m.incident_id,
      correlationScore: Number(m.correlation_score),
    })),
    kbLinks: links.map(rowToLink),
    suggestion: suggestion ? rowToSuggestion(suggestion) : null,
  };
}

export async function updatePatternRow(
  db: Db,
  id: string,
  u: ValidPatternUpdate,
  now: string,
): Promise<boolean> {
  const result = await db
    .updateTable('incident_patterns')
    .set({
      ...(u.description !== undefined && { description: u.description }),
      ...(u.confidence !== undefined && { confidence: u.confidence }),
      ...(u.severity !== undefined && { severity: u.severity }),
      ...(u.status !== undefined && { status: u.status }),
      ...(u.metadata !== undefined && { metadata: JSON.stringify(u.metadata) }),
      updated_at: now,
    })
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function upsertLink(db: Db, link: KbPatternLink): Promise<void> {
  await db
    .deleteFrom('kb_pattern_links')
    .where('pattern_id', '=', link.patternId)
    .where('kb_entry_id', '=', link.kbEntryId)
    .execute();
  await db
    .insertInto('kb_pattern_links')
    .values({
      pattern_id: link.patternId,
      kb_entry_id: link.kbEntryId,
      link_type: link.linkType,
      score: link.score,
      created_at: link.createdAt,
    })
    .execute();
}

export interface KbLinkOutcome {
  linked: number;
  suggested: boolean;
}

/**
 * Links a detected pattern to the KB entries that match it; when none does and no suggestion exists yet,
 * opens one. Manual links are never touched.
 */
export async function linkPatternToKb(
  db: Db,
  pattern: Pick<Pattern, 'id' | 'errorCode' | 'component' | 'description' | 'metadata'>,
  minScore: number,
  now: string,
): Promise<KbLinkOutcome> {
  await db
    .deleteFrom('kb_pattern_links')
    .where('pattern_id', '=', pattern.id)
    .where('link_type', '=', 'detected')
    .execute();
  const matches = await matchKbEntries(db, pattern, minScore);
  const manual = await db
    .selectFrom('kb_pattern_links')
    .select('kb_entry_id')
    .where('pattern_id', '=', pattern.id)
    .execute();
  const taken = new Set(manual.map((m) => m.kb_entry_id));
  const fresh = matches.filter((m) => !taken.has(m.kbEntryId));
  await insertMany(
    db,
    'kb_pattern_links',
    fresh.map((m) => ({
      pattern_id: pattern.id,
      kb_entry_id: m.kbEntryId,
      link_type: 'detected',
      score: m.score,
      created_at: now,
    })),
  );
  if (fresh.length > 0 || taken.size > 0) return { linked: fresh.length, suggested: false };
  const existing = await db
    .selectFrom('kb_entry_suggestions')
    .select('pattern_id')
    .where('pattern_id', '=', pattern.id)
    .executeTakeFirst();
  if (existing) return { linked: 0, suggested: false };
  const titles = await db
    .selectFrom('pattern_incidents')
    .innerJoin('incidents', 'incidents.id', 'pattern_incidents.incident_id')
    .select('incidents.title')
    .where('pattern_incidents.pattern_id', '=', pattern.id)
    .orderBy('incidents.created_at')
    .orderBy('incidents.id')
    .limit(5)
    .execute();
  const suggestion = suggestionFor(
    pattern,
    titles.map((t) => t.title),
  );
  await db
    .insertInto('kb_entry_suggestions')
    .values({
      pattern_id: pattern.id,
      title: suggestion.title,
      problem: suggestion.problem,
      category: suggestion.category,
      tags: JSON.stringify(suggestion.tags),
      status: 'open',
      created_at: now,
      updated_at: now,
    })
    .execute();
  return { linked: 0, suggested: true };
}

export interface PersistOutcome {
  created: number;
  updated: number;
  removed: number;
  /** Patterns that reached the critical size in this run. */
  critical: Pattern[];
  kbLinked: number;
  suggestions: number;
}

/**
 * Replaces the detected patterns with a fresh detection: patterns found again keep their id, status and
 * creation time; patterns no longer found are removed (with their members, links and suggestions); manual
 * patterns are untouched.
 */
export async function persistDetection(
  db: Db,
  detected: readonly DetectedPattern[],
  now: string,
  options: { criticalThreshold: number; kbMatchMinScore: number },
  titleOf: (incidentId: string) => string | undefined,
): Promise<PersistOutcome> {
  const previous = new Map(
    (
      await db
        .selectFrom('incident_patterns')
        .select(['id', 'frequency', 'status', 'created_at'])
        .where('origin', '=', 'detected')
        .execute()
    ).map((r) => [r.id, r]),
  );
  const keep = new Set(detected.map((p) => p.id));
  const gone = [...previous.keys()].filter((id) => !keep.has(id));
  await inChunks(gone, 500, async (chunk) => {
    await db.deleteFrom('incident_patterns').where('id', 'in', chunk).execute();
    return [];
  });
  await db
    .deleteFrom('pattern_incidents')
    .where('pattern_id', 'in', (eb) =>
      eb.selectFrom('incident_patterns').select('id').where('origin', '=', 'detected'),
    )
    .execute();
  const fresh: PatternRow[] = [];
  const critical: Pattern[] = [];
  let updated = 0;
  for (const p of detected) {
    const row = detectedToRow(p, now);
    const before = previous.get(p.id);
    if (before) {
      const { id, origin: _o, status: _s, created_at: _c, ...changes } = row;
      await db.updateTable('incident_patterns').set(changes).where('id', '=', id).execute();
      updated++;
      if (
        row.frequency >= options.criticalThreshold &&
        Number(before.frequency) < options.criticalThreshold
      ) {
        critical.push(rowToPattern({ ...row, status: before.status, created_at: before.created_at }));
      }
    } else {
      fresh.push(row);
      if (row.frequency >= options.criticalThreshold) critical.push(rowToPattern(row));
    }
  }
  await insertMany(db, 'incident_patterns', fresh as unknown as Record<string, unknown>[]);
  await insertMany(
    db,
    'pattern_incidents',
    detected.flatMap((p) =>
      p.members.map((m) => ({
        pattern_id: p.id,
        incident_id: m.incidentId,
        correlation_score: m.correlationScore,
      })),
    ),
  );
  const { kbLinked, suggestions } = await linkDetectedToKb(
    db,
    detected,
    now,
    options.kbMatchMinScore,
    titleOf,
  );
  return { created: fresh.length, updated, removed: gone.length, critical, kbLinked, suggestions };
}

/** Above this many KB entries, each pattern queries for its matches instead of matching in memory. */
const KB_IN_MEMORY_LIMIT = 5_000;

/**
 * The KB step of a full detection, in a handful of statements whatever the number of patterns: replaces
 * the detected links, keeps manual ones, and opens a suggestion for each pattern nothing matches.
 */
async function linkDetectedToKb(
  db: Db,
  detected: readonly DetectedPattern[],
  now: string,
  minScore: number,
  titleOf: (incidentId: string) => string | undefined,
): Promise<{ kbLinked: number; suggestions: number }> {
  const detectedIds = (eb: ExpressionBuilder<PatternsDatabase, 'kb_pattern_links'>) =>
    eb.selectFrom('incident_patterns').select('id').where('origin', '=', 'detected');
  await db
    .deleteFrom('kb_pattern_links')
    .where('link_type', '=', 'detected')
    .where('pattern_id', 'in', detectedIds)
    .execute();
  const manual = new Map<string, Set<string>>();
  for (const r of await db
    .selectFrom('kb_pattern_links')
    .select(['pattern_id', 'kb_entry_id'])
    .where('pattern_id', 'in', detectedIds)
    .execute()) {
    let set = manual.get(r.pattern_id);
    if (!set) {
      set = new Set();
      manual.set(r.pattern_id, set);
    }
    set.add(r.kb_entry_id);
  }
  const suggested = new Set(
    (await db.selectFrom('kb_entry_suggestions').select('pattern_id').execute()).map((r) => r.pattern_id),
  );
  const kbCount = Number(
    (
      await db
        .selectFrom('kb_entries')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('archived', '=', 0)
        .executeTakeFirstOrThrow()
    ).n,
  );
  const kb =
    kbCount === 0
      ? []
      : kbCount <= KB_IN_MEMORY_LIMIT
        ? await db
            .selectFrom('kb_entries')
            .select(['id', 'title', 'problem', 'tags'])
            .where('archived', '=', 0)
            .orderBy('id')
            .execute()
        : null;
  const links: Record<string, unknown>[] = [];
  const suggestionRows: Record<string, unknown>[] = [];
  for (const p of detected) {
    const matches =
      kb === null ? await matchKbEntries(db, p, minScore) : scoreEntries(termsOf(p), kb, minScore);
    const taken = manual.get(p.id) ?? new Set<string>();
    const fresh = matches.filter((m) => !taken.has(m.kbEntryId));
    for (const m of fresh) {
      links.push({
        pattern_id: p.id,
        kb_entry_id: m.kbEntryId,
        link_type: 'detected',
        score: m.score,
        created_at: now,
      });
    }
    if (fresh.length > 0 || taken.size > 0 || suggested.has(p.id)) continue;
    const titles = p.members.slice(0, 5).map((m) => titleOf(m.incidentId) ?? m.incidentId);
    const suggestion = suggestionFor(p, titles);
    suggestionRows.push({
      pattern_id: p.id,
      title: suggestion.title,
      problem: suggestion.problem,
      category: suggestion.category,
      tags: JSON.stringify(suggestion.tags),
      status: 'open',
      created_at: now,
      updated_at: now,
    });
  }
  await insertMany(db, 'kb_pattern_links', links);
  await insertMany(db, 'kb_entry_suggestions', suggestionRows);
  return { kbLinked: links.length, suggestions: suggestionRows.length };
}

/** Member ids of a pattern (for events). */
export async function memberIds(db: Db, patternId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('pattern_incidents')
    .select('incident_id')
    .where('pattern_id', '=', patternId)
    .orderBy('incident_id')
    .execute();
  return rows.map((r) => r.incident_id);
}
