import { NotFoundError, type PluginContext, type WriteScope } from '@mainframe-kb/storage-core';
import type { Kysely } from 'kysely';
import { detectPatternsIn } from '../detection/pattern-detector.js';
import type { PatternsOptions } from '../input-schemas.js';
import type { IncidentRow, PatternsDatabase } from '../schema/patterns-database.js';
import { ComponentShares } from '../store/component-shares.js';
import { loadDetectionIncidents } from '../store/incident-repository.js';
import { IncrementalDetector } from '../store/incremental-detection.js';
import { memberIds, persistDetection } from '../store/pattern-repository.js';
import { type DetectionSummary, PATTERN_TYPES, type Pattern, type PatternType } from '../types.js';

/** What core hands the plugin's setup: its own tables on `db` and `scope.trx`, its parsed options. */
export type PatternsContext = PluginContext<PatternsDatabase, PatternsOptions>;

/** A write of this plugin: `scope.trx` is a transaction over its tables. */
export type PatternsWrite = WriteScope<PatternsDatabase>;

/** Imports larger than this run one full detection instead of folding each incident in. */
const INCREMENTAL_LIMIT = 200;

/** What the API's services share: the plugin context, its options, and the steps writes have in common. */
export interface ApiContext {
  readonly ctx: PatternsContext;
  readonly options: PatternsOptions;
  /** For reads; writes go through `ctx.write` and its `scope.trx`. */
  readonly db: Kysely<PatternsDatabase>;
  requireKbEntry(tdb: Kysely<PatternsDatabase>, id: string): Promise<void>;
  /** Emits `pattern:critical` (durably, after commit) for each pattern. */
  emitCritical(scope: PatternsWrite, patterns: readonly Pattern[]): Promise<void>;
  /** Folds newly written incidents into the patterns, in the same write (when incremental detection is on). */
  foldIn(scope: PatternsWrite, rows: readonly IncidentRow[]): Promise<void>;
  /** A full detection over every incident, stored in the write's transaction. */
  runDetection(scope: PatternsWrite): Promise<DetectionSummary>;
}

export function createApiContext(ctx: PatternsContext): ApiContext {
  const { db, options } = ctx;
  const shares = new ComponentShares();

  async function requireKbEntry(tdb: Kysely<PatternsDatabase>, id: string): Promise<void> {
    const row = await tdb.selectFrom('kb_entries').select('id').where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError('KB entry', id);
  }

  async function emitCritical(scope: PatternsWrite, patterns: readonly Pattern[]) {
    for (const pattern of patterns) {
      const ids = await memberIds(scope.trx, pattern.id);
      scope.event('pattern:critical', { pattern, incidentIds: ids.slice(0, 100), incidentCount: ids.length });
    }
  }

  async function foldIn(scope: PatternsWrite, rows: readonly IncidentRow[]) {
    if (rows.length === 0) return;
    // Updated incidents are counted again: the shares are estimates, re-read every minute.
    shares.noteWritten(rows);
    if (!options.incremental) return;
    if (rows.length > INCREMENTAL_LIMIT) {
      await runDetection(scope);
      return;
    }
    const outcome = await new IncrementalDetector(scope.trx, options, scope.now, shares).add(rows);
    await emitCritical(scope, outcome.critical);
  }

  async function runDetection(scope: PatternsWrite): Promise<DetectionSummary> {
    const start = performance.now();
    const incidents = await loadDetectionIncidents(scope.trx);
    const detected = detectPatternsIn(incidents, options);
    const titles = new Map(incidents.map((i) => [i.id, i.title]));
    shares.forgetAnchors();
    const outcome = await persistDetection(scope.trx, detected, scope.now, options, (id) => titles.get(id));
    const byType = Object.fromEntries(PATTERN_TYPES.map((t) => [t, 0])) as Record<PatternType, number>;
    for (const p of detected) byType[p.type]++;
    scope.audit({
      action: 'detect',
      entity: 'incident_pattern',
      entityId: null,
      detail: {
        patterns: detected.length,
        created: outcome.created,
        updated: outcome.updated,
        removed: outcome.removed,
      },
    });
    scope.event('pattern:detected', {
      patterns: detected.length,
      created: outcome.created,
      updated: outcome.updated,
      removed: outcome.removed,
    });
    await emitCritical(scope, outcome.critical);
    return {
      incidents: incidents.length,
      patterns: detected.length,
      byType,
      created: outcome.created,
      updated: outcome.updated,
      removed: outcome.removed,
      critical: outcome.critical.map((p) => p.id),
      kbLinked: outcome.kbLinked,
      suggestions: outcome.suggestions,
      tookMs: Math.round(performance.now() - start),
    };
  }

  return { ctx, options, db, requireKbEntry, emitCritical, foldIn, runDetection };
}
