import { type Kysely, sql } from 'kysely';
import type { AnalyticsDatabase } from '../schema/analytics-database.js';
import { addTo, emptyPeriod, type PeriodCounters } from './counters.js';
import { hourOf, iso } from './periods.js';

/** Which other plugins' tables hold data: a series over a plugin that is not enabled is empty and says why. */
export interface Sources {
  /** plugin-patterns: incidents and their error codes. */
  incidents: boolean;
  /** plugin-templates: template usage and outcomes. */
  templates: boolean;
}

export interface CollectOptions {
  sources: Sources;
  /** A search succeeded when positive feedback on its top result follows within this many milliseconds. */
  feedbackWindowMs: number;
}

/** Hour label (`YYYY-MM-DDTHH`) → that hour's counters. */
export type HourCounters = Map<string, PeriodCounters>;

const hourExpr = (column: string) => sql<string>`substr(${sql.ref(column)}, 1, 13)`;

function periodFor(hours: HourCounters, hour: string): PeriodCounters {
  let p = hours.get(hour);
  if (!p) {
    p = emptyPeriod();
    hours.set(hour, p);
  }
  return p;
}

/**
 * Counts, hour by hour, every row of the store that a series reads with a timestamp in [from, to): incidents
 * opened (by `created_at`) and resolved (by `resolved_at`, with the time to resolve and whether an entry that
 * already existed was used), searches and whether positive feedback followed, template outcomes, automatic
 * decisions, and scored predictions. Grouping happens in SQL wherever the figure is a count.
 */
export async function collectHours(
  db: Kysely<AnalyticsDatabase>,
  fromMs: number,
  toMs: number,
  options: CollectOptions,
): Promise<HourCounters> {
  const hours: HourCounters = new Map();
  const from = iso(fromMs);
  const to = iso(toMs);
  if (options.sources.incidents) {
    await collectOpened(db, from, to, hours);
    await collectResolved(db, from, to, hours);
  }
  await collectSearches(db, from, to, toMs, options.feedbackWindowMs, hours);
  if (options.sources.templates) await collectTemplates(db, from, to, hours);
  await collectAuto(db, from, to, hours);
  await collectPredictions(db, from, to, hours);
  return hours;
}

async function collectOpened(db: Kysely<AnalyticsDatabase>, from: string, to: string, hours: HourCounters) {
  const rows = await db
    .selectFrom('incidents')
    .select([hourExpr('created_at').as('h'), 'component', 'severity', 'source'])
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('created_at', '>=', from)
    .where('created_at', '<', to)
    .groupBy([hourExpr('created_at'), 'component', 'severity', 'source'])
    .execute();
  for (const r of rows) {
    addTo(
      periodFor(hours, r.h),
      { opened: Number(r.n) },
      {
        component: r.component,
        severity: r.severity,
        source: r.source,
      },
    );
  }
  const codes = await db
    .selectFrom('incidents as i')
    .innerJoin('incident_error_codes as e', 'e.incident_id', 'i.id')
    .select([hourExpr('i.created_at').as('h'), 'e.code'])
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('i.created_at', '>=', from)
    .where('i.created_at', '<', to)
    .groupBy([hourExpr('i.created_at'), 'e.code'])
    .execute();
  for (const r of codes) addTo(periodFor(hours, r.h), { opened: Number(r.n) }, { error_code: r.code }, false);
}

async function collectResolved(db: Kysely<AnalyticsDatabase>, from: string, to: string, hours: HourCounters) {
  const rows = await db
    .selectFrom('incidents as i')
    .leftJoin('kb_entries as k', 'k.id', 'i.kb_entry_id')
    .select([
      'i.id',
      'i.created_at',
      'i.resolved_at',
      'i.component',
      'i.severity',
      'i.source',
      'i.kb_entry_id',
      'k.created_at as kb_created_at',
    ])
    .where('i.resolved_at', '>=', from)
    .where('i.resolved_at', '<', to)
    .execute();
  if (rows.length === 0) return;
  const codesOf = new Map<string, string[]>();
  const codes = await db
    .selectFrom('incidents as i')
    .innerJoin('incident_error_codes as e', 'e.incident_id', 'i.id')
    .select(['i.id', 'e.code'])
    .where('i.resolved_at', '>=', from)
    .where('i.resolved_at', '<', to)
    .execute();
  for (const c of codes) {
    const list = codesOf.get(c.id);
    if (list) list.push(c.code);
    else codesOf.set(c.id, [c.code]);
  }
  for (const r of rows) {
    const resolvedAt = r.resolved_at!;
    const ttr = Math.max(0, (Date.parse(resolvedAt) - Date.parse(r.created_at)) / 1000);
    // Reuse: resolved with a KB entry that existed before the resolution (not one written for it afterwards).
    const reused =
      r.kb_entry_id !== null && r.kb_created_at !== null && r.kb_created_at <= resolvedAt ? 1 : 0;
    const delta = { resolved: 1, ttrSeconds: Number.isFinite(ttr) ? ttr : 0, kbReused: reused };
    const period = periodFor(hours, hourOf(resolvedAt));
    addTo(period, delta, { component: r.component, severity: r.severity, source: r.source });
    for (const code of codesOf.get(r.id) ?? []) addTo(period, delta, { error_code: code }, false);
  }
}

