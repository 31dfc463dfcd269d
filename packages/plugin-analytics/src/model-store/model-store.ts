import { createHash, randomUUID } from 'node:crypto';
import { StorageError, StorageErrorCode, ValidationError, type WriteScope } from '@mainframe-kb/storage-core';
import type { Kysely } from 'kysely';
import type { AnalyticsDatabase, ModelRow, ModelStage } from '../schema/analytics-database.js';

/** What a model file can be read from: bytes, or any stream of them (a file stream, a fetch body, a generator). */
export type ModelSource = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export interface ModelInfo {
  id: string;
  modelType: string;
  version: string;
  stage: ModelStage;
  checksum: string;
  sizeBytes: number;
  chunkCount: number;
  mediaType: string;
  trainingMetadata: Record<string, unknown>;
  performanceMetrics: Record<string, unknown>;
  datasetId: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export function toModelInfo(row: ModelRow): ModelInfo {
  return {
    id: row.id,
    modelType: row.model_type,
    version: row.version,
    stage: row.stage,
    checksum: row.checksum,
    sizeBytes: Number(row.size_bytes),
    chunkCount: Number(row.chunk_count),
    mediaType: row.media_type,
    trainingMetadata: JSON.parse(row.training_metadata) as Record<string, unknown>,
    performanceMetrics: JSON.parse(row.performance_metrics) as Record<string, unknown>,
    datasetId: row.dataset_id,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Re-cuts any stream of byte arrays into chunks of exactly `size` bytes (the last one shorter). */
export async function* rechunk(source: ModelSource, size: number): AsyncGenerator<Uint8Array> {
  const iterable =
    source !== null &&
    typeof source === 'object' &&
    (Symbol.asyncIterator in source || Symbol.iterator in source);
  if (!(source instanceof Uint8Array) && !iterable) {
    throw new ValidationError('invalid model source: give bytes, a stream or an iterable of bytes', [
      { path: 'source', message: `got ${source === null ? 'null' : typeof source}` },
    ]);
  }
  if (source instanceof Uint8Array) {
    for (let i = 0; i < source.length; i += size) yield source.subarray(i, Math.min(i + size, source.length));
    return;
  }
  let buffer = Buffer.allocUnsafe(size);
  let filled = 0;
  for await (const piece of source as AsyncIterable<Uint8Array>) {
    if (!(piece instanceof Uint8Array)) {
      throw new ValidationError('invalid model source: it must yield bytes (Uint8Array or Buffer)', [
        { path: 'source', message: `yielded ${typeof piece}` },
      ]);
    }
    let offset = 0;
    while (offset < piece.length) {
      const n = Math.min(size - filled, piece.length - offset);
      buffer.set(piece.subarray(offset, offset + n), filled);
      filled += n;
      offset += n;
      if (filled === size) {
        yield buffer;
        buffer = Buffer.allocUnsafe(size);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield buffer.subarray(0, filled);
}

export interface SaveModelFields {
  modelType: string;
  version: string;
  stage: ModelStage;
  mediaType: string;
  trainingMetadata: Record<string, unknown>;
  performanceMetrics: Record<string, unknown>;
  datasetId: string | null;
  expectedChecksum?: string | undefined;
}

/**
 * Writes a model's chunks as they arrive, inside the caller's write transaction, holding one chunk in memory
 * at a time; the file's checksum is computed on the way. A file over `maxBytes`, or whose checksum is not the
 * one the caller expected, is refused and the transaction rolls every chunk back.
 */
export async function writeModel(
  scope: WriteScope<AnalyticsDatabase>,
  fields: SaveModelFields,
  source: ModelSource,
  limits: { chunkBytes: number; maxBytes: number },
): Promise<ModelRow> {
  const { trx } = scope;
  const clash = await trx
    .selectFrom('ml_models')
    .select('id')
    .where('model_type', '=', fields.modelType)
    .where('version', '=', fields.version)
    .executeTakeFirst();
  if (clash) {
    throw new StorageError(
      StorageErrorCode.CONFLICT,
      `model ${fields.modelType} version ${fields.version} already exists; versions are immutable, store a new version`,
      { details: { id: clash.id } },
    );
  }
  if (fields.datasetId !== null) {
    const ds = await trx
      .selectFrom('training_datasets')
      .select('id')
      .where('id', '=', fields.datasetId)
      .executeTakeFirst();
    if (!ds) {
      throw new StorageError(StorageErrorCode.NOT_FOUND, `training dataset '${fields.datasetId}' not found`, {
        details: { datasetId: fields.datasetId },
      });
    }
  }
  const id = randomUUID();
  const row: ModelRow = {
    id,
    model_type: fields.modelType,
    version: fields.version,
    stage: 'candidate',
    checksum: '',
    size_bytes: 0,
    chunk_count: 0,
    media_type: fields.mediaType,
    training_metadata: JSON.stringify(fields.trainingMetadata),
    performance_metrics: JSON.stringify(fields.performanceMetrics),
    dataset_id: fields.datasetId,
    created_by: scope.actor.id ?? 'unknown',
    created_at: scope.now,
    updated_at: scope.now,
  };
  // The model row first (the chunks' foreign key), completed once every chunk is in.
  await trx.insertInto('ml_models').values(row).execute();
  const whole = createHash('sha256');
  let size = 0;
  let seq = 0;
  for await (const chunk of rechunk(source, limits.chunkBytes)) {
    size += chunk.length;
    if (size > limits.maxBytes) {
      throw new ValidationError(
        `invalid model: over the ${limits.maxBytes.toLocaleString('en-US')}-byte limit (options.maxModelBytes)`,
        [{ path: 'source', message: 'too large' }],
      );
    }
    whole.update(chunk);
    await trx
      .insertInto('ml_model_chunks')
      .values({ model_id: id, seq, data: chunk, checksum: sha256(chunk) })
      .execute();
    seq++;
  }
  const checksum = whole.digest('hex');
  if (fields.expectedChecksum !== undefined && fields.expectedChecksum.toLowerCase() !== checksum) {
    throw new StorageError(
      StorageErrorCode.INTEGRITY,
      `model ${fields.modelType} ${fields.version}: the bytes received hash to ${checksum}, not the expected ${fields.expectedChecksum}; nothing was stored`,
      { details: { expected: fields.expectedChecksum, actual: checksum } },
    );
  }
  await trx
    .updateTable('ml_models')
    .set({ checksum, size_bytes: size, chunk_count: seq })
    .where('id', '=', id)
    .execute();
  const stored = { ...row, checksum, size_bytes: size, chunk_count: seq };
  if (fields.stage !== 'candidate') await setModelStage(scope, stored, fields.stage);
  return { ...stored, stage: fields.stage };
}

/** Moves a model to a stage; promoting one to production retires the type's previous production model. */
export async function setModelStage(
  scope: WriteScope<AnalyticsDatabase>,
  model: ModelRow,
  stage: ModelStage,
): Promise<string[]> {
  const retired: string[] = [];
  if (stage === 'production') {
    const current = await scope.trx
      .selectFrom('ml_models')
      .select('id')
      .where('model_type', '=', model.model_type)
      .where('stage', '=', 'production')
      .where('id', '!=', model.id)
      .execute();
    for (const c of current) retired.push(c.id);
    if (retired.length > 0) {
      await scope.trx
        .updateTable('ml_models')
        .set({ stage: 'retired', updated_at: scope.now })
        .where('id', 'in', retired)
        .execute();
    }
  }
  await scope.trx
    .updateTable('ml_models')
    .set({ stage, updated_at: scope.now })
    .where('id', '=', model.id)
    .execute();
  return retired;
}

function corrupt(model: ModelRow, message: string): StorageError {
  return new StorageError(
    StorageErrorCode.INTEGRITY,
    `model ${model.model_type} ${model.version} (${model.id}) is corrupt: ${message}; restore it from a backup or store it again`,
    { details: { id: model.id, modelType: model.model_type, version: model.version } },
  );
}

/**
 * The model's bytes, one chunk at a time, each checked against its own checksum before it is handed out and the
 * whole file against the model's checksum at the end: a corrupt model never reaches a consumer unnoticed.
 */
export async function* readModelChunks(
  db: Kysely<AnalyticsDatabase>,
  model: ModelRow,
): AsyncGenerator<Uint8Array> {
  const whole = createHash('sha256');
  let size = 0;
  const count = Number(model.chunk_count);
  for (let seq = 0; seq < count; seq++) {
    const chunk = await db
      .selectFrom('ml_model_chunks')
      .select(['data', 'checksum'])
      .where('model_id', '=', model.id)
      .where('seq', '=', seq)
      .executeTakeFirst();
    if (!chunk) throw corrupt(model, `chunk ${seq} of ${count} is missing`);
    const bytes = chunk.data instanceof Uint8Array ? chunk.data : new Uint8Array(chunk.data as ArrayBuffer);
    if (sha256(bytes) !== chunk.checksum) throw corrupt(model, `chunk ${seq} does not match its checksum`);
    whole.update(bytes);
    size += bytes.length;
    yield bytes;
  }
  const extra = await db
    .selectFrom('ml_model_chunks')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('model_id', '=', model.id)
    .executeTakeFirst();
  if (Number(extra?.n ?? 0) !== count) throw corrupt(model, `it has ${extra?.n} chunks, not ${count}`);
  if (size !== Number(model.size_bytes))
    throw corrupt(model, `${size} bytes read, ${model.size_bytes} recorded`);
  const digest = whole.digest('hex');
  if (digest !== model.checksum) throw corrupt(model, `the file hashes to ${digest}, not ${model.checksum}`);
}
