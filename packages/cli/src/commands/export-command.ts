import { resolve } from 'node:path';
import { type ExportResult, exportStore, type FormatName } from '@mainframe-kb/io-formats';
import { UsageError } from '../cli-error.js';
import { type Command, stringOption } from '../command.js';
import type { ProgressBar } from '../progress-bar.js';
import { openStoreWithIo } from './io-store.js';

const USAGE =
  'kb export --format json|ndjson|csv|xml|parquet|avro|orc --out F [--entities kb,incidents,patterns,code,templates,analytics]';
const FORMATS: readonly FormatName[] = ['json', 'ndjson', 'csv', 'xml', 'parquet', 'avro', 'orc'];

function describe(result: ExportResult): string {
  const counts = Object.entries(result.records).map(([entity, n]) => `${entity} ${n}`);
  return `Exported ${counts.join(', ') || 'nothing'} to ${result.file} (${result.format}, ${result.bytes} bytes)`;
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'export the store (one consistent snapshot) to JSON, NDJSON, CSV, XML, Parquet, Avro or ORC',
  usage: USAGE,
  details: [
    '--format F    json writes one versioned envelope file; the other formats write a directory',
    '              holding manifest.json and one file per table.',
    '--out F       the file or directory to create; it must not exist yet.',
    '--entities    comma-separated entities to export (default: every enabled one).',
  ],
  options: {
    format: { type: 'string' },
    out: { type: 'string' },
    entities: { type: 'string' },
  },
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const format = stringOption(ctx, 'format');
    const out = stringOption(ctx, 'out');
    if (format === undefined || out === undefined)
      throw new UsageError('--format and --out are required', USAGE);
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
          bar ??= ctx.out.progress('Exporting', p.total);
          bar.update(p.done);
        },
      });
      bar?.finish();
      ctx.out.emit({ file: result.file, format: result.format, records: result.records }, () =>
        describe(result),
      );
      return 0;
    } finally {
      await storage.close();
    }
  },
};
