import type { KBEntryInput, Severity } from '@mainframe-kb/storage-core';
import { type Seed, SeededRandom, type WeightedPicker, zipfWeights } from '../random/seeded-random.js';
import {
  ANALYSTS,
  DATASETS,
  JOBS,
  MAINFRAME_CODES,
  type MainframeCode,
  PROGRAMS,
  STEPS,
  TABLES,
  TRANSACTIONS,
} from './mainframe-vocabulary.js';

export interface CorpusOptions {
  /** Number of entries, 1 to 10,000,000. */
  count: number;
  seed: Seed;
  /** Give entries ids `${idPrefix}${index}` (index from 0); without it the store assigns ids. */
  idPrefix?: string | undefined;
  /** Share of entries that restate a recent entry with small changes (default 0.05). */
  duplicateRate?: number | undefined;
  /** Share of entries that mention a second code besides their main one (default 0.4). */
  secondCodeRate?: number | undefined;
  /**
   * Zipf exponent of code popularity (default 1: the top code is in ~20% of entries; 1.5 for the skewed
   * profile: the top code is in ~40%).
   */
  codeSkew?: number | undefined;
  /**
   * `testkit` (default): the benchmark corpus as it always was. `skewed`: the hostile one — the same kinds of
   * entries, but a handful of support words (SKEWED_FILLER_TERMS) in over 90% of entries and a steeper code
   * skew, so the words a user types most often match almost every entry.
   */
  profile?: CorpusProfile | undefined;
}

export type CorpusProfile = 'testkit' | 'skewed';

/**
 * The filler words of the skewed profile: a support desk's boilerplate, each in over 90% of its entries
 * (`the` is a stopword to most engines; the others are not).
 */
export const SKEWED_FILLER_TERMS: readonly string[] = [
  'the',
  'job',
  'error',
  'failed',
  'system',
  'check',
  'support',
];

/** The skewed profile's default Zipf exponent of code popularity. */
export const SKEWED_CODE_SKEW = 1.5;

/** A generated entry with what the generator put in it, for tests and relevance bookkeeping. */
export interface CorpusRecord {
  index: number;
  input: KBEntryInput;
  /** The codes written into the entry, main code first (one or two). */
  codes: string[];
  /** Index of the entry this one restates, when it is a near-duplicate. */
  duplicateOf?: number | undefined;
}

const MAX_COUNT = 10_000_000;
/** How far back a near-duplicate may look: duplicates in real KBs are entered close in time. */
const RECENT = 64;

const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low'];
const SEVERITY_WEIGHTS = [0.08, 0.37, 0.4, 0.15];

const CONTEXTS = [
  'month end',
  'the weekend IPL',
  'a schema change',
  'a compiler upgrade',
  'a data migration',
  'the nightly cycle',
  'a DASD migration',
  'the year end run',
];

const GENERIC_STEPS = [
  'Check the job log for the first error message before the abend',
  'Review the return code of each step in the job',
  'Check the file status after every I/O statement',
  'Rerun the job in test with a copy of the same input file',
  'Compare the failing run with the last good run of the job',
  'Open an incident with the application team if the error persists',
  'Document the fix in the run book for the operators',
];

const FILLERS = [
  'Operations restarted the job but it ended the same way.',
  'The error message in the job log points to the input file.',
  'Nothing was changed in the JCL since the last good run.',
  'The same data set is used by other jobs without errors.',
  'The on-call analyst was paged because the batch job is on the critical path.',
  'Downstream jobs are held until the failing step completes.',
];

/**
 * Ticket boilerplate of the skewed profile; each sentence holds every SKEWED_FILLER_TERMS word (a test checks),
 * so an entry that gets one has them all.
 */
export const SKEWED_BOILERPLATE: readonly string[] = [
  'Check the system log: the job failed with an error, so support was called.',
  'Support ticket: the job failed on the production system with an error; check the run book.',
  'The error was raised by the system and the job failed; support asked us to check the job output.',
  'System error alert: job failed, support to check the console and the spool of the job.',
  'Support note: check the system messages, the job failed and the error repeats on rerun.',
  'The monitoring system raised an error because the job failed; support will check it.',
  'Failed job reported to support; check the system error queue for the same error.',
];

