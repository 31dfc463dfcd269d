import type { Kysely } from 'kysely';
import { burstPValue } from '../detection/burst-detector.js';
import type { DetectionIncident, DetectionSettings } from '../detection/detection-types.js';
import { componentPatternOf, concentrationPValue, errorPatternOf } from '../detection/error-detector.js';
import { highestSeverity, iso, round4, sizeConfidence } from '../detection/pattern-summary.js';
import { stableId } from '../detection/stable-id.js';
import { jaccard, shingleSet } from '../detection/text-shingles.js';
import type { IncidentRow, PatternsDatabase } from '../schema/patterns-database.js';
import type { Pattern } from '../types.js';
import type { ClusterAnchor, ComponentShares } from './component-shares.js';
import { incidentCodes } from './incident-repository.js';
import { detectedToRow, findPatternRow, insertMembers, linkPatternToKb } from './pattern-repository.js';
import { rowToPattern } from './row-mapping.js';

type Db = Kysely<PatternsDatabase>;

const HOUR = 3_600_000;

export interface IncrementalOptions extends DetectionSettings {
  criticalThreshold: number;
  kbMatchMinScore: number;
}

export interface IncrementalOutcome {
  created: string[];
  grown: string[];
  critical: Pattern[];
}

function toDetection(
  row: Pick<IncidentRow, 'id' | 'created_at' | 'component' | 'severity' | 'title' | 'description'>,
  codes: string[],
): DetectionIncident {
  return {
    id: row.id,
    time: Date.parse(row.created_at),
    component: row.component,
    severity: row.severity as DetectionIncident['severity'],
    title: row.title,
    text: `${row.title}\n${row.description}`,
    codes,
  };
}

/** ISO-8601 UTC timestamps order as text. */
const earliest = (a: string, b: string): string => [a, b].sort()[0]!;
const latest = (a: string, b: string): string => [a, b].sort()[1]!;

const SEVERITY_RANK = { low: 0, medium: 1, high: 2, critical: 3 } as const;
function maxSeverity(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return SEVERITY_RANK[a as keyof typeof SEVERITY_RANK] >= SEVERITY_RANK[b as keyof typeof SEVERITY_RANK]
    ? a
    : b;
}

/**
 * Folds newly written incidents into the stored patterns without a full run: error codes that now recur
 * grow (or create) their `error` pattern, a window that is now a significant burst grows the series' open
 * `temporal` episode (or starts one), and an incident like a stored text cluster's anchor joins it. New
 * text clusters need the whole history and are left to `detectPatterns()`. Runs inside the write that
 * stored the incidents.
 */
export class IncrementalDetector {
  readonly #created = new Set<string>();
  readonly #grown = new Set<string>();
  readonly #critical = new Map<string, Pattern>();

  constructor(
    private readonly db: Db,
    private readonly options: IncrementalOptions,
    private readonly now: string,
    private readonly shares: ComponentShares,
  ) {}

