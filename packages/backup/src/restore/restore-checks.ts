import type { TableContribution } from '@mainframe-kb/storage-core';
import type BetterSqlite3 from 'better-sqlite3';
import { type ContentCheckMode, contentOf, withSqliteFile } from '../content/image-content.js';
import type { TableDigest } from '../manifest/backup-metadata.js';
import type { CheckRecord } from './check-record.js';

/**
 * `full`: PRAGMA integrity_check (every b-tree, index and constraint). `quick`: PRAGMA quick_check (the same
 * without cross-checking indexes against tables), several times faster on large files. `auto` (a restore's
 * default): `full`, unless an authenticated record says a test restore of this very image (same sha256, same
 * SQLite) passed integrity_check, foreign_key_check and the content check — the rebuilt file, proven
 * bit-identical to that image, would pass them again, so they are not repeated (see check-record.ts).
 */
export type IntegrityLevel = 'full' | 'quick' | 'auto';

/** One check of a verification or a restore, as `kb backup verify --json` prints it. */
export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface ExpectedContent {
  readonly contentHash: string | null;
  readonly tables: Readonly<Record<string, TableDigest>>;
}

/** Compares a database's content with what the manifest recorded at backup time. */
export function compareContent(
  expected: ExpectedContent,
  actual: { contentHash: string | null; tables: Record<string, TableDigest> },
  only?: readonly string[],
): CheckResult[] {
  const checks: CheckResult[] = [];
  const names = only ?? Object.keys(expected.tables);
  const wrong: string[] = [];
  for (const name of names) {
    const want = expected.tables[name];
    const got = actual.tables[name];
    if (!want) {
      wrong.push(`${name}: not in the manifest`);
    } else if (!got) {
      wrong.push(`${name}: missing`);
    } else if (want.rows !== got.rows) {
      wrong.push(`${name}: ${got.rows} rows, manifest ${want.rows}`);
    } else if (want.hash && got.hash && want.hash !== got.hash) {
      wrong.push(`${name}: content hash differs`);
    }
  }
  checks.push({
    name: 'row-counts-and-table-hashes',
    ok: wrong.length === 0,
    detail: wrong.length === 0 ? `${names.length} tables match the manifest` : wrong.slice(0, 10).join('; '),
  });
  if (!only && expected.contentHash && actual.contentHash) {
    const ok = expected.contentHash === actual.contentHash;
    checks.push({
      name: 'content-hash',
      ok,
      detail: ok ? expected.contentHash : `restored ${actual.contentHash}, manifest ${expected.contentHash}`,
    });
  }
  return checks;
}

/** `integrity_check` (or `quick_check`) of an open SQLite file. */
function integrityOf(raw: BetterSqlite3.Database, level: Exclude<IntegrityLevel, 'auto'>): CheckResult {
  // A big page cache and memory-mapped reads: integrity_check walks every b-tree of the file.
  raw.pragma('cache_size = -262144');
  raw.pragma('mmap_size = 2147483648');
  const pragma = level === 'full' ? 'integrity_check' : 'quick_check';
  const result = (raw.pragma(pragma) as Record<string, unknown>[]).map((r) => String(Object.values(r)[0]));
  const intact = result.length === 1 && result[0] === 'ok';
  return { name: pragma, ok: intact, detail: intact ? 'ok' : result.slice(0, 5).join('; ') };
}

/**
 * `integrity_check` of the SQLite file under a store rows were just loaded into, on a read-only connection
 * of its own beside the store's (both see the same committed pages).
 */
export async function checkFileIntegrity(path: string): Promise<CheckResult> {
  return withSqliteFile(path, async (_db, raw) => integrityOf(raw, 'full'));
}

/** `integrity_check`, `foreign_key_check` and the content comparison of a restored SQLite file. */
export async function checkRestoredFile(
  path: string,
  tables: readonly TableContribution[],
  expected: ExpectedContent,
  integrity: Exclude<IntegrityLevel, 'auto'> = 'full',
): Promise<CheckResult[]> {
  return withSqliteFile(path, async (db, raw) => {
    const checks: CheckResult[] = [integrityOf(raw, integrity)];
    const intact = checks[0]!.ok;
    const violations = raw.pragma('foreign_key_check') as { table: string; parent: string }[];
    checks.push({
      name: 'foreign_key_check',
      ok: violations.length === 0,
      detail:
        violations.length === 0
          ? 'ok'
          : `${violations.length} rows violate foreign keys (first: ${violations[0]!.table} → ${violations[0]!.parent})`,
    });
    if (!intact) return checks;
    const mode: ContentCheckMode = expected.contentHash ? 'hash' : 'counts';
    const actual = await contentOf(db, tables, mode);
    checks.push(...compareContent(expected, actual));
    return checks;
  });
}

/**
 * The checks of a restored file that is proven bit-identical (sha256) to an image whose integrity_check,
 * foreign_key_check and content check passed, per `record`: SQLite opens it and reads its schema, its page
 * count is the image's, and its row counts are compared with the manifest.
 */
export async function checkIdenticalFile(
  path: string,
  tables: readonly TableContribution[],
  expected: ExpectedContent,
  record: CheckRecord,
  pageCount: number,
): Promise<CheckResult[]> {
  return withSqliteFile(path, async (db, raw) => {
    raw.pragma('mmap_size = 2147418112');
    const checks: CheckResult[] = [
      {
        name: 'integrity-record',
        ok: true,
        detail: `integrity_check, foreign_key_check and the content check passed on this very image (sha256 ${record.checksum.slice(0, 16)}…, SQLite ${record.sqlite}) at ${record.at}; not repeated`,
      },
    ];
    const schemaObjects = (raw.prepare('select count(*) as n from sqlite_master').get() as { n: number }).n;
    const pages = raw.pragma('page_count', { simple: true }) as number;
    checks.push({
      name: 'sqlite-open',
      ok: pages === pageCount && schemaObjects > 0,
      detail: `${pages} pages (image ${pageCount}), ${schemaObjects} schema objects`,
    });
    const actual = await contentOf(db, tables, 'counts');
    checks.push(...compareContent(expected, actual));
    return checks;
  });
}
