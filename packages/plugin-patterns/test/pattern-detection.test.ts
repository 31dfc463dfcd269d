import { join } from 'node:path';
import type { Storage } from '@mainframe-kb/storage-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  detectPatternsIn,
  extractErrorCodes,
  incidentIdOf,
  type Pattern,
  type PatternCriticalEvent,
  patternsPlugin,
} from '../src/index.js';
import { generateIncidentStream, overlap, type PlantedExpectation } from './support/incident-stream.js';
import { openStore, type TempDir, tempDir } from './support/store.js';

const SETTINGS = { minIncidents: 3, burstWindowHours: 24, burstAlpha: 1e-5, similarityThreshold: 0.6 };

interface Found {
  pattern: Pattern;
  tickets: string[];
}

async function detectedWithTickets(storage: Storage): Promise<Found[]> {
  const api = storage.plugin(patternsPlugin);
  const patterns = await api.getPatterns({ limit: 10_000 });
  const ticketOf = new Map<string, string>();
  const found: Found[] = [];
  for (const pattern of patterns) {
    const detail = await api.getPattern(pattern.id);
    const tickets: string[] = [];
    for (const m of detail.incidents) {
      let t = ticketOf.get(m.incidentId);
      if (t === undefined) {
        t = (await api.getIncident(m.incidentId)).ticketId;
        ticketOf.set(m.incidentId, t);
      }
      tickets.push(t);
    }
    found.push({ pattern, tickets });
  }
  return found;
}

function matches(found: Found, e: PlantedExpectation): boolean {
  return (
    found.pattern.type === e.type &&
    (e.errorCode === undefined || found.pattern.errorCode === e.errorCode) &&
    (e.component === undefined || found.pattern.component === e.component) &&
    overlap(found.tickets, e.tickets) >= 0.8
  );
}

describe('pattern detection on a generated stream with planted patterns', () => {
  let dir: TempDir;
  let storage: Storage;
  const critical: PatternCriticalEvent[] = [];
  const stream = generateIncidentStream({ seed: 'planted-1' });

  beforeAll(async () => {
    dir = tempDir();
    storage = await openStore(join(dir.path, 'kb.db'), { incremental: false });
    storage.on('pattern:critical', (e) => void critical.push(e));
    await storage.plugin(patternsPlugin).createIncidents(stream.incidents);
  });
  afterAll(async () => {
    await storage.close();
    dir.remove();
  });

  it('finds every planted pattern and nothing else', async () => {
    const summary = await storage.plugin(patternsPlugin).detectPatterns();
    const found = await detectedWithTickets(storage);
    for (const expectation of stream.expectations) {
      expect(
        found.some((f) => matches(f, expectation)),
        `planted pattern '${expectation.name}' was not found`,
      ).toBe(true);
    }
    for (const f of found) {
      expect(
        stream.expectations.some((e) => matches(f, e)),
        `detected '${f.pattern.description}' matches no planted pattern (a false positive)`,
      ).toBe(true);
    }
    expect(summary.patterns).toBe(stream.expectations.length);
    expect(summary.byType).toEqual({ error: 4, temporal: 2, correlation: 1, component: 1 });
  });

  it('emits pattern:critical once for each pattern of 5 or more incidents', async () => {
    const big = (await storage.plugin(patternsPlugin).getPatterns({ limit: 100 })).filter(
      (p) => p.frequency >= 5,
    );
    expect(big.length).toBeGreaterThanOrEqual(4);
    expect(critical.map((c) => c.pattern.id).sort()).toEqual(big.map((p) => p.id).sort());
    for (const c of critical) expect(c.incidentCount).toBe(c.pattern.frequency);
    // A second run finds the same patterns and raises nothing new.
    const before = critical.length;
    const again = await storage.plugin(patternsPlugin).detectPatterns();
    expect(again.created).toBe(0);
    expect(again.removed).toBe(0);
    expect(critical.length).toBe(before);
  });

  it('is deterministic: the same incidents in another order give the same patterns and ids', () => {
    const toDetection = (list: typeof stream.incidents) =>
      list.map((i) => ({
        id: incidentIdOf('manual', i.ticketId),
        time: Date.parse(i.createdAt),
        component: i.component ?? null,
        severity: i.severity ?? null,
        title: i.title,
        text: `${i.title}\n${i.description ?? ''}`,
        codes: extractErrorCodes(`${i.title}\n${i.description ?? ''}`),
      }));
    const a = detectPatternsIn(toDetection(stream.incidents), SETTINGS);
    const b = detectPatternsIn(toDetection([...stream.incidents].reverse()), SETTINGS);
    expect(b).toEqual(a);
    expect(a.length).toBe(stream.expectations.length);
  });
});

describe('pattern detection on a stream without planted patterns', () => {
  it('reports no pattern at all', async () => {
    const dir = tempDir();
    const storage = await openStore(join(dir.path, 'kb.db'), { incremental: false });
    try {
      const stream = generateIncidentStream({ seed: 'background-only', planted: false });
      expect(stream.expectations).toEqual([]);
      await storage.plugin(patternsPlugin).createIncidents(stream.incidents);
      const summary = await storage.plugin(patternsPlugin).detectPatterns();
      expect(summary.incidents).toBe(stream.incidents.length);
      expect(summary.patterns).toBe(0);
      expect(await storage.getPatterns({})).toEqual([]);
    } finally {
      await storage.close();
      dir.remove();
    }
  });

  it('reports none for several other seeds either', () => {
    for (const seed of ['bg-a', 'bg-b', 'bg-c']) {
      const stream = generateIncidentStream({ seed, planted: false, background: 600 });
      const detected = detectPatternsIn(
        stream.incidents.map((i) => ({
          id: i.ticketId,
          time: Date.parse(i.createdAt),
          component: i.component ?? null,
          severity: i.severity ?? null,
          title: i.title,
          text: `${i.title}\n${i.description ?? ''}`,
          codes: extractErrorCodes(`${i.title}\n${i.description ?? ''}`),
        })),
        SETTINGS,
      );
      expect(detected.map((d) => d.description)).toEqual([]);
    }
  });
});