  async add(rows: readonly IncidentRow[]): Promise<IncrementalOutcome> {
    const sorted = [...rows].sort((a, b) =>
      a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1,
    );
    for (const row of sorted) {
      const codes = incidentCodes(row);
      for (const code of codes) {
        const total = await this.#errorPattern(code, row);
        if (row.component !== null && total >= this.options.minIncidents) {
          await this.#componentPattern(row.component, code, total);
        }
      }
      await this.#bursts(row, codes);
      await this.#clusters(row);
    }
    return {
      created: [...this.#created],
      grown: [...this.#grown].filter((id) => !this.#created.has(id)),
      critical: [...this.#critical.values()],
    };
  }

  /** Anchors of the stored text clusters, read once per batch: few, and unchanged by incremental work. */
  #clusterAnchors(): Promise<ClusterAnchor[]> {
    return this.shares.anchors(() => this.#loadAnchors());
  }

  async #loadAnchors(): Promise<ClusterAnchor[]> {
    const patterns = await this.db
      .selectFrom('incident_patterns')
      .select(['id', 'metadata'])
      .where('origin', '=', 'detected')
      .where('pattern_type', '=', 'correlation')
      .orderBy('id')
      .execute();
    const anchorOf = new Map<string, string>();
    for (const p of patterns) {
      const anchor = (JSON.parse(p.metadata) as { anchorIncidentId?: unknown }).anchorIncidentId;
      if (typeof anchor === 'string') anchorOf.set(anchor, p.id);
    }
    const texts =
      anchorOf.size === 0
        ? []
        : await this.db
            .selectFrom('incidents')
            .select(['id', 'title', 'description'])
            .where('id', 'in', [...anchorOf.keys()])
            .orderBy('id')
            .execute();
    return texts.map((t) => ({
      patternId: anchorOf.get(t.id)!,
      shingles: shingleSet(`${t.title}\n${t.description}`),
    }));
  }

  /**
   * A new incident joins the stored text cluster whose anchor (its earliest incident) it resembles most, at
   * the cluster's threshold. New clusters need the whole history and are found by `detectPatterns()`.
   */
  async #clusters(row: IncidentRow): Promise<void> {
    const anchors = await this.#clusterAnchors();
    if (anchors.length === 0) return;
    const shingles = shingleSet(`${row.title}\n${row.description}`);
    let best: { patternId: string; score: number } | undefined;
    for (const a of anchors) {
      const score = jaccard(a.shingles, shingles);
      if (score >= this.options.similarityThreshold && (!best || score > best.score)) {
        best = { patternId: a.patternId, score };
      }
    }
    if (!best) return;
    const pattern = await findPatternRow(this.db, best.patternId);
    if (!pattern) return;
    const member = await this.db
      .selectFrom('pattern_incidents')
      .select('incident_id')
      .where('pattern_id', '=', pattern.id)
      .where('incident_id', '=', row.id)
      .executeTakeFirst();
    if (member) return;
    const score = round4(best.score);
    await insertMembers(this.db, pattern.id, [{ incidentId: row.id, correlationScore: score }]);
    const frequency = Number(pattern.frequency) + 1;
    const metadata = JSON.parse(pattern.metadata) as { meanSimilarity?: number };
    const mean = ((metadata.meanSimilarity ?? 1) * (frequency - 1) + score) / frequency;
    await this.db
      .updateTable('incident_patterns')
      .set({
        frequency,
        confidence: round4(mean * sizeConfidence(frequency)),
        severity: maxSeverity(pattern.severity, row.severity),
        first_seen: earliest(row.created_at, pattern.first_seen),
        last_seen: latest(row.created_at, pattern.last_seen),
        description: pattern.description.replace(/^\d+ incidents/, `${frequency} incidents`),
        metadata: JSON.stringify({ ...metadata, meanSimilarity: round4(mean) }),
        updated_at: this.now,
      })
      .where('id', '=', pattern.id)
      .execute();
    this.#grown.add(pattern.id);
    await this.#noteCritical(pattern.id, frequency - 1, frequency);
  }

  async #noteCritical(id: string, before: number, after: number): Promise<void> {
    if (after >= this.options.criticalThreshold && before < this.options.criticalThreshold) {
      const row = await findPatternRow(this.db, id);
      if (row) this.#critical.set(id, rowToPattern(row));
    }
  }

