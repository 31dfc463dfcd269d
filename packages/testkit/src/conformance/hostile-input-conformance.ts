import type { Storage } from '@mainframe-kb/storage-core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ConformanceTarget, sampleEntry, snapshotEntries } from './conformance-helpers.js';
import { useStore } from './kb-conformance.js';

/**
 * Strings that break stores which paste text into SQL or into a full-text query: quotes, comments,
 * statement separators, FTS5 / tsquery / MySQL boolean-mode operators, column filters, wildcards, LIKE
 * metacharacters, control and odd Unicode characters, and very long strings.
 */
export const HOSTILE_STRINGS: readonly string[] = [
  "'",
  '"',
  "''",
  '"unterminated',
  "O'Brien",
  "' OR '1'='1",
  "' OR 1=1 --",
  '"; DROP TABLE kb_entries; --',
  "'); DELETE FROM kb_entries; --",
  '--',
  ';',
  '/* comment */',
  '*',
  '**',
  'S0C*',
  '*S0C7',
  'NEAR(S0C7 abend)',
  'NEAR(',
  'S0C7 AND',
  'AND OR NOT',
  'NOT',
  'S0C7 OR 1',
  '-S0C7',
  '+S0C7',
  '^S0C7',
  'title:S0C7',
  'kb_fts:abend',
  'rowid:1',
  '{title problem}: S0C7',
  'category:',
  'tag:',
  'severity:urgent',
  'category:"JCL',
  '(S0C7',
  'S0C7)',
  '()',
  '[]',
  '{}',
  ':',
  '\\',
  '\\"',
  '%',
  '_',
  '%_%',
  'a & b | c ! d <-> e',
  '@@ ~~ ::',
  '$1',
  '?',
  '\u0000',
  'S0C7\u0000DROP',
  '\t\r\n',
  '\u202e\u0644\u0627',
  '😀 abend',
  'ﬁle status',
  'x'.repeat(10_000),
  'S0C7 '.repeat(2_000),
  '"'.repeat(5_000),
  '('.repeat(3_000),
  'NOT '.repeat(2_500),
];

/** Runs a call and classifies its outcome: a value, a ValidationError, or anything else (a failure). */
async function outcome(call: () => Promise<unknown>): Promise<'ok' | 'validation' | string> {
  try {
    await call();
    return 'ok';
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return code === 'VALIDATION' ? 'validation' : `${String(code)}: ${(error as Error).message}`;
  }
}

/** Every read path that takes user text. */
function readCalls(storage: Storage, text: string): [string, () => Promise<unknown>][] {
  return [
    ['search', () => storage.search(text)],
    ['search without correction', () => storage.search(text, { correct: false })],
    ['search with category', () => storage.search('abend', { category: text })],
    ['search with tags', () => storage.search('abend', { tags: [text] })],
    ['search with category in the query', () => storage.search(`category:${text} abend`)],
    ['searchEntries', () => storage.searchEntries(text, { limit: 5 })],
    ['suggest', () => storage.suggest(text)],
    ['listEntries by category', () => storage.listEntries({ category: text })],
    ['listEntries by tag', () => storage.listEntries({ tag: text })],
    ['readEntry', () => storage.readEntry(text)],
    ['deleteEntry', () => storage.deleteEntry(text)],
    ['updateEntry', () => storage.updateEntry(text, { title: 'x' })],
  ];
}

export function defineHostileInputConformance(target: ConformanceTarget): void {
  describe('reliability 16: SQL and query text is data', () => {
    const store = useStore(target);
    let baseline: Awaited<ReturnType<typeof snapshotEntries>>;

    beforeAll(async () => {
      await store().createEntries([
        sampleEntry('S0C7', { category: 'COBOL', tags: ['s0c7'] }),
        sampleEntry('abend', { category: 'JCL', tags: ['abend'] }),
        sampleEntry('VSAM', { category: 'VSAM' }),
      ]);
      baseline = await snapshotEntries(store());
    });

    it('answers every hostile string with results or a ValidationError, and changes nothing', async () => {
      const failures: string[] = [];
      for (const text of HOSTILE_STRINGS) {
        for (const [name, call] of readCalls(store(), text)) {
          const result = await outcome(call);
          if (result !== 'ok' && result !== 'validation')
            failures.push(`${name}(${JSON.stringify(text.slice(0, 40))}): ${result}`);
        }
      }
      expect(failures).toEqual([]);
      expect(await snapshotEntries(store())).toEqual(baseline);
      expect((await store().verifyAuditChain()).ok).toBe(true);
    });

    it('stores hostile text verbatim in every field, or refuses it with a ValidationError', async () => {
      const failures: string[] = [];
      for (const text of HOSTILE_STRINGS) {
        const input = sampleEntry('hostile', {
          title: text.slice(0, 255),
          problem: text,
          solution: text,
          tags: [text.slice(0, 50)],
        });
        let id: string | undefined;
        try {
          id = await store().createEntry(input);
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          if (code !== 'VALIDATION')
            failures.push(`create(${JSON.stringify(text.slice(0, 40))}): ${String(code)}`);
          continue;
        }
        const entry = await store().getEntry(id);
        if (
          entry.problem !== text.trim() ||
          entry.solution !== text.trim() ||
          entry.title !== text.slice(0, 255).trim()
        ) {
          failures.push(`create(${JSON.stringify(text.slice(0, 40))}): stored text differs`);
        }
        const found = await outcome(() => store().search(text));
        if (found !== 'ok' && found !== 'validation') failures.push(`search after create: ${found}`);
        await store().deleteEntry(id);
      }
      expect(failures).toEqual([]);
      expect(await snapshotEntries(store())).toEqual(baseline);
    });

    it('survives random strings built from SQL and FTS metacharacters (fast-check)', async () => {
      const alphabet = fc.constantFrom(
        ...`'";-*()[]{}:^+%_\\/\u0000 \tabcSOC7ANDORNEAR`.split(''),
        ' AND ',
        ' OR ',
        ' NOT ',
        'NEAR(',
        '--',
        'category:',
        'tag:',
        '"S0C7"',
      );
      const text = fc.array(alphabet, { maxLength: 30 }).map((parts) => parts.join(''));
      await fc.assert(
        fc.asyncProperty(text, async (q) => {
          for (const [name, call] of readCalls(store(), q).slice(0, 6)) {
            const result = await outcome(call);
            if (result !== 'ok' && result !== 'validation')
              throw new Error(`${name}(${JSON.stringify(q)}): ${result}`);
          }
        }),
        { numRuns: Number(process.env.KB_FUZZ_RUNS ?? 150), seed: 1616 },
      );
      expect(await snapshotEntries(store())).toEqual(baseline);
    });
  });
}
