/**
 * `pnpm bench:templates`: the three figures, each beside a floor measured in the same run.
 *
 * - render: p50 / p95 of `render()` (parameters validated, mustache, column check, usage recorded) for a
 *   500-line COBOL template with 30 parameters, against the floor of rendering the same template with a
 *   plain string replace of every `{{NAME}}`;
 * - library import: a 5,000-template library folder imported into a new store (hashes checked, one write),
 *   against reading and hashing the same files;
 * - workspace import: a 2,000-member IDz project folder imported, against reading and hashing its members.
 *
 *   pnpm bench:templates [--renders 2000] [--templates 5000] [--members 2000]
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

// The built package, as an application runs it (pnpm bench:templates builds it first). Imported by a name
// TypeScript does not resolve (a fresh clone's typecheck has no dist/ yet), typed by src/.
const packageName: string = '@mainframe-kb/plugin-templates';
const { templatesPlugin } = (await import(packageName)) as typeof import('../src/index.js');

import { createStorage } from '@mainframe-kb/storage-core';

const { values } = parseArgs({
  options: {
    renders: { type: 'string', default: '2000' },
    templates: { type: 'string', default: '5000' },
    members: { type: 'string', default: '2000' },
  },
});

const work = mkdtempSync(join(tmpdir(), 'kb-bench-templates-'));
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const store = (name: string) =>
  createStorage({ database: { type: 'sqlite', path: join(work, name) } }, { plugins: [templatesPlugin] });

/** 500 lines of fixed-format COBOL statements using 30 parameters (each a data name or a literal). */
function bigTemplate(): { content: string; parameters: unknown[]; values: Record<string, string> } {
  const parameters = Array.from({ length: 30 }, (_, i) => ({ name: `P${i}`, kind: 'string', maxLength: 20 }));
  const values = Object.fromEntries(parameters.map((p, i) => [p.name, `WS-FIELD-${i}`]));
  const lines: string[] = [];
  for (let i = 0; lines.length < 500; i++) {
    const a = `{{P${i % 30}}}`;
    const b = `{{P${(i * 7 + 3) % 30}}}`;
    lines.push(`           IF ${a} IS NUMERIC`, `              ADD ${a} TO ${b}`, '           END-IF');
  }
  return { content: `${lines.slice(0, 500).join('\n')}\n`, parameters, values };
}

async function benchRender(renders: number) {
  const s = await store('render.db');
  try {
    const t = bigTemplate();
    await s.storeTemplate({
      name: 'BIG',
      description: 'bench',
      language: 'cobol',
      category: 'bench',
      content: t.content,
      parameters: t.parameters,
    });
    const api = s.plugin(templatesPlugin);
    const floor: number[] = [];
    const timed: number[] = [];
    for (let i = 0; i < renders; i++) {
      // Interleaved: the floor and the render see the same machine.
      let started = performance.now();
      t.content.replace(/\{\{(P\d+)\}\}/g, (_m, name: string) => t.values[name]!);
      floor.push(performance.now() - started);
      started = performance.now();
      await api.render('BIG', t.values);
      timed.push(performance.now() - started);
    }
    floor.sort((a, b) => a - b);
    timed.sort((a, b) => a - b);
    return { p50: percentile(timed, 0.5), p95: percentile(timed, 0.95), floorP95: percentile(floor, 0.95) };
  } finally {
    await s.close();
  }
}

async function benchLibrary(count: number) {
  const folder = join(work, 'library');
  const s = await store('library-source.db');
  try {
    const api = s.plugin(templatesPlugin);
    for (let i = 0; i < count; i++) {
      await s.storeTemplate({
        name: `T${String(i).padStart(5, '0')}`,
        description: `template ${i}`,
        language: i % 2 ? 'jcl' : 'cobol',
        category: `c${i % 20}`,
        content:
          i % 2
            ? `//{{JOB}} JOB (ACCT),CLASS=A\n//S1 EXEC PGM=PGM${i % 1000}\n`
            : `           MOVE {{A}} TO {{B}}\n`,
        parameters:
          i % 2
            ? [{ name: 'JOB', kind: 'jobname' }]
            : [
                { name: 'A', kind: 'string' },
                { name: 'B', kind: 'string' },
              ],
      });
    }
    await api.exportLibrary(folder);
  } finally {
    await s.close();
  }
  let started = performance.now();
  for (const f of readdirSync(join(folder, 'templates')))
    createHash('sha256')
      .update(readFileSync(join(folder, 'templates', f)))
      .digest('hex');
  JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'));
  const floor = performance.now() - started;
  const target = await store('library-target.db');
  try {
    started = performance.now();
    const result = await target.plugin(templatesPlugin).importLibrary(folder);
    return { ms: performance.now() - started, floor, result };
  } finally {
    await target.close();
  }
}

async function benchWorkspace(members: number) {
  const folder = join(work, 'project');
  const folders = ['COBOL', 'COPYBOOK', 'JCL', 'PLI'];
  const ext = ['cbl', 'cpy', 'jcl', 'pli'];
  for (const f of folders) mkdirSync(join(folder, f), { recursive: true });
  writeFileSync(
    join(folder, '.project'),
    '<?xml version="1.0" encoding="UTF-8"?>\n<projectDescription><name>BENCH</name><comment/><projects/><buildSpec/><natures><nature>com.ibm.ftt.ui.views.project.navigator.local</nature></natures></projectDescription>\n',
  );
  for (let k = 0; k < members; k++) {
    const f = k % 4;
    writeFileSync(
      join(folder, folders[f]!, `M${String(k).padStart(5, '0')}.${ext[f]}`),
      `       * member ${k}\n`.repeat(40),
    );
  }
  let started = performance.now();
  for (const f of folders)
    for (const m of readdirSync(join(folder, f)))
      createHash('sha256')
        .update(readFileSync(join(folder, f, m)))
        .digest('hex');
  const floor = performance.now() - started;
  const s = await store('workspace.db');
  try {
    started = performance.now();
    const ws = await s.plugin(templatesPlugin).importWorkspace(folder);
    return { ms: performance.now() - started, floor, members: ws.members.length };
  } finally {
    await s.close();
  }
}

try {
  const render = await benchRender(Number(values.renders));
  console.log(
    `render, 500-line COBOL template, 30 parameters, ${values.renders} renders: p50 ${render.p50.toFixed(2)} ms, p95 ${render.p95.toFixed(2)} ms (target 5 ms); string-replace floor p95 ${render.floorP95.toFixed(3)} ms`,
  );
  const library = await benchLibrary(Number(values.templates));
  console.log(
    `library import, ${values.templates} templates: ${(library.ms / 1000).toFixed(2)} s (target 10 s) = ${(library.ms / library.floor).toFixed(1)} × reading and hashing the files (${library.floor.toFixed(0)} ms); ${JSON.stringify(library.result)}`,
  );
  const workspace = await benchWorkspace(Number(values.members));
  console.log(
    `workspace import, ${workspace.members} members: ${(workspace.ms / 1000).toFixed(2)} s (target 5 s) = ${(workspace.ms / workspace.floor).toFixed(1)} × reading and hashing the members (${workspace.floor.toFixed(0)} ms)`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
