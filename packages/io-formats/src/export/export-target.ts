import { basename } from 'node:path';
import {
  type ByteSink,
  type ExporterContribution,
  StorageError,
  StorageErrorCode,
  ValidationError,
} from '@mainframe-kb/storage-core';
import { z } from 'zod';
import { fileSink } from '../io/byte-sink.js';
import type { StoreAccess } from '../plugin/store-access.js';
import type { TargetExportOptions, TargetExportResult } from './export-types.js';
import { writeOutput } from './output-file.js';

const targetOptionsSchema = z.strictObject({
  target: z.string().min(1),
  out: z.string().min(1),
  targetOptions: z.record(z.string(), z.unknown()).optional(),
  format: z.undefined().optional(),
});

/** The exporter an enabled plugin contributes under `target`, or a ValidationError naming those there are. */
function exporterFor(exporters: readonly ExporterContribution[], target: string): ExporterContribution {
  const contribution = exporters.find((e) => e.target === target);
  if (contribution === undefined) {
    const available = exporters.map((e) => e.target);
    const message = `no enabled plugin exports '${target}' (${available.length > 0 ? `available: ${available.join(', ')}` : 'no enabled plugin contributes an exporter'}); enable the plugin that provides it`;
    throw new ValidationError(message, [{ path: 'target', message }], { details: { target, available } });
  }
  if (typeof contribution.handler !== 'function') {
    throw new StorageError(
      StorageErrorCode.EXTENSION_INVALID,
      `the exporter '${target}' has no handler function; its plugin must contribute a DomainExporter`,
      { details: { target } },
    );
  }
  return contribution;
}

/**
 * The sink an exporter writes to: the output file, counting its bytes. The pipeline closes it (once, whether
 * or not the exporter did); a write after that, or of anything but bytes, is the exporter's mistake.
 */
function exporterSink(file: ByteSink, target: string) {
  let closed = false;
  let bytes = 0;
  const close = async () => {
    if (closed) return;
    closed = true;
    await file.close();
  };
  const sink: ByteSink = {
    async write(chunk) {
      if (!(chunk instanceof Uint8Array)) {
        throw new StorageError(
          StorageErrorCode.EXTENSION_INVALID,
          `the exporter '${target}' wrote a ${typeof chunk}; a ByteSink takes Uint8Array chunks (new TextEncoder().encode(text))`,
          { details: { target } },
        );
      }
      if (closed) {
        throw new StorageError(
          StorageErrorCode.EXTENSION_INVALID,
          `the exporter '${target}' wrote after the sink was closed`,
          { details: { target } },
        );
      }
      await file.write(chunk);
      bytes += chunk.length;
    },
    close,
  };
  return { sink, close, bytes: () => bytes };
}

/**
 * Exports with the domain exporter a plugin contributes under `options.target`: the same output file as a
 * format export (created under a temporary name, renamed once complete, removed when the exporter throws),
 * written by the exporter through a sink, inside the `io-formats.export` read (role-checked, timed). The
 * exporter reads its plugin's data through its own context, with its own permissions.
 */
export async function exportTargetWith(
  access: StoreAccess,
  options: TargetExportOptions,
): Promise<TargetExportResult> {
  const parsed = targetOptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new StorageError(
      StorageErrorCode.VALIDATION,
      `invalid export options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const { target, out } = options;
  const contribution = exporterFor(access.exporters(), target);
  const entity = contribution.entities.length === 1 ? (contribution.entities[0] as string) : target;
  return writeOutput(out, (temporary) =>
    access.read('io-formats.export', async () => {
      const output = exporterSink(await fileSink(temporary), target);
      let result: unknown;
      try {
        result = await contribution.handler({
          sink: output.sink,
          fileName: basename(out),
          options: { ...options.targetOptions },
        });
      } catch (error) {
        // The exporter's error is the one to report; the file is removed whatever its handle says.
        await output.close().catch(() => undefined);
        throw error;
      }
      await output.close();
      const records = (result as { records?: unknown } | undefined)?.records;
      if (typeof records !== 'number' || !Number.isSafeInteger(records) || records < 0) {
        throw new StorageError(
          StorageErrorCode.EXTENSION_INVALID,
          `the exporter '${target}' resolved to records ${String(records)}; a DomainExporter resolves to { records: <the number it wrote> }`,
          { details: { target } },
        );
      }
      return { file: out, target, records: { [entity]: records }, bytes: output.bytes() };
    }),
  );
}
