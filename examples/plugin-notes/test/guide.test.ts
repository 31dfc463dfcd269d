import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// docs/extensions.md shows this package's real files. Every ```ts block starts with a comment naming the file
// it shows (`// examples/plugin-notes/src/schema.ts`), or one region of it (`…/notes-service.ts#add`, the
// lines between `// #region add` and `// #endregion`); a block in another language names it in an HTML comment
// on the line before the fence. Each must equal what it names, so the guide cannot drift from code that CI
// compiles and runs.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const GUIDE = 'docs/extensions.md';
const guide = readFileSync(`${root}${GUIDE}`, 'utf8');

interface Block {
  readonly line: number;
  readonly lang: string;
  readonly tag: { file: string; region: string | undefined } | undefined;
  readonly body: string;
}

const TAG = /^(examples\/\S+?)(?:#([\w-]+))?$/;
const MARKER = /^\s*\/\/ #(?:region [\w-]+|endregion)\s*$/;

function blocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`${GUIDE}:${i + 1}: a code block is never closed`);
    const lang = open[1]!;
    let body = lines.slice(i + 1, end);
    let tagText: string | undefined;
    if (lang === 'ts') {
      tagText = /^\/\/ (\S+)$/.exec(body[0] ?? '')?.[1];
      if (tagText !== undefined && TAG.test(tagText)) body = body.slice(1);
    } else {
      tagText = /^<!-- (\S+) -->$/.exec(lines[i - 1] ?? '')?.[1];
    }
    const tag = tagText === undefined ? undefined : TAG.exec(tagText);
    out.push({
      line: i + 1,
      lang,
      tag: tag ? { file: tag[1]!, region: tag[2] } : undefined,
      body: body.join('\n'),
    });
    i = end;
  }
  return out;
}

/** The file without its region markers, or the region `name` of it, dedented. */
function excerpt(file: string, region: string | undefined): string {
  const lines = readFileSync(`${root}${file}`, 'utf8').replace(/\n$/, '').split('\n');
  if (region === undefined) return lines.filter((l) => !MARKER.test(l)).join('\n');
  const start = lines.findIndex((l) => l.trim() === `// #region ${region}`);
  if (start < 0) throw new Error(`${file} has no region '${region}'`);
  let depth = 0;
  let end = start + 1;
  for (; end < lines.length; end += 1) {
    const line = lines[end]!.trim();
    if (line.startsWith('// #region ')) depth += 1;
    else if (line === '// #endregion' && depth-- === 0) break;
  }
  const body = lines.slice(start + 1, end).filter((l) => !MARKER.test(l));
  const indent = Math.min(...body.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return body.map((l) => l.slice(indent)).join('\n');
}

const all = blocks(guide);
const shown = all.filter((b) => b.tag !== undefined);

describe(GUIDE, () => {
  it('tags every TypeScript and JSON block with the file it shows', () => {
    const untagged = all.filter((b) => (b.lang === 'ts' || b.lang === 'json') && b.tag === undefined);
    expect(untagged.map((b) => `${GUIDE}:${b.line}`)).toEqual([]);
    expect(shown.length).toBeGreaterThan(10);
  });

  it.each(
    shown.map((b) => [`${b.tag!.file}${b.tag!.region ? `#${b.tag!.region}` : ''} (line ${b.line})`, b]),
  )('shows %s as it is', (_name, block) => {
    const { file, region } = block.tag!;
    expect(existsSync(`${root}${file}`), `${file} exists`).toBe(true);
    expect(block.body.replace(/\s+$/, '')).toBe(excerpt(file, region));
  });

  it('shows every source file of the package', () => {
    const files = new Set(shown.filter((b) => b.tag!.region === undefined).map((b) => b.tag!.file));
    const sources = [
      'package.json',
      'src/index.ts',
      'src/notes-plugin.ts',
      'src/notes-options.ts',
      'src/schema.ts',
      'src/types.ts',
      'src/notes-importer.ts',
      'src/notes-exporter.ts',
      'src/notes-command.ts',
    ].map((f) => `examples/plugin-notes/${f}`);
    expect(sources.filter((f) => !files.has(f))).toEqual([]);
  });
});
