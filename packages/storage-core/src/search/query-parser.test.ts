import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { matchExpression } from '../dialect/sqlite/fts5-match-expression.js';
import { ValidationError } from '../errors/storage-error.js';
import { abendCodeOf, CODE_WORDS, parseQuery } from './query-parser.js';
import { type ParsedQuery, renderQuery } from './query-types.js';

const atoms = (q: ParsedQuery) =>
  q.clauses.map((c) => ({
    negated: c.negated,
    atoms: c.atoms.map((a) => `${a.quoted ? 'q:' : ''}${a.terms.join(' ')}${a.prefix ? '*' : ''}`),
  }));

function rejects(query: unknown): string {
  try {
    parseQuery(query);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues[0]!.path).toBe('query');
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(query)} was accepted`);
}

describe('parseQuery', () => {
  it('reads words, quoted phrases and prefixes', () => {
    expect(atoms(parseQuery('S0C7 "data exception" abend*'))).toEqual([
      { negated: false, atoms: ['s0c7'] },
      { negated: false, atoms: ['q:data exception'] },
      { negated: false, atoms: ['abend*'] },
    ]);
    expect(atoms(parseQuery('"file sta"*'))).toEqual([{ negated: false, atoms: ['q:file sta*'] }]);
    expect(atoms(parseQuery('“smart quotes”'))).toEqual([{ negated: false, atoms: ['q:smart quotes'] }]);
  });

  it('keeps mainframe codes whole and glues punctuated words into phrases', () => {
    expect(atoms(parseQuery('IEF212I IGZ0035S DFHAC2206 U4038 status-35 SYS1.PROCLIB'))).toEqual([
      { negated: false, atoms: ['ief212i'] },
      { negated: false, atoms: ['igz0035s'] },
      { negated: false, atoms: ['dfhac2206'] },
      { negated: false, atoms: ['u4038'] },
      { negated: false, atoms: ['status 35'] },
      { negated: false, atoms: ['sys1 proclib'] },
    ]);
  });

  it('reads a minus before digits as part of the number, which binds to the word before it', () => {
    expect(atoms(parseQuery('SQLCODE -803'))).toEqual([{ negated: false, atoms: ['sqlcode 803'] }]);
    expect(atoms(parseQuery('-803'))).toEqual([{ negated: false, atoms: ['803'] }]);
    expect(atoms(parseQuery('VSAM status 35'))).toEqual([
      { negated: false, atoms: ['vsam'] },
      { negated: false, atoms: ['status 35'] },
    ]);
    expect(atoms(parseQuery('status AND 35'))).toEqual([
      { negated: false, atoms: ['status'] },
      { negated: false, atoms: ['35'] },
    ]);
    // A code does not take a number; neither does a quoted phrase.
    expect(atoms(parseQuery('IEF212I 35'))).toHaveLength(2);
    expect(atoms(parseQuery('"status" 35'))).toHaveLength(2);
  });

  it('binds a number only to a word that names a kind of code; after any other word it is a term of its own', () => {
    for (const word of CODE_WORDS) {
      expect(atoms(parseQuery(`timeout ${word.toUpperCase()} -42`)), word).toEqual([
        { negated: false, atoms: ['timeout'] },
        { negated: false, atoms: [`${word} 42`] },
      ]);
    }
    // Issue 19: a code written without its prefix or sign, next to a word, is looked for on its own.
    for (const query of ['timeout 904', 'timeout -904', 'timeout +904']) {
      expect(atoms(parseQuery(query)), query).toEqual([
        { negated: false, atoms: ['timeout'] },
        { negated: false, atoms: ['904'] },
      ]);
    }
    expect(atoms(parseQuery('VSAM 35 not cataloged'))).toEqual([
      { negated: false, atoms: ['vsam'] },
      { negated: false, atoms: ['35'] },
      { negated: false, atoms: ['not'] },
      { negated: false, atoms: ['cataloged'] },
    ]);
    expect(atoms(parseQuery('deadlock SQLCODE=-911 rollback'))).toEqual([
      { negated: false, atoms: ['deadlock'] },
      { negated: false, atoms: ['sqlcode 911'] },
      { negated: false, atoms: ['rollback'] },
    ]);
    expect(atoms(parseQuery('file status 35 S0C7 U4038 IEF450I'))).toEqual([
      { negated: false, atoms: ['file'] },
      { negated: false, atoms: ['status 35'] },
      { negated: false, atoms: ['s0c7'] },
      { negated: false, atoms: ['u4038'] },
      { negated: false, atoms: ['ief450i'] },
    ]);
    // A code word ending a punctuated word binds too; the number after a bound number does not.
    expect(atoms(parseQuery('VSAM-status 35 37'))).toEqual([
      { negated: false, atoms: ['vsam status 35'] },
      { negated: false, atoms: ['37'] },
    ]);
    expect(renderQuery(parseQuery('timeout -904'))).toBe('timeout 904');
  });

  it('matches a code written without its prefix wherever the text has it, as FTS5 reads the query', () => {
    const db = new BetterSqlite3(':memory:');
    try {
      db.exec(`create virtual table t using fts5(a, tokenize = 'unicode61 remove_diacritics 2');
               insert into t values ('DB2 SQLCODE -904: resource unavailable after a lock timeout');
               insert into t values ('VSAM status 35: the cluster is not cataloged');
               insert into t values ('VSAM status 37 after 35 records were written to the cluster')`);
      const hits = (query: string) =>
        db
          .prepare('select rowid from t where t match ? order by rowid')
          .pluck()
          .all(matchExpression(parseQuery(query))!);
      for (const query of ['timeout 904', 'timeout -904', 'timeout SQLCODE -904', 'timeout SQLCODE=-904'])
        expect(hits(query), query).toEqual([1]);
      expect(hits('cataloged 35')).toEqual([2]);
      expect(hits('VSAM 35')).toEqual([2, 3]);
      // After a code word the number stays next to it: status 37 with 35 records elsewhere is not status 35.
      expect(hits('VSAM status 35')).toEqual([2]);
    } finally {
      db.close();
    }
  });

  it('excludes words with a leading minus and ORs alternatives', () => {
    expect(atoms(parseQuery('abend -S0C4 -"storage violation"'))).toEqual([
      { negated: false, atoms: ['abend'] },
      { negated: true, atoms: ['s0c4'] },
      { negated: true, atoms: ['q:storage violation'] },
    ]);
    expect(atoms(parseQuery('dataset vsam OR db2 OR ims'))).toEqual([
      { negated: false, atoms: ['dataset'] },
      { negated: false, atoms: ['vsam', 'db2', 'ims'] },
    ]);
    // OR and AND at the edges, or lower-case, are words.
    expect(atoms(parseQuery('OR abend AND'))).toEqual([
      { negated: false, atoms: ['or'] },
      { negated: false, atoms: ['abend'] },
      { negated: false, atoms: ['and'] },
    ]);
    expect(atoms(parseQuery('file not found'))).toHaveLength(3);
  });

  it('reads filters, quoted or not, and combines them', () => {
    const q = parseQuery('category:"Data Sets" tag:VSAM tags:"file not found" severity:HIGH dataset');
    expect(q.filters).toEqual({
      categories: ['Data Sets'],
      severities: ['high'],
      tags: ['vsam', 'file-not-found'],
    });
    expect(atoms(q)).toEqual([{ negated: false, atoms: ['dataset'] }]);
    expect(parseQuery('category:vsam').filters.categories).toEqual(['VSAM']);
    expect(renderQuery(q)).toBe('dataset category:"Data Sets" severity:high tag:vsam tag:file-not-found');
  });

  it('treats FTS5 and SQL syntax as text', () => {
    expect(atoms(parseQuery('NEAR(S0C7 abend) ^x {title}: kb_fts:y'))).toEqual([
      { negated: false, atoms: ['near s0c7'] },
      { negated: false, atoms: ['abend'] },
      { negated: false, atoms: ['x'] },
      { negated: false, atoms: ['title'] },
      { negated: false, atoms: ['kb fts y'] },
    ]);
    expect(atoms(parseQuery("'; DROP TABLE kb_entries; --"))).toEqual([
      { negated: false, atoms: ['drop'] },
      { negated: false, atoms: ['table'] },
      { negated: false, atoms: ['kb entries'] },
    ]);
    expect(atoms(parseQuery('"unterminated phrase'))).toEqual([
      { negated: false, atoms: ['q:unterminated phrase'] },
    ]);
    expect(atoms(parseQuery('S0C7\u0000DROP'))).toEqual([
      { negated: false, atoms: ['s0c7'] },
      { negated: false, atoms: ['drop'] },
    ]);
  });

  it('refuses what cannot be searched, saying what to do', () => {
    expect(rejects('')).toMatch(/nothing to search for/);
    expect(rejects('   \t\n')).toMatch(/nothing to search for/);
    expect(rejects('-- ; () 😀')).toMatch(/nothing to search for/);
    expect(rejects('-abend -s0c7')).toMatch(/only excludes/);
    expect(rejects('x'.repeat(501))).toMatch(/501 characters.*at most 500/);
    expect(rejects(Array.from({ length: 33 }, (_, i) => `w${i}`).join(' '))).toMatch(/33 search terms/);
    expect(rejects('a*')).toMatch(/at least 2 characters/);
    expect(rejects('severity:urgent')).toMatch(/low, medium, high, critical/);
    expect(rejects('category:')).toMatch(/needs a value/);
    expect(rejects('tag:"!!"')).toMatch(/not a tag/);
    expect(rejects('-category:VSAM abend')).toMatch(/cannot be excluded/);
    expect(rejects(42)).toMatch(/must be a string/);
    expect(rejects(Array.from({ length: 17 }, () => 'tag:a').join(' '))).toMatch(/more than 16 filters/);
  });

  it('accepts a filter-only query, and exclusions next to a filter', () => {
    expect(parseQuery('category:VSAM').clauses).toEqual([]);
    expect(atoms(parseQuery('category:VSAM -verify'))).toEqual([{ negated: true, atoms: ['verify'] }]);
  });

  describe('on arbitrary input (fast-check)', () => {
    const db = new BetterSqlite3(':memory:');
    db.exec(`create virtual table t using fts5(a, b, tokenize = 'unicode61 remove_diacritics 2');
             insert into t values ('S0C7 abend "quoted"', 'NEAR AND OR NOT status 35');`);
    const run = db.prepare('select count(*) from t where t match ?').pluck();
    afterAll(() => db.close());

    it('yields a ParsedQuery whose FTS5 expression always runs, or a ValidationError', () => {
      const pieces = fc.oneof(
        fc.string({ unit: 'binary', maxLength: 6 }),
        fc.constantFrom(
          ' AND ',
          ' OR ',
          ' NOT ',
          'NEAR(',
          'NEAR/2',
          ')',
          '(',
          '"',
          '“',
          "'",
          '*',
          '^',
          ':',
          '-',
          '+',
          '{',
          '}',
          'category:',
          'tag:',
          'severity:',
          'title:',
          'S0C7',
          'abend',
          '-911',
          '\u0000',
          '\\',
          ' ',
          '\t',
        ),
      );
      fc.assert(
        fc.property(
          fc.array(pieces, { maxLength: 40 }).map((p) => p.join('')),
          (text) => {
            let parsed: ParsedQuery;
            try {
              parsed = parseQuery(text);
            } catch (error) {
              if (error instanceof ValidationError) return;
              throw error;
            }
            const match = matchExpression(parsed);
            if (match !== undefined) run.get(match);
            expect(renderQuery(parsed).length).toBeGreaterThan(0);
          },
        ),
        { numRuns: 2000, seed: 16 },
      );
    });
  });
});

describe('abend codes written loosely', () => {
  it.each([
    ['0c7', 's0c7'],
    ['oc7', 's0c7'],
    ['soc7', 's0c7'],
    ['soc4', 's0c4'],
    ['b37', 'sb37'],
    ['so13', 's013'],
    ['s0c7', undefined],
    ['s806', undefined],
    ['013', undefined],
    ['4038', undefined],
    ['soda', undefined],
    ['fed', undefined],
    ['abc', undefined],
    ['db2', undefined],
    ['80a', 's80a'],
    ['a14', 'sa14'],
    ['u4038', undefined],
  ])('%s means %s', (term, code) => {
    expect(abendCodeOf(term)).toBe(code);
  });

  it('searches the word and the code, either one, and counts only what was typed', () => {
    const parsed = parseQuery('SOC7 packed');
    expect(renderQuery(parsed)).toBe('(soc7 OR s0c7) packed');
    expect(renderQuery(parseQuery('abend -SOC7'))).toBe('abend -(soc7 OR s0c7)');
    expect(renderQuery(parseQuery('DB2 0C7'))).toBe('db2 (0c7 OR s0c7)');
    // 32 typed terms are allowed even when each brings its code along.
    expect(() => parseQuery(Array.from({ length: 32 }, () => '0C7').join(' '))).not.toThrow();
  });
});
