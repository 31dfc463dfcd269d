import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTree, mutateTree } from '../bench/generate-tree.js';
import { analyzeCobol } from '../src/cobol/analyzer.js';
import { parseCopybook } from '../src/copybook/parse-copybook.js';
import { parseJcl } from '../src/jcl/index.js';

const FILES = 300;
const SEED = 'quality';

/** Paths under `dir`, relative and `/`-separated, sorted. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else out.push(r);
    }
  };
  walk('');
  return out.sort();
}

function hashes(dir: string): Map<string, string> {
  return new Map(
    listFiles(dir).map((f) => [
      f,
      createHash('sha256')
        .update(readFileSync(path.join(dir, f)))
        .digest('hex'),
    ]),
  );
}

const member = (rel: string): string => path.basename(rel).replace(/\.[a-z]+$/, '');

/** Parses one generated file with the real parsers, resolving COPY and PROC from the tree. */
function parseTreeFile(dir: string, rel: string, names: Map<string, string>) {
  const text = readFileSync(path.join(dir, rel), 'utf8');
  const read = (name: string, ext: string): string | undefined => {
    const f = names.get(name);
    return f?.endsWith(ext) ? readFileSync(path.join(dir, f), 'utf8') : undefined;
  };
  if (rel.endsWith('.cbl')) {
    return {
      kind: 'program' as const,
      text,
      cobol: analyzeCobol(text, {
        file: rel,
        resolveCopybook: (name) => read(name, '.cpy'),
        requireCopybooks: true,
      }),
    };
  }
  if (rel.endsWith('.cpy'))
    return { kind: 'copybook' as const, text, copybook: parseCopybook(text, { file: rel }) };
  return {
    kind: 'jcl' as const,
    text,
    jcl: parseJcl(text, { file: rel, resolveProc: (name) => read(name, '.prc') }),
  };
}

/** JCL lines that are not in-stream data (between `DD *` / `DD DATA` and `/*` or the next statement). */
function jclStatementLines(text: string): string[] {
  const out: string[] = [];
  let inStream = false;
  for (const line of text.split('\n')) {
    if (inStream) {
      if (line.startsWith('/*') || line.startsWith('//')) inStream = false;
      if (!line.startsWith('//')) continue;
    }
    out.push(line);
    if (/^\/\/\S*\s+DD\s+(\*|DATA)(\s|,|$)/.test(line)) inStream = true;
  }
  return out;
}

