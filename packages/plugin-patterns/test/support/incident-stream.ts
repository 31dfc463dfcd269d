import type { Severity } from '@mainframe-kb/storage-core';
import { SeededRandom } from '@mainframe-kb/testkit';
import type { IncidentInput, PatternType } from '../../src/index.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const COMPONENTS = [
  'PAYROLL',
  'BILLING',
  'CICSPROD',
  'DB2PROD',
  'LEDGER',
  'CLAIMS',
  'TREASURY',
  'CARDAUTH',
  'STATEMENTS',
  'ARCHIVE',
  'MQGATEWAY',
  'HRBATCH',
] as const;

const SEVERITIES: Severity[] = ['low', 'medium', 'medium', 'high', 'critical'];

/** Pseudo-words from syllables: a vocabulary large enough that random descriptions share no bigrams. */
function vocabulary(random: SeededRandom, size: number): string[] {
  const syllables = [
    'ka',
    'lor',
    'min',
    'tes',
    'var',
    'bro',
    'quel',
    'dan',
    'sit',
    'pum',
    'zor',
    'hex',
    'nal',
    'gri',
    'fo',
    'wep',
  ];
  const words = new Set<string>();
  while (words.size < size) {
    const n = random.int(2, 3);
    let w = '';
    for (let i = 0; i < n; i++) w += random.pick(syllables);
    words.add(w);
  }
  return [...words];
}

/** What a planted pattern must be found as. */
export interface PlantedExpectation {
  name: string;
  type: PatternType;
  errorCode?: string;
  component?: string;
  tickets: string[];
}

export interface IncidentStream {
  incidents: IncidentInput[];
  expectations: PlantedExpectation[];
  start: number;
  end: number;
}

export interface StreamOptions {
  seed: string | number;
  background?: number;
  days?: number;
  /** Plant the default patterns (recurring codes, a component burst, a code burst, a text cluster). */
  planted?: boolean;
  /** Share of background incidents that carry an error code. */
  codeShare?: number;
  /**
   * Draw background codes from this many real-looking codes, so they recur as in production (benchmarks);
   * by default every background code is used once, so the background holds no recurring code.
   */
  codePool?: number;
  /** First ticket number, to continue a stream. */
  firstTicket?: number;
  /** Start of the period, ms since the epoch. */
  startAt?: number;
}

/**
 * A seeded incident stream: background incidents arrive uniformly at random (a Poisson process per
 * component) with unrelated descriptions and error codes that never repeat, so the background alone holds
 * no pattern; the planted ones are added on top, each with the tickets that make it up.
 */
