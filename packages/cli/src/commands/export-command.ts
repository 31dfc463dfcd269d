import { resolve } from 'node:path';
import { exportStore, type FormatName } from '@mainframe-kb/io-formats';
import { UsageError } from '../cli-error.js';
import { type Command, type CommandContext, stringList, stringOption } from '../command.js';
import { ProgressBar } from '../progress-bar.js';
import { openStoreWithIo } from './io-store.js';

const USAGE =
  'kb export --format json|ndjson|csv|xml|parquet|avro|orc --out F [--entities kb,incidents,patterns,code,templates,analytics] | kb export --target NAME --out F [--option key=value]…';
const FORMATS: readonly FormatName[] = ['json', 'ndjson', 'csv', 'xml', 'parquet', 'avro', 'orc'];

/**
 * The export in words: records per entity (entries, incidents …: what the user exported), then the table rows
 * they span as detail.
 */
function describe(
  result: { file: string; records: Record<string, number>; tables?: Record<string, number>; bytes: number },
  kind: string,
) {
  const counts = Object.entries(result.records).map(([entity, n]) => `${entity} ${n}`);
  const tables = Object.values(result.tables ?? {});
  const rows =
    tables.length === 0
      ? ''
      : `; ${tables.reduce((a, b) => a + b, 0)} rows in ${tables.length} table${tables.length === 1 ? '' : 's'}`;
  return `Exported ${counts.join(', ') || 'nothing'} to ${result.file} (${kind}, ${result.bytes} bytes${rows})`;
}

/** `--option key=value`, repeated: the exporter's options, as strings. */
function exporterOptions(args: readonly string[]): Record<string, string> {
  const options: Record<string, string> = {};
  for (const arg of args) {
    const at = arg.indexOf('=');
    if (at <= 0) throw new UsageError(`--option takes key=value, not '${arg}'`, USAGE);
    const key = arg.slice(0, at);
    if (Object.hasOwn(options, key)) throw new UsageError(`--option ${key} is given twice`, USAGE);
    options[key] = arg.slice(at + 1);
  }
  return options;
}

/** `kb export --target NAME`: one file, written by the exporter an enabled plugin contributes as NAME. */
async function exportTarget(ctx: CommandContext, target: string, out: string | undefined): Promise<number> {
  if (out === undefined) throw new UsageError('--target needs --out', USAGE);
  if (stringOption(ctx, 'entities') !== undefined) {
    throw new UsageError('--entities goes with --format; an exporter chooses what it writes', USAGE);
  }
  const targetOptions = exporterOptions(stringList(ctx, 'option') ?? []);
  const storage = await openStoreWithIo(ctx);
  try {
    const result = await exportStore(storage, { target, out: resolve(ctx.io.cwd, out), targetOptions });
    ctx.out.emit({ file: result.file, target: result.target, records: result.records }, () =>
      describe(result, result.target),
    );
    return 0;
  } finally {
    await storage.close();
  }
}

export const exportCommand: Command = {
  name: 'export',
  summary:
    "export the store (one consistent snapshot) to JSON, NDJSON, CSV, XML, Parquet, Avro or ORC, or with a plugin's exporter",
  usage: USAGE,
  details: [
    '--format F       json writes one versioned envelope file; the other formats write a directory',
    '                 holding manifest.json and one file per table.',
    '--out F          the file or directory to create; it must not exist yet.',
    '--entities       comma-separated entities to export (default: every enabled one).',
    '--target NAME    instead of --format: the exporter an enabled plugin contributes as NAME writes one',
    "                 file in a format of its own (the enabled plugins' exporters, see kb plugins).",
    '--option k=v     with --target, repeatable: an option for the exporter (--option entryId=…).',
  ],
  options: {
    format: { type: 'string' },
    out: { type: 'string' },
    entities: { type: 'string' },
    target: { type: 'string' },
    option: { type: 'string', multiple: true },
  },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const format = stringOption(ctx, 'format');
    const target = stringOption(ctx, 'target');
    const out = stringOption(ctx, 'out');
    if (format !== undefined && target !== undefined) {
      throw new UsageError(
        "--format and --target exclude each other: --format exports the store's tables, --target runs a plugin's exporter",
        USAGE,
      );
    }
    if (target !== undefined) return exportTarget(ctx, target, out);
    if (stringList(ctx, 'option') !== undefined) throw new UsageError('--option goes with --target', USAGE);
    if (format === undefined || out === undefined)
      throw new UsageError('--format (or --target) and --out are required', USAGE);
    if (!(FORMATS as readonly string[]).includes(format)) {
      throw new UsageError(`unknown format '${format}'; use one of ${FORMATS.join(', ')}`, USAGE);
    }
    const entities = stringOption(ctx, 'entities')
      ?.split(',')
      .map((e) => e.trim())
      .filter((e) => e.length > 0);
    const storage = await openStoreWithIo(ctx);
    let bar: ProgressBar | undefined;
    try {
      const result = await exportStore(storage, {
        format: format as FormatName,
        out: resolve(ctx.io.cwd, out),
        entities,
        onProgress: (p) => {
          // On stderr, like every progress of a command whose output may be piped.
          bar ??= new ProgressBar(ctx.out.decorated ? ctx.io.stderr : null, 'Exporting rows', p.total);
          bar.update(p.done);
        },
      });
      bar?.finish();
      // CLI.md: records per entity (what the user exported); the text adds the table rows as detail.
      ctx.out.emit({ file: result.file, format: result.format, records: result.records }, () =>
        describe(result, result.format),
      );
      return 0;
    } finally {
      await storage.close();
    }
  },
};