  /** Grows or creates the code's `error` pattern; returns how many incidents have the code. */
  async #errorPattern(code: string, row: IncidentRow): Promise<number> {
    const { count } = await this.db
      .selectFrom('incident_error_codes')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('code', '=', code)
      .executeTakeFirstOrThrow();
    const n = Number(count);
    if (n < this.options.minIncidents) return n;
    const id = stableId('pat', 'error', code);
    const existing = await findPatternRow(this.db, id);
    if (existing && existing.origin === 'detected') {
      const member = await this.db
        .selectFrom('pattern_incidents')
        .select('incident_id')
        .where('pattern_id', '=', id)
        .where('incident_id', '=', row.id)
        .executeTakeFirst();
      if (!member) await insertMembers(this.db, id, [{ incidentId: row.id, correlationScore: 1 }]);
      const components = {
        ...((JSON.parse(existing.metadata) as { components?: Record<string, number> }).components ?? {}),
      };
      if (row.component && !member) components[row.component] = (components[row.component] ?? 0) + 1;
      await this.db
        .updateTable('incident_patterns')
        .set({
          frequency: n,
          confidence: round4(sizeConfidence(n)),
          description: existing.description.replace(
            /recurred in \d+ incidents/,
            `recurred in ${n} incidents`,
          ),
          severity: maxSeverity(existing.severity, row.severity),
          first_seen: earliest(row.created_at, existing.first_seen),
          last_seen: latest(row.created_at, existing.last_seen),
          metadata: JSON.stringify({ ...JSON.parse(existing.metadata), components }),
          updated_at: this.now,
        })
        .where('id', '=', id)
        .execute();
      this.#grown.add(id);
      await this.#noteCritical(id, Number(existing.frequency), n);
      return n;
    }
    if (existing) return n; // a manual pattern with the same id cannot exist (ids differ), but never overwrite one
    const rows = await this.db
      .selectFrom('incident_error_codes')
      .innerJoin('incidents', 'incidents.id', 'incident_error_codes.incident_id')
      .select([
        'incidents.id',
        'incidents.created_at',
        'incidents.component',
        'incidents.severity',
        'incidents.title',
        'incidents.description',
      ])
      .where('incident_error_codes.code', '=', code)
      .orderBy('incidents.created_at')
      .orderBy('incidents.id')
      .execute();
    const pattern = errorPatternOf(
      code,
      rows.map((r) => toDetection(r, [code])),
    );
    await this.db.insertInto('incident_patterns').values(detectedToRow(pattern, this.now)).execute();
    await insertMembers(this.db, pattern.id, pattern.members);
    await linkPatternToKb(this.db, pattern, this.options.kbMatchMinScore, this.now);
    this.#created.add(pattern.id);
    await this.#noteCritical(pattern.id, 0, pattern.members.length);
    return n;
  }

  /** Grows or creates the `component` pattern of a code on one component, when the code occurs elsewhere too. */
  async #componentPattern(component: string, code: string, codeTotal: number): Promise<void> {
    // Count first: most codes are not concentrated, and their members need not be read.
    const { n } = await this.db
      .selectFrom('incident_error_codes')
      .innerJoin('incidents', 'incidents.id', 'incident_error_codes.incident_id')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('incident_error_codes.code', '=', code)
      .where('incidents.component', '=', component)
      .executeTakeFirstOrThrow();
    const count = Number(n);
    if (count < this.options.minIncidents || count >= codeTotal) return;
    const share = await this.shares.shareOf(this.db, component);
    if (concentrationPValue(count, codeTotal, share) >= this.options.burstAlpha) return;
    const members = await this.db
      .selectFrom('incident_error_codes')
      .innerJoin('incidents', 'incidents.id', 'incident_error_codes.incident_id')
      .select([
        'incidents.id',
        'incidents.created_at',
        'incidents.component',
        'incidents.severity',
        'incidents.title',
        'incidents.description',
      ])
      .where('incident_error_codes.code', '=', code)
      .where('incidents.component', '=', component)
      .orderBy('incidents.created_at')
      .orderBy('incidents.id')
      .execute();
    const pattern = componentPatternOf(
      component,
      code,
      members.map((m) => toDetection(m, [code])),
      codeTotal,
      share,
    );
    const existing = await findPatternRow(this.db, pattern.id);
    if (existing) {
      const known = new Set(
        (
          await this.db
            .selectFrom('pattern_incidents')
            .select('incident_id')
            .where('pattern_id', '=', pattern.id)
            .execute()
        ).map((r) => r.incident_id),
      );
      await insertMembers(
        this.db,
        pattern.id,
        pattern.members.filter((m) => !known.has(m.incidentId)),
      );
      const { id, origin: _o, status: _s, created_at: _c, ...changes } = detectedToRow(pattern, this.now);
      await this.db.updateTable('incident_patterns').set(changes).where('id', '=', id).execute();
      this.#grown.add(id);
      await this.#noteCritical(id, Number(existing.frequency), pattern.members.length);
      return;
    }
    await this.db.insertInto('incident_patterns').values(detectedToRow(pattern, this.now)).execute();
    await insertMembers(this.db, pattern.id, pattern.members);
    await linkPatternToKb(this.db, pattern, this.options.kbMatchMinScore, this.now);
    this.#created.add(pattern.id);
    await this.#noteCritical(pattern.id, 0, pattern.members.length);
  }

  async #bursts(row: IncidentRow, codes: string[]): Promise<void> {
    const windowMs = this.options.burstWindowHours * HOUR;
    const spanMs = await this.shares.spanMs(this.db);
    if (spanMs < 3 * windowMs) return;
    const t = Date.parse(row.created_at);
    const from = iso(t - windowMs + 1);
    const series: { key: string; component: string | null; code: string | null }[] = [];
    if (row.component)
      for (const code of codes)
        series.push({ key: `component:${row.component}|code:${code}`, component: row.component, code });
    if (row.component)
      series.push({ key: `component:${row.component}`, component: row.component, code: null });
    for (const code of codes) series.push({ key: `code:${code}`, component: null, code });
    const fired = new Set<string>();
    for (const s of series) {
      const members = await this.#seriesWindow(s.component, s.code, from, row.created_at);
      if (members.length < this.options.minIncidents) continue;
      const memberKey = members.map((m) => m.id).join(',');
      if (fired.has(memberKey)) continue;
      const total = await this.#seriesTotal(s.component, s.code);
      const p = burstPValue(members.length, total, windowMs, spanMs);
      if (p >= this.options.burstAlpha) continue;
      fired.add(memberKey);
      await this.#growBurst(s, members, p, total, spanMs, from);
    }
  }

  async #seriesWindow(component: string | null, code: string | null, from: string, to: string) {
    if (code === null) {
      return this.db
        .selectFrom('incidents')
        .select(['incidents.id', 'incidents.created_at', 'incidents.severity'])
        .where('incidents.component', '=', component)
        .where('incidents.created_at', '>=', from)
        .where('incidents.created_at', '<=', to)
        .orderBy('incidents.created_at')
        .orderBy('incidents.id')
        .execute();
    }
    // The (code, created_at) index bounds the window; the join only reads the window's incidents.
    let q = this.db
      .selectFrom('incident_error_codes')
      .innerJoin('incidents', 'incidents.id', 'incident_error_codes.incident_id')
      .select(['incidents.id', 'incidents.created_at', 'incidents.severity'])
      .where('incident_error_codes.code', '=', code)
      .where('incident_error_codes.created_at', '>=', from)
      .where('incident_error_codes.created_at', '<=', to);
    if (component !== null) q = q.where('incidents.component', '=', component);
    return q.orderBy('incidents.created_at').orderBy('incidents.id').execute();
  }

  async #seriesTotal(component: string | null, code: string | null): Promise<number> {
    if (code === null) {
      const r = await this.db
        .selectFrom('incidents')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('component', '=', component)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    }
    let q = this.db
      .selectFrom('incident_error_codes')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('incident_error_codes.code', '=', code);
    if (component !== null) {
      q = q
        .innerJoin('incidents', 'incidents.id', 'incident_error_codes.incident_id')
        .where('incidents.component', '=', component);
    }
    const r = await q.executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async #growBurst(
    s: { key: string; component: string | null; code: string | null },
    members: { id: string; created_at: string; severity: string | null }[],
    p: number,
    total: number,
    spanMs: number,
    from: string,
  ): Promise<void> {
    let open = this.db
      .selectFrom('incident_patterns')
      .selectAll()
      .where('origin', '=', 'detected')
      .where('pattern_type', '=', 'temporal')
      .where('last_seen', '>=', from);
    open =
      s.component === null ? open.where('component', 'is', null) : open.where('component', '=', s.component);
    open = s.code === null ? open.where('error_code', 'is', null) : open.where('error_code', '=', s.code);
    const episode = await open.orderBy('last_seen', 'desc').orderBy('id').executeTakeFirst();
    const confidence = round4(Math.min(1, -Math.log10(Math.max(p, 1e-300)) / 10));
    const severity = highestSeverity(members.map((m) => ({ severity: m.severity }) as DetectionIncident));
    if (episode) {
      const known = new Set(
        (
          await this.db
            .selectFrom('pattern_incidents')
            .select('incident_id')
            .where('pattern_id', '=', episode.id)
            .execute()
        ).map((r) => r.incident_id),
      );
      const added = members.filter((m) => !known.has(m.id));
      if (added.length === 0) return;
      await insertMembers(
        this.db,
        episode.id,
        added.map((m) => ({ incidentId: m.id, correlationScore: 1 })),
      );
      const frequency = known.size + added.length;
      const last = members[members.length - 1]!.created_at;
      await this.db
        .updateTable('incident_patterns')
        .set({
          frequency,
          confidence: Math.max(Number(episode.confidence), confidence),
          severity: maxSeverity(episode.severity, severity),
          last_seen: latest(last, episode.last_seen),
          description: episode.description.replace(
            /burst of \d+ incidents/,
            `burst of ${frequency} incidents`,
          ),
          updated_at: this.now,
        })
        .where('id', '=', episode.id)
        .execute();
      this.#grown.add(episode.id);
      await this.#noteCritical(episode.id, Number(episode.frequency), frequency);
      return;
    }
    const first = members[0]!;
    const last = members[members.length - 1]!;
    const what = s.code && s.component ? `${s.code} on ${s.component}` : (s.code ?? s.component ?? s.key);
    const hours = Math.max(
      1,
      Math.round((Date.parse(last.created_at) - Date.parse(first.created_at)) / HOUR),
    );
    const pattern = {
      id: stableId('pat', 'temporal', s.key, first.created_at),
      type: 'temporal' as const,
      description: `burst of ${members.length} incidents (${what}) within ${hours} h, against a baseline of ${(((total - members.length) / spanMs) * 24 * HOUR).toFixed(2)} a day`,
      confidence,
      severity,
      component: s.component,
      errorCode: s.code,
      firstSeen: first.created_at,
      lastSeen: last.created_at,
      metadata: {
        detector: 'poisson-burst',
        series: s.key,
        pValue: p,
        windowHours: this.options.burstWindowHours,
        incremental: true,
      },
      members: members.map((m) => ({ incidentId: m.id, correlationScore: 1 })),
    };
    if (await findPatternRow(this.db, pattern.id)) return;
    await this.db.insertInto('incident_patterns').values(detectedToRow(pattern, this.now)).execute();
    await insertMembers(this.db, pattern.id, pattern.members);
    await linkPatternToKb(this.db, pattern, this.options.kbMatchMinScore, this.now);
    this.#created.add(pattern.id);
    await this.#noteCritical(pattern.id, 0, members.length);
  }
}