/** Solution steps of the skewed profile, every one with all the filler words too. */
const SKEWED_STEPS: readonly string[] = [
  'Check the system error log and tell support which job failed',
  'If the job failed again, support must check the system error queue',
  'Support to check the system for the same error before the job is released (failed runs stay held)',
];

interface Pools {
  codes: WeightedPicker<MainframeCode>;
  severity: WeightedPicker<Severity>;
  byCode: Map<string, MainframeCode>;
}

function buildPools(seed: Seed, skew: number): Pools {
  // Which codes are popular depends on the seed, so two corpora do not share a head by construction.
  const ranked = new SeededRandom(seed).fork('code-rank').shuffled(MAINFRAME_CODES);
  const random = new SeededRandom(seed);
  return {
    codes: random.weightedPicker(ranked, zipfWeights(ranked.length, skew)),
    severity: random.weightedPicker(SEVERITIES, SEVERITY_WEIGHTS),
    byCode: new Map(MAINFRAME_CODES.map((c) => [c.code, c])),
  };
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** Title Case → sentence case, keeping acronyms (`OPEN Error (DCB conflict)` → `OPEN error (DCB conflict)`). */
function sentenceCase(text: string): string {
  return text.replace(/\b[A-Z][a-z]+\b/g, (word) => word.toLowerCase());
}

function codeTag(code: string): string {
  return code.toLowerCase().replace(/\s+/g, '-');
}

function title(r: SeededRandom, c: MainframeCode, program: string, job: string, dsn: string): string {
  switch (r.int(0, 6)) {
    case 0:
      return `${c.code} - ${c.meaning}`;
    case 1:
      return `${c.code} ${c.meaning} in ${program}`;
    case 2:
      return `${job} abend ${c.code} - ${c.meaning}`;
    case 3:
      return `${c.meaning} (${c.code}) in job ${job}`;
    case 4:
      return `${c.code} when ${program} opens ${dsn}`;
    case 5:
      return `${c.code}: ${c.meaning} after ${r.pick(CONTEXTS)}`;
    default:
      return `${program} fails with ${c.code}`;
  }
}

function opener(r: SeededRandom, c: MainframeCode, program: string, job: string, dsn: string): string {
  const step = r.pick(STEPS);
  if (c.family === 'cics') {
    return `Transaction ${r.pick(TRANSACTIONS)} failed with ${c.code} in program ${program} and the task ended abnormally.`;
  }
  if (c.family === 'sqlcode') {
    return `Program ${program} received ${c.code} on table ${r.pick(TABLES)} and job ${job} ended with return code ${r.pick(['0008', '0012', '0016'])}.`;
  }
  switch (r.int(0, 3)) {
    case 0:
      return `Job ${job} ended abnormally in step ${step} with ${c.code} while program ${program} was processing data set ${dsn}.`;
    case 1:
      return `The batch job ${job} ended with abend code ${c.code} after reading ${r.int(1000, 999_999)} records from the input file ${dsn}.`;
    case 2:
      return `Program ${program} abended with ${c.code} in step ${step} of job ${job}.`;
    default:
      return `${c.code} was reported when job ${job} ran ${program} against ${dsn}; the job ended and the next run is blocked.`;
  }
}

function problem(
  r: SeededRandom,
  c: MainframeCode,
  second: MainframeCode | undefined,
  program: string,
  job: string,
  dsn: string,
): string {
  const parts = [opener(r, c, program, job, dsn)];
  if (r.chance(0.6)) parts.push(`${c.code} means ${sentenceCase(c.meaning)}.`);
  parts.push(
    `${r.pick(['In this case', 'Investigation showed that', 'The cause was that'])} ${r.pick(c.causes)}.`,
  );
  if (second) {
    parts.push(
      r.chance(0.5)
        ? `The job log also shows ${second.code} (${sentenceCase(second.meaning)}).`
        : `${second.code} was issued just before the failure.`,
    );
  }
  if (r.chance(0.2)) parts.push(`Earlier runs reported data set not found for ${r.pick(DATASETS)}.`);
  if (r.chance(0.5)) parts.push(r.pick(FILLERS));
  return parts.join(' ');
}

function solution(r: SeededRandom, c: MainframeCode, second: MainframeCode | undefined, dsn: string): string {
  const steps: string[] = r.sample(c.fixes, r.int(1, c.fixes.length));
  if (second && r.chance(0.5)) steps.push(`For ${second.code}: ${lowerFirst(r.pick(second.fixes))}`);
  steps.push(...r.sample(GENERIC_STEPS, r.int(1, 3)));
  if (r.chance(0.3)) steps.push(`Browse ${dsn} with ISPF 3.4 to confirm the dataset is cataloged`);
  if (r.chance(0.4)) steps.push(`Restart the job from the failing step with RESTART=${r.pick(STEPS)}`);
  return steps.map((s, i) => `${i + 1}. ${s}`).join('\n');
}

function pickSecond(
  r: SeededRandom,
  pools: Pools,
  main: MainframeCode,
  rate: number,
): MainframeCode | undefined {
  if (!r.chance(rate)) return undefined;
  const companions = main.companions ?? [];
  let second: MainframeCode | undefined;
  // Real incidents pair codes that go together (DSNT408I with an SQLCODE); some pairings are incidental.
  if (companions.length > 0 && r.chance(0.65)) second = pools.byCode.get(r.pick(companions));
  else second = pools.codes.pick(r);
  return second && second.code !== main.code ? second : undefined;
}

function freshRecord(r: SeededRandom, pools: Pools, index: number, options: ResolvedOptions): CorpusRecord {
  const main = pools.codes.pick(r);
  const second = pickSecond(r, pools, main, options.secondCodeRate);
  const program = r.pick(PROGRAMS);
  const job = r.pick(JOBS);
  const dsn = r.pick(DATASETS);
  const tags = [codeTag(main.code), main.category.toLowerCase(), ...r.sample(main.tags, r.int(1, 3))];
  if (second) tags.push(codeTag(second.code));
  const input: KBEntryInput = {
    title: title(r, main, program, job, dsn),
    problem: problem(r, main, second, program, job, dsn),
    solution: solution(r, main, second, dsn),
    category: main.category,
    severity: pools.severity.pick(r),
    tags: [...new Set(tags)],
  };
  if (r.chance(0.3)) input.createdBy = r.pick(ANALYSTS);
  return { index, input, codes: second ? [main.code, second.code] : [main.code] };
}

/**
 * Adds the skewed profile's boilerplate from its own random stream (so the entry's own draws stay as they
 * were): a ticket sentence after the problem's first sentence (the one that names the code) in 85% of
 * entries, a solution step in 85%. Either one carries every filler word, so each word is in ~98% of entries.
 */
function addBoilerplate(s: SeededRandom, record: CorpusRecord): void {
  const input = record.input;
  if (s.chance(0.85)) {
    const sentences = input.problem.split(/(?<=\.) /);
    sentences.splice(1, 0, s.pick(SKEWED_BOILERPLATE));
    input.problem = sentences.join(' ');
  }
  if (s.chance(0.85)) {
    const steps = input.solution.split('\n').map((line) => line.replace(/^\d+\. /, ''));
    steps.splice(s.int(0, steps.length), 0, s.pick(SKEWED_STEPS));
    input.solution = steps.map((step, i) => `${i + 1}. ${step}`).join('\n');
  }
}

/** Restates a recent entry the way a second analyst would: same codes, same fix, a few words changed. */
function nearDuplicate(r: SeededRandom, original: CorpusRecord, index: number): CorpusRecord {
  const src = original.input;
  const otherProgram = r.pick(PROGRAMS);
  const sentences = src.problem.split(/(?<=\.) /);
  // Drop one sentence (never the first, which names the code) so the texts differ but stay close.
  if (sentences.length > 2) sentences.splice(r.int(1, sentences.length - 1), 1);
  const variant = r.int(0, 2);
  const newTitle =
    variant === 0
      ? `${src.title} (seen again)`
      : variant === 1
        ? `${src.title} - ${otherProgram}`
        : `Re: ${src.title}`;
  const input: KBEntryInput = {
    title: newTitle,
    problem: sentences.join(' '),
    solution: src.solution,
    category: src.category,
    severity: src.severity,
    tags: src.tags ? [...src.tags] : [],
  };
  if (r.chance(0.5)) input.createdBy = r.pick(ANALYSTS);
  return { index, input, codes: [...original.codes], duplicateOf: original.index };
}

interface ResolvedOptions {
  count: number;
  seed: Seed;
  idPrefix: string | undefined;
  duplicateRate: number;
  secondCodeRate: number;
  codeSkew: number;
  profile: CorpusProfile;
}

function resolve(options: CorpusOptions): ResolvedOptions {
  const { count } = options;
  if (!Number.isInteger(count) || count < 0 || count > MAX_COUNT) {
    throw new RangeError(`count must be an integer from 0 to ${MAX_COUNT}, got ${count}`);
  }
  const profile = options.profile ?? 'testkit';
  if (profile !== 'testkit' && profile !== 'skewed')
    throw new RangeError(`unknown corpus profile ${profile}`);
  const rate = (name: string, value: number | undefined, fallback: number): number => {
    const v = value ?? fallback;
    if (!(v >= 0 && v <= 1)) throw new RangeError(`${name} must be between 0 and 1, got ${v}`);
    return v;
  };
  return {
    count,
    seed: options.seed,
    idPrefix: options.idPrefix,
    duplicateRate: rate('duplicateRate', options.duplicateRate, 0.05),
    secondCodeRate: rate('secondCodeRate', options.secondCodeRate, 0.4),
    codeSkew: options.codeSkew ?? (profile === 'skewed' ? SKEWED_CODE_SKEW : 1),
    profile,
  };
}

/**
 * Generated entries with what went into them. Lazy: a million entries stream through in constant memory
 * (only the last 64 are kept, for near-duplicates). Iterating twice yields the same entries.
 */
export function generateCorpusRecords(options: CorpusOptions): Iterable<CorpusRecord> {
  const resolved = resolve(options);
  return {
    *[Symbol.iterator]() {
      const pools = buildPools(resolved.seed, resolved.codeSkew);
      const r = new SeededRandom(resolved.seed).fork('entries');
      const skew = resolved.profile === 'skewed' ? new SeededRandom(resolved.seed).fork('boilerplate') : null;
      const recent: CorpusRecord[] = [];
      for (let index = 0; index < resolved.count; index++) {
        let record: CorpusRecord;
        if (recent.length > 0 && r.chance(resolved.duplicateRate)) {
          record = nearDuplicate(r, r.pick(recent), index);
        } else {
          record = freshRecord(r, pools, index, resolved);
          if (skew) addBoilerplate(skew, record);
        }
        if (resolved.idPrefix !== undefined) record.input.id = `${resolved.idPrefix}${index}`;
        if (recent.length < RECENT) recent.push(record);
        else recent[index % RECENT] = record;
        yield record;
      }
    },
  };
}

/** A deterministic synthetic corpus of realistic mainframe KB entries, generated lazily. */
export function generateCorpus(options: CorpusOptions): Iterable<KBEntryInput> {
  const records = generateCorpusRecords(options);
  return {
    *[Symbol.iterator]() {
      for (const record of records) yield record.input;
    },
  };
}

/**
 * The hostile corpus: `generateCorpus` with the skewed profile (a handful of filler words in over 90% of
 * entries, codes on a steeper Zipf curve).
 */
export function generateSkewedCorpus(options: Omit<CorpusOptions, 'profile'>): Iterable<KBEntryInput> {
  return generateCorpus({ ...options, profile: 'skewed' });
}

/** The same corpus as an array, for sizes that fit in memory comfortably. */
export function generateCorpusArray(options: CorpusOptions): KBEntryInput[] {
  return Array.from(generateCorpus(options));
}

/** Splits an iterable into arrays of `size`, so a lazy corpus can be written in bounded transactions. */
export function* chunked<T>(items: Iterable<T>, size: number): Generator<T[]> {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  let batch: T[] = [];
  for (const item of items) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
