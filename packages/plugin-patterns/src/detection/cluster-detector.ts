import type { DetectedPattern, DetectionIncident, DetectionSettings } from './detection-types.js';
import {
  dominantComponent,
  highestSeverity,
  iso,
  ranked,
  round4,
  sizeConfidence,
} from './pattern-summary.js';
import { stableId } from './stable-id.js';
import { bandKeys, jaccard, MINHASH_BANDS, normalizedTokens, shingleSet } from './text-shingles.js';

/** Least shingles a text needs to take part: two-word texts ("job failed") match far too much. */
const MIN_SHINGLES = 4;
/** Incidents above this count cannot be packed with their bucket key into a double. */
const MAX_INCIDENTS = 2 ** 21;
/** A bucket bigger than this is compared against its first member only, which keeps the work linear. */
const FULL_COMPARE_LIMIT = 24;

class UnionFind {
  readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, i) => i);
  }
  find(x: number): number {
    let r = x;
    while (this.parent[r] !== r) r = this.parent[r]!;
    while (this.parent[x] !== r) {
      const next = this.parent[x]!;
      this.parent[x] = r;
      x = next;
    }
    return r;
  }
  /** The smaller index becomes the root: the earliest incident anchors its cluster. */
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra < rb) this.parent[rb] = ra;
    else if (rb < ra) this.parent[ra] = rb;
  }
}

/**
 * Clusters of similar descriptions: MinHash LSH proposes candidate pairs, the exact word-bigram Jaccard
 * similarity confirms them (≥ `similarityThreshold`), and confirmed pairs join clusters. Input order is
 * time order, so results are deterministic and a cluster's anchor (its earliest incident) stays the same
 * as later incidents join.
 */
export function detectClusters(
  sorted: readonly DetectionIncident[],
  settings: DetectionSettings,
): DetectedPattern[] {
  const n = sorted.length;
  if (n > MAX_INCIDENTS) {
    throw new RangeError(`text clustering handles up to ${MAX_INCIDENTS} incidents at once, not ${n}`);
  }
  const shingles: Uint32Array[] = new Array(n);
  const bands: Uint32Array[] = Array.from({ length: MINHASH_BANDS }, () => new Uint32Array(n));
  const eligible: number[] = [];
  for (let i = 0; i < n; i++) {
    const set = shingleSet(sorted[i]!.text);
    shingles[i] = set;
    if (set.length < MIN_SHINGLES) continue;
    eligible.push(i);
    const keys = bandKeys(set);
    for (let b = 0; b < MINHASH_BANDS; b++) bands[b]![i] = keys[b]!;
  }
  const uf = new UnionFind(n);
  const threshold = settings.similarityThreshold;
  const compareBucket = (members: number[]) => {
    if (members.length <= FULL_COMPARE_LIMIT) {
      for (let x = 0; x < members.length; x++) {
        for (let y = x + 1; y < members.length; y++) {
          const a = members[x]!;
          const b = members[y]!;
          if (uf.find(a) !== uf.find(b) && jaccard(shingles[a]!, shingles[b]!) >= threshold) uf.union(a, b);
        }
      }
      return;
    }
    const head = members[0]!;
    for (let x = 1; x < members.length; x++) {
      const m = members[x]!;
      const prev = members[x - 1]!;
      if (uf.find(head) !== uf.find(m) && jaccard(shingles[head]!, shingles[m]!) >= threshold) {
        uf.union(head, m);
      } else if (uf.find(prev) !== uf.find(m) && jaccard(shingles[prev]!, shingles[m]!) >= threshold) {
        uf.union(prev, m);
      }
    }
  };
  // Buckets by sorting (key, index) pairs packed into doubles: far cheaper than a Map of 1.6 million
  // 32-bit keys, and the members of a bucket come out in index (time) order.
  const packed = new Float64Array(eligible.length);
  for (let b = 0; b < MINHASH_BANDS; b++) {
    const keys = bands[b]!;
    for (let e = 0; e < eligible.length; e++) {
      const i = eligible[e]!;
      packed[e] = keys[i]! * 2 ** 21 + i;
    }
    packed.sort();
    let runStart = 0;
    for (let e = 1; e <= packed.length; e++) {
      if (e < packed.length && Math.floor(packed[e]! / 2 ** 21) === Math.floor(packed[runStart]! / 2 ** 21))
        continue;
      if (e - runStart > 1) {
        const members: number[] = [];
        for (let k = runStart; k < e; k++) members.push(packed[k]! % 2 ** 21);
        compareBucket(members);
      }
      runStart = e;
    }
  }
  const clusters = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    if (shingles[i]!.length < MIN_SHINGLES) continue;
    const root = uf.find(i);
    let list = clusters.get(root);
    if (!list) {
      list = [];
      clusters.set(root, list);
    }
    list.push(i);
  }
  const out: DetectedPattern[] = [];
  for (const [root, indexes] of clusters) {
    if (indexes.length < settings.minIncidents) continue;
    const anchor = sorted[root]!;
    const incidents = indexes.map((i) => sorted[i]!);
    const scores = indexes.map((i) => (i === root ? 1 : round4(jaccard(shingles[root]!, shingles[i]!))));
    const mean = scores.reduce((s, x) => s + x, 0) / scores.length;
    const terms = ranked(
      incidents.flatMap((i) => [...new Set(normalizedTokens(i.text).filter((t) => t !== '#'))]),
    )
      .slice(0, 8)
      .map(([t]) => t);
    out.push({
      id: stableId('pat', 'correlation', anchor.id),
      type: 'correlation',
      description: `${incidents.length} incidents with similar descriptions, like "${anchor.title.slice(0, 120)}"`,
      confidence: round4(mean * sizeConfidence(incidents.length)),
      severity: highestSeverity(incidents),
      component: dominantComponent(incidents),
      errorCode:
        ranked(incidents.flatMap((i) => i.codes)).find(([, c]) => c * 2 >= incidents.length)?.[0] ?? null,
      firstSeen: iso(incidents[0]!.time),
      lastSeen: iso(incidents[incidents.length - 1]!.time),
      metadata: {
        detector: 'minhash-jaccard',
        anchorIncidentId: anchor.id,
        threshold,
        meanSimilarity: round4(mean),
        terms,
      },
      members: incidents.map((i, k) => ({ incidentId: i.id, correlationScore: scores[k]! })),
    });
  }
  return out;
}
