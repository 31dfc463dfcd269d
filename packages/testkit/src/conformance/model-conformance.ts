import type { Storage } from '@mainframe-kb/storage-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rawAccessPlugin } from '../raw-access/raw-access-plugin.js';
import type { ConformanceTarget } from './conformance-helpers.js';

/**
 * Reliability 15: random sequences of create / update / delete / feedback / search commands run against the
 * store and against a plain in-memory model; any divergence fails and fast-check shrinks it to the
 * shortest sequence that shows it.
 *
 * Every title carries one token made for the run (`zq` + six letters), so a search for that token has a
 * known answer: exactly the live entries whose title holds it. Problem and solution text never hold such
 * tokens, so nothing else can match.
 */

interface ModelEntry {
  id: string;
  token: string;
  title: string;
  version: number;
  successCount: number;
  failureCount: number;
}

interface Model {
  /** Every entry ever created, in creation order; commands pick targets by index into it. */
  created: ModelEntry[];
  live: Map<string, ModelEntry>;
  deleted: Set<string>;
}

interface Real {
  storage: Storage;
}

type KbCommand = fc.AsyncCommand<Model, Real>;

const token = fc
  .array(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'.split('')), { minLength: 6, maxLength: 6 })
  .map((letters) => `zq${letters.join('')}`);

function pick(model: Model, index: number): ModelEntry | undefined {
  return model.created.length === 0 ? undefined : model.created[index % model.created.length];
}

function expectedFor(model: Model, word: string): string[] {
  return [...model.live.values()]
    .filter((e) => e.title.split(' ').includes(word))
    .map((e) => e.id)
    .sort();
}

async function searchIds(storage: Storage, word: string, correct: boolean): Promise<string[]> {
  const response = await storage.search(word, { limit: 100, correct, recordHistory: false });
  return response.results.map((r) => r.entry.id).sort();
}

class CreateCommand implements KbCommand {
  constructor(
    readonly token: string,
    readonly extra: string,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const title = `${this.token} ${this.extra} abend`;
    const id = await real.storage.createEntry({
      title,
      problem: 'The batch job ended with an abend while reading the input data set.',
      solution: '1. Check the job log\n2. Restart the job',
      category: 'Batch',
    });
    expect(model.live.has(id) || model.deleted.has(id), 'ids are never reused').toBe(false);
    const entry: ModelEntry = { id, token: this.token, title, version: 1, successCount: 0, failureCount: 0 };
    model.created.push(entry);
    model.live.set(id, entry);
    const stored = await real.storage.getEntry(id);
    expect(stored).toMatchObject({ title, version: 1, successCount: 0, failureCount: 0 });
  }
  toString = () => `create(${this.token} ${this.extra})`;
}

class UpdateCommand implements KbCommand {
  constructor(
    readonly index: number,
    readonly token: string,
    readonly useVersion: boolean,
  ) {}
  check = (model: Readonly<Model>) => model.created.length > 0;
  async run(model: Model, real: Real): Promise<void> {
    const target = pick(model, this.index)!;
    const title = `${this.token} updated abend`;
    const update = this.useVersion ? { title, expectedVersion: target.version } : { title };
    const changed = await real.storage.updateEntry(target.id, update);
    expect(changed).toBe(model.live.has(target.id));
    if (!changed) return;
    target.title = title;
    target.token = this.token;
    target.version += 1;
    expect(await real.storage.getEntry(target.id)).toMatchObject({ title, version: target.version });
  }
  toString = () => `update(#${this.index}, ${this.token}${this.useVersion ? ', expectedVersion' : ''})`;
}

class StaleUpdateCommand implements KbCommand {
  constructor(readonly index: number) {}
  check = (model: Readonly<Model>) => [...model.live.values()].some((e) => e.version > 1);
  async run(model: Model, real: Real): Promise<void> {
    const candidates = [...model.live.values()].filter((e) => e.version > 1);
    const target = candidates[this.index % candidates.length]!;
    let code: unknown;
    try {
      await real.storage.updateEntry(target.id, {
        title: 'zqstale write',
        expectedVersion: target.version - 1,
      });
    } catch (error) {
      code = (error as { code?: unknown }).code;
    }
    expect(code).toBe('CONFLICT');
    expect(await real.storage.getEntry(target.id)).toMatchObject({
      title: target.title,
      version: target.version,
    });
  }
  toString = () => `staleUpdate(#${this.index})`;
}

class DeleteCommand implements KbCommand {
  constructor(readonly index: number) {}
  check = (model: Readonly<Model>) => model.created.length > 0;
  async run(model: Model, real: Real): Promise<void> {
    const target = pick(model, this.index)!;
    const existed = model.live.has(target.id);
    expect(await real.storage.deleteEntry(target.id)).toBe(existed);
    model.live.delete(target.id);
    model.deleted.add(target.id);
    expect(await real.storage.readEntry(target.id)).toBeNull();
  }
  toString = () => `delete(#${this.index})`;
}

class FeedbackCommand implements KbCommand {
  constructor(
    readonly index: number,
    readonly outcome: 'success' | 'failure',
  ) {}
  check = (model: Readonly<Model>) => model.created.length > 0;
  async run(model: Model, real: Real): Promise<void> {
    const target = pick(model, this.index)!;
    if (!model.live.has(target.id)) {
      let code: unknown;
      try {
        await real.storage.recordFeedback(target.id, { outcome: this.outcome });
      } catch (error) {
        code = (error as { code?: unknown }).code;
      }
      expect(code).toBe('NOT_FOUND');
      return;
    }
    const counters = await real.storage.recordFeedback(target.id, { outcome: this.outcome });
    if (this.outcome === 'success') target.successCount += 1;
    else target.failureCount += 1;
    expect(counters).toMatchObject({
      id: target.id,
      successCount: target.successCount,
      failureCount: target.failureCount,
    });
  }
  toString = () => `feedback(#${this.index}, ${this.outcome})`;
}

class SearchCommand implements KbCommand {
  constructor(
    readonly index: number,
    readonly fresh: string,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    // Ask for a live entry's token, a deleted or overwritten one, or one never written, in turn.
    const known = pick(model, this.index);
    const word = known && this.index % 3 !== 2 ? known.token : this.fresh;
    const expected = expectedFor(model, word);
    // Without correction the answer is exact: the live entries whose title holds the word, nothing else.
    expect(await searchIds(real.storage, word, false), `search ${word}`).toEqual(expected);
    // With correction, a word nobody has may be corrected to a neighbour; still no deleted entry may appear,
    // and every exact match must be there.
    const corrected = await searchIds(real.storage, word, true);
    for (const id of expected) expect(corrected).toContain(id);
    for (const id of corrected)
      expect(model.deleted.has(id), `deleted entry ${id} returned for ${word}`).toBe(false);
  }
  toString = () => `search(#${this.index} | ${this.fresh})`;
}

const commands = [
  fc
    .tuple(token, fc.constantFrom('S0C7', 'VSAM', 'IEF212I', 'deadlock'))
    .map(([t, x]) => new CreateCommand(t, x)),
  fc.tuple(fc.nat(), token, fc.boolean()).map(([i, t, v]) => new UpdateCommand(i, t, v)),
  fc.nat().map((i) => new StaleUpdateCommand(i)),
  fc.nat().map((i) => new DeleteCommand(i)),
  fc
    .tuple(fc.nat(), fc.constantFrom('success' as const, 'failure' as const))
    .map(([i, o]) => new FeedbackCommand(i, o)),
  fc.tuple(fc.nat(), token).map(([i, t]) => new SearchCommand(i, t)),
];

export function defineModelConformance(target: ConformanceTarget): void {
  describe('reliability 15: the store behaves like a simple model', () => {
    const runs = Number(process.env.KB_MODEL_RUNS ?? target.modelRuns ?? 20);

    it(`matches an in-memory model over ${runs} random command sequences (fast-check)`, {
      timeout: 300_000,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(fc.commands(commands, { maxCommands: 40 }), async (cmds) => {
          const storage = await target.open([rawAccessPlugin]);
          try {
            const model: Model = { created: [], live: new Map(), deleted: new Set() };
            await fc.asyncModelRun(() => ({ model, real: { storage } }), cmds);
            // Final agreement: counts, every live entry's counters, and an intact audit chain.
            expect(await storage.countEntries()).toBe(model.live.size);
            for (const entry of model.live.values()) {
              expect(await storage.getEntry(entry.id)).toMatchObject({
                title: entry.title,
                version: entry.version,
                successCount: entry.successCount,
                failureCount: entry.failureCount,
              });
            }
            expect((await storage.verifyAuditChain()).ok).toBe(true);
          } finally {
            await storage.close();
          }
        }),
        { numRuns: runs, seed: Number(process.env.KB_MODEL_SEED ?? 15) },
      );
    });
  });
}
