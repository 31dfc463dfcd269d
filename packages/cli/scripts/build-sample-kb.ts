/**
 * Regenerates `data/sample-kb.json`, the sample knowledge base that `kb init --sample` loads, from the
 * seed-anchor copies of the original project's data files.
 *
 *   npx tsx packages/cli/scripts/build-sample-kb.ts [seed-anchor-dir]
 *
 * The output is committed, so the CLI works on machines that have no shared/ folder; run this only when
 * the seed files or the transformation below change, and update data/PROVENANCE.md with it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface SeedEntry {
  title: string;
  problem: string;
  solution: string;
  category: string;
  tags: string[];
  severity?: string;
}

export interface SampleEntry {
  id: string;
  title: string;
  problem: string;
  solution: string;
  category: string;
  severity: string;
  tags: string[];
}

/**
 * The seed files in the order they are read. The four template files come first: they carry a severity
 * and longer problem statements, so when essential-kb repeats one of their entries the template wins.
 */
export const SEED_FILES = [
  'cobol-abends.json',
  'db2-sqlcodes.json',
  'jcl-errors.json',
  'vsam-errors.json',
  'essential-kb.json',
] as const;

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_SEED_DIR = resolve(packageDir, '../../../shared/data/seed-anchor');
export const SAMPLE_FILE = resolve(packageDir, 'data/sample-kb.json');

/** Words of a title, lower-case, punctuation dropped (`SQLCODE -904` → `sqlcode`, `904`). */
function titleWords(title: string): Set<string> {
  return new Set(title.toLowerCase().match(/[a-z0-9]+/g) ?? []);
}

/** Message ids, abend and status codes: the words of a title that carry a digit (S0C7, IEF212I, 904, 35). */
function codeWords(words: Set<string>): Set<string> {
  return new Set([...words].filter((w) => /\d/.test(w)));
}

function jaccard(a: Set<string>, b: Set<string>): number {
  let shared = 0;
  for (const w of a) if (b.has(w)) shared++;
  return shared / (a.size + b.size - shared);
}

function isSubset(a: Set<string>, b: Set<string>): boolean {
  return [...a].every((w) => b.has(w));
}

/**
 * Two titles describe the same problem when they name the same codes and most of their words agree.
 * One title's codes may be a subset of the other's, because product names carry digits too
 * (`DB2 SQLCODE -904 …` against `SQLCODE -904 …`). Matching codes keep `IEF142I - Dataset Not Found` apart
 * from `JCL Dataset Not Found - IEF212I`; the word overlap keeps the two different S013 causes (member not
 * found, wrong volume) apart. Titles without codes must agree almost word for word.
 */
export function isNearDuplicate(a: string, b: string): boolean {
  const wa = titleWords(a);
  const wb = titleWords(b);
  const ca = codeWords(wa);
  const cb = codeWords(wb);
  if (ca.size === 0 && cb.size === 0) return jaccard(wa, wb) >= 0.8;
  const sameCodes = ca.size > 0 && cb.size > 0 && (isSubset(ca, cb) || isSubset(cb, ca));
  return sameCodes && jaccard(wa, wb) >= 0.5;
}

/** A readable id that stays the same across rebuilds, so loading the sample twice adds nothing. */
export function sampleId(title: string, taken: Set<string>): string {
  const slug = (title.toLowerCase().match(/[a-z0-9]+/g) ?? []).join('-').slice(0, 48).replace(/-+$/, '');
  let id = `sample-${slug}`;
  for (let n = 2; taken.has(id); n++) id = `sample-${slug}-${n}`;
  taken.add(id);
  return id;
}

function entriesOf(file: string, content: unknown): SeedEntry[] {
  const list = Array.isArray(content) ? content : (content as { entries?: unknown }).entries;
  if (!Array.isArray(list)) throw new Error(`${file}: expected an array of entries or { entries: [...] }`);
  return list as SeedEntry[];
}

export interface BuildResult {
  entries: SampleEntry[];
  /** Titles dropped as near-duplicates, with the title they duplicate. */
  dropped: { title: string; file: string; keptTitle: string }[];
}

export function buildSampleKb(seedDir: string): BuildResult {
  const entries: SampleEntry[] = [];
  const dropped: BuildResult['dropped'] = [];
  const ids = new Set<string>();
  for (const file of SEED_FILES) {
    const content: unknown = JSON.parse(readFileSync(resolve(seedDir, file), 'utf8'));
    for (const seed of entriesOf(file, content)) {
      const kept = entries.find((e) => isNearDuplicate(e.title, seed.title));
      if (kept) {
        dropped.push({ title: seed.title, file, keptTitle: kept.title });
        continue;
      }
      entries.push({
        id: sampleId(seed.title, ids),
        title: seed.title,
        problem: seed.problem,
        solution: seed.solution,
        category: seed.category,
        // essential-kb.json has no severity; medium is the store's own default.
        severity: seed.severity ?? 'medium',
        tags: seed.tags,
      });
    }
  }
  return { entries, dropped };
}

/**
 * Pretty JSON laid out the way the repository's formatter (biome, 110 columns) leaves it, so regenerating
 * the file and formatting the repository never fight: tag lists stay on one line when they fit.
 */
export function renderSampleKb(entries: SampleEntry[]): string {
  const field = (key: string, value: unknown) => {
    const head = `    ${JSON.stringify(key)}: `;
    if (!Array.isArray(value)) return head + JSON.stringify(value);
    const inline = `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
    if (head.length + inline.length + 1 <= 110) return head + inline;
    return `${head}[\n${value.map((v) => `      ${JSON.stringify(v)}`).join(',\n')}\n    ]`;
  };
  const objects = entries.map(
    (e) =>
      `  {\n${Object.entries(e)
        .map(([k, v]) => field(k, v))
        .join(',\n')}\n  }`,
  );
  return `[\n${objects.join(',\n')}\n]\n`;
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const seedDir = resolve(process.argv[2] ?? DEFAULT_SEED_DIR);
  const { entries, dropped } = buildSampleKb(seedDir);
  writeFileSync(SAMPLE_FILE, renderSampleKb(entries));
  process.stdout.write(`wrote ${entries.length} entries to ${SAMPLE_FILE}\n`);
  for (const d of dropped)
    process.stdout.write(`  dropped "${d.title}" (${d.file}): same as "${d.keptTitle}"\n`);
}