export function generateIncidentStream(options: StreamOptions): IncidentStream {
  const random = new SeededRandom(options.seed);
  const background = options.background ?? 400;
  const days = options.days ?? 90;
  const start = options.startAt ?? Date.UTC(2025, 0, 1);
  const end = start + days * DAY;
  const words = vocabulary(random.fork('vocabulary'), 2000);
  const sentence = (n: number) => Array.from({ length: n }, () => random.pick(words)).join(' ');
  let uniqueCode = 0;
  const families = [
    (k: number) => `IEC${500 + (k % 400)}I`,
    (k: number) => `IGZ${String(1000 + (k % 8000)).padStart(4, '0')}W`,
    (k: number) => `DFHAC${3000 + k}`,
    (k: number) => `EDC${6000 + k}E`,
    (k: number) => `ICH${600 + (k % 300)}E`,
  ];
  const pool = options.codePool;
  const nextCode = () => {
    const k = pool === undefined ? uniqueCode++ : random.int(0, pool - 1);
    return families[k % families.length]!(Math.floor(k / families.length) * 7 + (k % 7));
  };
  const incidents: IncidentInput[] = [];
  let ticket = options.firstTicket ?? 0;
  const add = (time: number, component: string, title: string, description: string): string => {
    const ticketId = `INC${String(100000 + ticket++)}`;
    incidents.push({
      ticketId,
      title,
      description,
      component,
      severity: random.pick(SEVERITIES),
      status: random.chance(0.6) ? 'resolved' : 'open',
      createdAt: new Date(time).toISOString(),
    });
    return ticketId;
  };
  const codeShare = options.codeShare ?? 0.3;
  for (let i = 0; i < background; i++) {
    const time = start + Math.floor(random.next() * (end - start));
    const code = random.chance(codeShare) ? ` ${nextCode()}` : '';
    add(time, random.pick(COMPONENTS), `${sentence(4)}${code}`, `${sentence(random.int(12, 20))}.`);
  }
  const expectations: PlantedExpectation[] = [];
  if (options.planted ?? true) {
    // Recurring codes spread evenly over the whole period: a recurrence, not a burst.
    for (const [code, count] of [
      ['VSAM status 35', 6],
      ['S0C7', 5],
    ] as const) {
      const tickets: string[] = [];
      for (let k = 0; k < count; k++) {
        const time = start + Math.floor(((k + 0.5) * (end - start)) / count) + random.int(0, 6) * HOUR;
        tickets.push(
          add(
            time,
            random.pick(COMPONENTS),
            `${sentence(3)} ${code}`,
            `${sentence(14)} ${code} ${sentence(6)}.`,
          ),
        );
      }
      expectations.push({ name: `recurring ${code}`, type: 'error', errorCode: code, tickets });
    }
    // A code concentrated on one component: IEF212I seven times on PAYROLL, once each on two others.
    const others = COMPONENTS.filter((c) => c !== 'PAYROLL' && c !== 'CICSPROD' && c !== 'DB2PROD').slice(
      0,
      2,
    );
    const placement = [
      'PAYROLL',
      'PAYROLL',
      'PAYROLL',
      others[0]!,
      'PAYROLL',
      'PAYROLL',
      others[1]!,
      'PAYROLL',
      'PAYROLL',
    ];
    const ief: string[] = [];
    const iefOnPayroll: string[] = [];
    for (const [k, component] of placement.entries()) {
      const time =
        start + Math.floor(((k + 0.5) * (end - start)) / placement.length) + random.int(0, 6) * HOUR;
      const t = add(
        time,
        component,
        `${sentence(3)} IEF212I`,
        `IEF212I ${sentence(12)} not found ${sentence(4)}.`,
      );
      ief.push(t);
      if (component === 'PAYROLL') iefOnPayroll.push(t);
    }
    expectations.push({ name: 'recurring IEF212I', type: 'error', errorCode: 'IEF212I', tickets: ief });
    expectations.push({
      name: 'IEF212I on PAYROLL',
      type: 'component',
      component: 'PAYROLL',
      errorCode: 'IEF212I',
      tickets: iefOnPayroll,
    });
    // A burst on one component: ten unrelated incidents in twelve hours.
    const burstAt = start + 40 * DAY + 3 * HOUR;
    const burst = Array.from({ length: 10 }, (_, k) =>
      add(burstAt + k * 70 * 60_000, 'CICSPROD', sentence(5), `${sentence(15)}.`),
    );
    expectations.push({ name: 'burst on CICSPROD', type: 'temporal', component: 'CICSPROD', tickets: burst });
    // The example: SQLCODE -911 four times on one component within a day.
    const deadlockAt = start + 63 * DAY;
    const deadlocks = Array.from({ length: 4 }, (_, k) =>
      add(
        deadlockAt + k * 5 * HOUR,
        'DB2PROD',
        `${sentence(3)} SQLCODE -911`,
        `${sentence(14)} SQLCODE -911 ${sentence(5)}.`,
      ),
    );
    expectations.push({
      name: 'recurring SQLCODE -911',
      type: 'error',
      errorCode: 'SQLCODE -911',
      tickets: deadlocks,
    });
    expectations.push({
      name: 'SQLCODE -911 burst on DB2PROD',
      type: 'temporal',
      component: 'DB2PROD',
      errorCode: 'SQLCODE -911',
      tickets: deadlocks,
    });
    // Five near-identical descriptions at random times: only the numbers differ.
    const cluster: string[] = [];
    for (let k = 0; k < 5; k++) {
      const job = `PAYR${random.int(1000, 9999)}`;
      const time = start + Math.floor(random.next() * (end - start));
      cluster.push(
        add(
          time,
          random.pick(COMPONENTS),
          `Nightly job ${job} stopped waiting for dataset allocation`,
          `Nightly job ${job} stopped waiting for dataset allocation of PROD.PAYROLL.D${random.int(100000, 999999)} on volume VOL${random.int(100, 999)}; the operator cancelled it, freed space on the storage group and restarted the job from its last checkpoint.`,
        ),
      );
    }
    expectations.push({ name: 'similar allocation failures', type: 'correlation', tickets: cluster });
  }
  incidents.sort((a, b) =>
    a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.ticketId < b.ticketId ? -1 : 1,
  );
  return { incidents, expectations, start, end };
}

/** Jaccard similarity of two id sets. */
export function overlap(a: readonly string[], b: readonly string[]): number {
  const sa = new Set(a);
  const common = b.filter((x) => sa.has(x)).length;
  return common / (sa.size + new Set(b).size - common);
}