async function collectSearches(
  db: Kysely<AnalyticsDatabase>,
  from: string,
  to: string,
  toMs: number,
  windowMs: number,
  hours: HourCounters,
) {
  const searches = await db
    .selectFrom('search_history as s')
    .leftJoin('kb_entries as k', 'k.id', 's.top_result_id')
    .select(['s.created_at', 's.top_result_id', 's.user_id', 'k.category'])
    .where('s.created_at', '>=', from)
    .where('s.created_at', '<', to)
    .execute();
  if (searches.length === 0) return;
  const feedback = await db
    .selectFrom('kb_feedback')
    .select(['entry_id', 'user_id', 'created_at'])
    .where('outcome', '=', 'success')
    .where('created_at', '>=', from)
    .where('created_at', '<', iso(toMs + windowMs))
    .orderBy('created_at')
    .execute();
  const byEntry = new Map<string, { t: number; user: string | null }[]>();
  for (const f of feedback) {
    const list = byEntry.get(f.entry_id) ?? [];
    list.push({ t: Date.parse(f.created_at), user: f.user_id });
    byEntry.set(f.entry_id, list);
  }
  for (const s of searches) {
    let succeeded = 0;
    if (s.top_result_id !== null) {
      const t = Date.parse(s.created_at);
      const list = byEntry.get(s.top_result_id);
      if (list) {
        for (const f of list) {
          if (f.t < t) continue;
          if (f.t > t + windowMs) break;
          // Same person when both are known; a store without user ids counts anyone's feedback.
          if (s.user_id !== null && f.user !== null && s.user_id !== f.user) continue;
          succeeded = 1;
          break;
        }
      }
    }
    addTo(
      periodFor(hours, hourOf(s.created_at)),
      { searches: 1, searchesSucceeded: succeeded },
      {
        category: s.category,
      },
    );
  }
}

async function collectTemplates(
  db: Kysely<AnalyticsDatabase>,
  from: string,
  to: string,
  hours: HourCounters,
) {
  const rows = await db
    .selectFrom('template_usage as u')
    .innerJoin('code_templates as t', 't.id', 'u.template_id')
    .select([hourExpr('u.created_at').as('h'), 't.category'])
    .select((eb) => [
      eb.fn.countAll<number | string>().as('n'),
      eb.fn.sum<number | string>('u.worked').as('worked'),
    ])
    .where('u.kind', '=', 'outcome')
    .where('u.created_at', '>=', from)
    .where('u.created_at', '<', to)
    .groupBy([hourExpr('u.created_at'), 't.category'])
    .execute();
  for (const r of rows) {
    addTo(
      periodFor(hours, r.h),
      { templateOutcomes: Number(r.n), templateSuccesses: Number(r.worked ?? 0) },
      {
        category: r.category,
      },
    );
  }
}

async function collectAuto(db: Kysely<AnalyticsDatabase>, from: string, to: string, hours: HourCounters) {
  const rows = await db
    .selectFrom('auto_resolutions')
    .select([hourExpr('created_at').as('h'), 'component', 'decision'])
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('kind', '=', 'decision')
    .where('created_at', '>=', from)
    .where('created_at', '<', to)
    .groupBy([hourExpr('created_at'), 'component', 'decision'])
    .execute();
  for (const r of rows) {
    const n = Number(r.n);
    addTo(
      periodFor(hours, r.h),
      { autoDecisions: n, autoApplied: r.decision === 'applied' ? n : 0 },
      {
        component: r.component,
      },
    );
  }
}

async function collectPredictions(
  db: Kysely<AnalyticsDatabase>,
  from: string,
  to: string,
  hours: HourCounters,
) {
  const rows = await db
    .selectFrom('predictions')
    .select([hourExpr('outcome_at').as('h'), 'model_type'])
    .select((eb) => [
      eb.fn.countAll<number | string>().as('n'),
      eb.fn.sum<number | string>('accuracy_score').as('score'),
    ])
    .where('outcome_at', '>=', from)
    .where('outcome_at', '<', to)
    .where('accuracy_score', 'is not', null)
    .groupBy([hourExpr('outcome_at'), 'model_type'])
    .execute();
  for (const r of rows) {
    addTo(
      periodFor(hours, r.h!),
      { predictionsScored: Number(r.n), accuracySum: Number(r.score ?? 0) },
      {
        model: r.model_type,
      },
    );
  }
}
