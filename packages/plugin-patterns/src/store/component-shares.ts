import type { Kysely } from 'kysely';
import type { PatternsDatabase } from '../schema/patterns-database.js';

interface Snapshot {
  at: number;
  total: number;
  counts: Map<string, number>;
  /** First and last incident time (ISO text): the history the burst baselines are measured over. */
  first: string | null;
  last: string | null;
}

export interface ClusterAnchor {
  patternId: string;
  shingles: Uint32Array;
}

/**
 * What incremental detection needs about the whole store — each component's share of all incidents, the span
 * of the history, the anchors of the stored text clusters — kept between writes instead of read on every new
 * incident. The counts and span are read once, kept up to date with the incidents this process folds in,
 * and read again when older than `maxAgeMs` (other processes' writes); the anchors are dropped whenever a
 * full detection replaces the clusters.
 */
export class ComponentShares {
  #snapshot: Snapshot | undefined;
  #anchors: { at: number; list: ClusterAnchor[] } | undefined;

  async anchors(load: () => Promise<ClusterAnchor[]>): Promise<ClusterAnchor[]> {
    const now = Date.now();
    if (this.#anchors && now - this.#anchors.at <= this.maxAgeMs) return this.#anchors.list;
    this.#anchors = { at: now, list: await load() };
    return this.#anchors.list;
  }

  /** A full detection replaced the stored patterns. */
  forgetAnchors(): void {
    this.#anchors = undefined;
  }

  /** Milliseconds from the first to the last incident. */
  async spanMs(db: Kysely<PatternsDatabase>): Promise<number> {
    const s = await this.#current(db);
    return s.first && s.last ? Date.parse(s.last) - Date.parse(s.first) : 0;
  }

  constructor(private readonly maxAgeMs = 60_000) {}

  async shareOf(db: Kysely<PatternsDatabase>, component: string): Promise<number> {
    const snapshot = await this.#current(db);
    return snapshot.total === 0 ? 0 : (snapshot.counts.get(component) ?? 0) / snapshot.total;
  }

  /** Counts incidents written by this process since the snapshot was read. */
  noteWritten(rows: readonly { component: string | null }[]): void {
    const s = this.#snapshot;
    if (!s) return;
    s.total += rows.length;
    for (const r of rows)
      if (r.component !== null) s.counts.set(r.component, (s.counts.get(r.component) ?? 0) + 1);
  }

  async #current(db: Kysely<PatternsDatabase>): Promise<Snapshot> {
    const now = Date.now();
    if (this.#snapshot && now - this.#snapshot.at <= this.maxAgeMs) return this.#snapshot;
    const rows = await db
      .selectFrom('incidents')
      .select(['component', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('component')
      .execute();
    const counts = new Map<string, number>();
    let total = 0;
    for (const r of rows) {
      total += Number(r.n);
      if (r.component !== null) counts.set(r.component, Number(r.n));
    }
    // Two queries: SQLite answers a lone min() or max() from the index, both together by a full scan.
    const first = await db
      .selectFrom('incidents')
      .select((eb) => eb.fn.min('created_at').as('t'))
      .executeTakeFirst();
    const last = await db
      .selectFrom('incidents')
      .select((eb) => eb.fn.max('created_at').as('t'))
      .executeTakeFirst();
    this.#snapshot = {
      at: now,
      total,
      counts,
      first: (first?.t as string | null | undefined) ?? null,
      last: (last?.t as string | null | undefined) ?? null,
    };
    return this.#snapshot;
  }
}