describe('generateTree', () => {
  let root: string;
  let dir: string;
  let files: string[];
  let names: Map<string, string>;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'gen-tree-'));
    dir = path.join(root, 'tree');
    const summary = await generateTree({ dir, files: FILES, seed: SEED });
    expect(summary).toMatchObject({ files: FILES, programs: 165, copybooks: 75, jcl: 45, procs: 15 });
    files = listFiles(dir);
    names = new Map(files.map((f) => [member(f), f]));
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('writes the planned mix of files in buckets', () => {
    expect(files).toHaveLength(FILES);
    const byFolder = new Map<string, number>();
    for (const f of files) byFolder.set(f.split('/')[0]!, (byFolder.get(f.split('/')[0]!) ?? 0) + 1);
    expect(Object.fromEntries(byFolder)).toEqual({ cobol: 165, copy: 75, jcl: 45, proc: 15 });
    for (const f of files)
      expect(f).toMatch(
        /^(cobol\/\d{3}\/PGM|copy\/\d{3}\/CPY|jcl\/\d{3}\/JOB|proc\/\d{3}\/PRC)\d{5}\.(cbl|cpy|jcl|prc)$/,
      );
  });

  it('every file goes through the real parsers without an exception', () => {
    const failures: string[] = [];
    for (const f of files) {
      try {
        parseTreeFile(dir, f, names);
      } catch (e) {
        failures.push(`${f}: ${(e as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('programs: every COPY resolves, PROCEDURE DIVISION and at least 3 paragraphs, CALLs hit the tree', () => {
    const lengths: number[] = [];
    let sql = 0;
    let cics = 0;
    let replacing = 0;
    for (const f of files.filter((x) => x.endsWith('.cbl'))) {
      const r = parseTreeFile(dir, f, names);
      if (r.kind !== 'program') throw new Error('not a program');
      const a = r.cobol;
      lengths.push(r.text.split('\n').length - 1);
      expect(a.programId, f).toBe(member(f));
      expect(a.copies.length, f).toBeGreaterThanOrEqual(1);
      expect(a.copies.length, f).toBeLessThanOrEqual(5);
      expect(
        a.copies.filter((c) => !c.resolved),
        f,
      ).toEqual([]);
      for (const c of a.copies) expect(names.get(c.name), f).toMatch(/\.cpy$/);
      replacing += a.copies.filter((c) => c.replacing.length > 0).length;
      expect(
        a.divisions.map((d) => d.name),
        f,
      ).toContain('PROCEDURE');
      expect(a.paragraphs.length, f).toBeGreaterThanOrEqual(3);
      for (const c of a.calls) {
        if (c.target.startsWith('PGM'))
          expect(names.get(c.target), `${f} CALL ${c.target}`).toMatch(/\.cbl$/);
      }
      expect(
        a.fileControl.every((s) => s.fileStatus?.startsWith('WS-FS-')),
        f,
      ).toBe(true);
      if (a.sql.length > 0) sql++;
      if (a.cics.length > 0) cics++;
    }
    const mean = lengths.reduce((n, l) => n + l, 0) / lengths.length;
    expect(Math.min(...lengths)).toBeGreaterThanOrEqual(200);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(2000);
    expect(mean).toBeGreaterThan(450);
    expect(mean).toBeLessThan(950);
    expect(sql / lengths.length).toBeGreaterThan(0.15);
    expect(cics).toBeGreaterThan(3);
    expect(replacing).toBeGreaterThan(0);
  });

  it('copybooks lay out (COMP-3, OCCURS, OCCURS DEPENDING ON, REDEFINES, 88s)', () => {
    let odo = 0;
    let redefines = 0;
    let packed = 0;
    let conditions = 0;
    for (const f of files.filter((x) => x.endsWith('.cpy'))) {
      const r = parseTreeFile(dir, f, names);
      if (r.kind !== 'copybook') throw new Error('not a copybook');
      const lines = r.text.split('\n').length - 1;
      expect(lines, f).toBeGreaterThanOrEqual(10);
      expect(lines, f).toBeLessThanOrEqual(320);
      expect(r.copybook.fields.length, f).toBeGreaterThan(0);
      if (r.copybook.fields.some((x) => x.occurs?.dependingOn)) odo++;
      if (r.copybook.fields.some((x) => x.redefines)) redefines++;
      if (r.copybook.fields.some((x) => x.usage === 'packed')) packed++;
      if (r.copybook.fields.some((x) => x.conditions.length > 0)) conditions++;
    }
    expect(odo).toBeGreaterThan(5);
    expect(redefines).toBeGreaterThan(10);
    expect(packed).toBeGreaterThan(30);
    expect(conditions).toBeGreaterThan(20);
  });

  it('JCL: every step runs a program or PROC of the tree, PROCs expand, no issues', () => {
    let procCalls = 0;
    for (const f of files.filter((x) => x.endsWith('.jcl') || x.endsWith('.prc'))) {
      const r = parseTreeFile(dir, f, names);
      if (r.kind !== 'jcl') throw new Error('not JCL');
      const j = r.jcl;
      expect(j.kind, f).toBe(f.endsWith('.jcl') ? 'job' : 'proc');
      expect(j.issues, f).toEqual([]);
      expect(j.unresolvedProcs, f).toEqual([]);
      expect(j.steps.length, f).toBeGreaterThanOrEqual(1);
      expect(j.steps.length, f).toBeLessThanOrEqual(8);
      for (const s of j.steps) {
        if (s.proc !== undefined) {
          procCalls++;
          expect(names.get(s.proc), `${f} ${s.name}`).toMatch(/\.prc$/);
        } else {
          expect(names.get(s.program ?? ''), `${f} ${s.name} PGM=${s.program}`).toMatch(/\.cbl$/);
        }
      }
      for (const s of j.expandedSteps) {
        if (s.program !== undefined)
          expect(names.get(s.program), `${f} ${s.qualifiedName} PGM=${s.program}`).toMatch(/\.cbl$/);
      }
    }
    expect(procCalls).toBeGreaterThan(5);
  });

  it('keeps COBOL within column 72 and JCL statements within column 71', () => {
    for (const f of files) {
      const text = readFileSync(path.join(dir, f), 'utf8');
      const long =
        f.endsWith('.cbl') || f.endsWith('.cpy')
          ? text.split('\n').filter((l) => l.length > 72)
          : jclStatementLines(text).filter((l) => l.length > 71);
      expect(long, f).toEqual([]);
    }
  });

  it('is deterministic: same seed, same bytes; another seed, other bytes', async () => {
    const again = path.join(root, 'again');
    const other = path.join(root, 'other');
    await generateTree({ dir: again, files: FILES, seed: SEED });
    await generateTree({ dir: other, files: FILES, seed: 'another seed' });
    const base = hashes(dir);
    expect(hashes(again)).toEqual(base);
    const otherHashes = hashes(other);
    expect([...otherHashes.keys()]).toEqual([...base.keys()]);
    const same = [...base].filter(([f, h]) => otherHashes.get(f) === h).length;
    expect(same).toBe(0);
    await expect(generateTree({ dir: again, files: FILES, seed: SEED })).rejects.toThrow(/not empty/);
  });

  it('mutateTree(0.01) changes about 1% of the files, adds and removes a few, and everything still parses', async () => {
    const copy = path.join(root, 'mutated');
    cpSync(dir, copy, { recursive: true });
    const before = hashes(copy);
    const result = await mutateTree({ dir: copy, fraction: 0.01, seed: 'm1' });
    expect(result.changed).toHaveLength(3);
    expect(result.added.length).toBeGreaterThanOrEqual(1);
    expect(result.removed.length).toBeGreaterThanOrEqual(1);
    expect(result.added.length + result.removed.length).toBeLessThanOrEqual(4);
    const after = hashes(copy);
    for (const f of result.changed) expect(after.get(f), f).not.toBe(before.get(f));
    for (const f of result.added) expect(before.has(f), f).toBe(false);
    for (const f of result.removed) expect(after.has(f), f).toBe(false);
    const untouched = [...before].filter(([f]) => !result.changed.includes(f) && !result.removed.includes(f));
    for (const [f, h] of untouched) expect(after.get(f), f).toBe(h);

    const mutatedNames = new Map(listFiles(copy).map((f) => [member(f), f]));
    for (const f of [...result.changed, ...result.added]) {
      const r = parseTreeFile(copy, f, mutatedNames);
      if (r.kind === 'program') {
        expect(
          r.cobol.copies.every((c) => c.resolved),
          f,
        ).toBe(true);
        expect(r.cobol.paragraphs.length, f).toBeGreaterThanOrEqual(3);
        expect(
          r.text.split('\n').filter((l) => l.length > 72),
          f,
        ).toEqual([]);
      }
      if (r.kind === 'jcl') expect(r.jcl.issues, f).toEqual([]);
    }

    // Same seed on a fresh copy: the same edits.
    const copy2 = path.join(root, 'mutated2');
    cpSync(dir, copy2, { recursive: true });
    expect(await mutateTree({ dir: copy2, fraction: 0.01, seed: 'm1' })).toEqual(result);
    expect(hashes(copy2)).toEqual(after);
  });

  it('mutates every kind of file so that it still parses', async () => {
    const copy = path.join(root, 'mutated-all');
    cpSync(dir, copy, { recursive: true });
    const result = await mutateTree({ dir: copy, fraction: 0.3, seed: 'm2' });
    expect(result.changed.length).toBe(90);
    const mutatedNames = new Map(listFiles(copy).map((f) => [member(f), f]));
    const failures: string[] = [];
    for (const f of [...result.changed, ...result.added]) {
      try {
        const r = parseTreeFile(copy, f, mutatedNames);
        if (r.kind === 'jcl' && r.jcl.issues.length > 0) failures.push(`${f}: ${r.jcl.issues[0]!.message}`);
      } catch (e) {
        failures.push(`${f}: ${(e as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
