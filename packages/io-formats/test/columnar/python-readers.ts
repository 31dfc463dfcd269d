import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { DataRecord, EntitySchema, FieldValue } from '../../src/codec-types.js';

const run = promisify(execFile);

export const VENV_PYTHON = fileURLToPath(new URL('../../.venv/bin/python', import.meta.url));
const CHECKER = fileURLToPath(new URL('./py/read_columnar.py', import.meta.url));

/** Whether the independent readers are installed (`scripts/setup-python.sh`). */
export const HAVE_PYTHON_READERS = existsSync(VENV_PYTHON);

/**
 * Reason to print when the readers are missing; with KB_REQUIRE_PYARROW=1 (CI) a missing venv is a failure,
 * not a skip, so a green run cannot hide unverified files.
 */
export const PYTHON_SKIP_REASON =
  'independent-reader tests skipped: packages/io-formats/.venv is missing (run packages/io-formats/scripts/setup-python.sh)';

export function requirePythonReaders(): boolean {
  if (!HAVE_PYTHON_READERS && process.env.KB_REQUIRE_PYARROW === '1') {
    throw new Error(`KB_REQUIRE_PYARROW=1 but ${VENV_PYTHON} does not exist: ${PYTHON_SKIP_REASON}`);
  }
  if (!HAVE_PYTHON_READERS) console.warn(PYTHON_SKIP_REASON);
  return HAVE_PYTHON_READERS;
}

export interface PythonRead {
  schema: { name: string; type: string; nullable?: boolean }[];
  rows: unknown[][];
  row_groups?: number;
  stripes?: number;
  compression?: string;
  codec?: string;
}

export async function readWithPython(format: 'parquet' | 'orc' | 'avro', path: string): Promise<PythonRead> {
  const { stdout } = await run(VENV_PYTHON, [CHECKER, format, path], { maxBuffer: 512 * 1024 * 1024 });
  return JSON.parse(stdout) as PythonRead;
}

/** Has pyarrow (Parquet, ORC) or fastavro (Avro) write the checker's BINARY_ROWS: `id` text, `data` bytes. */
export async function writeBinaryWithPython(format: 'parquet' | 'orc' | 'avro', path: string): Promise<void> {
  await run(VENV_PYTHON, [CHECKER, 'write-binary', format, path]);
}

/** Decodes the checker's exact value encoding back to our field values. */
export function decodePythonValue(value: unknown): FieldValue | { unexpected: unknown } {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  const v = value as { i?: string; f?: string; ms?: number; b?: string };
  if (v.i !== undefined) return Number(v.i);
  if (v.b !== undefined) return Buffer.from(v.b, 'hex');
  if (v.f !== undefined) return Buffer.from(v.f, 'hex').readDoubleLE(0);
  if (v.ms !== undefined) return new Date(v.ms);
  return { unexpected: value };
}

export function pythonRecords(read: PythonRead, schema: EntitySchema): DataRecord[] {
  const names = read.schema.map((f) => f.name);
  return read.rows.map((row) => {
    const record: DataRecord = {};
    for (const field of schema.fields) {
      const index = names.indexOf(field.name);
      record[field.name] = index < 0 ? null : (decodePythonValue(row[index]) as FieldValue);
    }
    return record;
  });
}
