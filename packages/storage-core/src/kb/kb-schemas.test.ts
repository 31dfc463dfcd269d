import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStorage } from '../create-storage.js';
import { ValidationError } from '../errors/storage-error.js';
import { entryInputSchema, validateEntryInput, validateEntryUpdate, validateFeedback } from './kb-schemas.js';
import type { KBEntryInput } from './kb-types.js';

const entry = (over: Partial<KBEntryInput> = {}): KBEntryInput => ({
  title: 'S0C7 in PAYR010',
  problem: 'The packed field holds spaces.',
  solution: 'MOVE ZERO before the loop.',
  category: 'COBOL',
  tags: ['s0c7'],
  ...over,
});

/** A lone UTF-16 surrogate has no UTF-8 form: a driver would store U+FFFD (or fail) in its place. */
const LONE = ['\ud800', 'tail \udfff', 'swapped \udc00\ud800', 'high at end \udbff'];

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues as { path: string; message: string }[];
  }
  throw new Error('accepted');
}

describe('entry schemas refuse lone surrogates in every string field, naming the field', () => {
  for (const bad of LONE) {
    it(`${JSON.stringify(bad)}`, () => {
      for (const field of ['title', 'problem', 'solution', 'category', 'createdBy'] as const) {
        const issues = issuesOf(() => validateEntryInput(entry({ [field]: bad })));
        expect(issues).toEqual([{ path: `entry.${field}`, message: expect.stringMatching(/surrogate/) }]);
      }
      expect(issuesOf(() => validateEntryInput(entry({ tags: ['ok', bad] })))).toEqual([
        { path: 'entry.tags.1', message: expect.stringMatching(/surrogate/) },
      ]);
      expect(issuesOf(() => validateEntryUpdate({ solution: bad }))).toEqual([
        { path: 'update.solution', message: expect.stringMatching(/surrogate/) },
      ]);
      expect(issuesOf(() => validateFeedback({ outcome: 'success', comment: bad }))).toEqual([
        { path: 'feedback.comment', message: expect.stringMatching(/surrogate/) },
      ]);
    });
  }

  it('keeps astral characters (a well-formed surrogate pair) and says what a missing field is', () => {
    expect(validateEntryInput(entry({ title: 'Abend 😀 𝔘' })).title).toBe('Abend 😀 𝔘');
    expect(entryInputSchema.safeParse({ ...entry(), title: undefined }).error?.issues[0]?.message).toBe(
      'is required',
    );
    expect(entryInputSchema.safeParse({ ...entry(), title: 42 }).error?.issues[0]?.message).toBe(
      'must be text',
    );
  });

  it('createEntries refuses the whole batch, naming the entry and field, and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kb-schemas-'));
    const storage = await createStorage({ database: { path: join(dir, 'kb.db') } });
    try {
      const error = await storage
        .createEntries([entry(), entry({ title: 'Second', problem: 'bad \ud800 text' })])
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).message).toContain('entries.1.problem');
      expect(await storage.countEntries()).toBe(0);
    } finally {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
