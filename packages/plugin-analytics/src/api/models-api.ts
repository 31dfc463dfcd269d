import { randomUUID } from 'node:crypto';
import { insertRows, StorageError, StorageErrorCode, validateInput } from '@mainframe-kb/storage-core';
import { z } from 'zod';
import {
  type Dataset,
  type DatasetInput,
  type DatasetMember,
  datasetInputSchema,
  membershipChecksum,
  splitOf,
  toDataset,
} from '../datasets/datasets.js';
import {
  type ModelInfo,
  type ModelSource,
  readModelChunks,
  setModelStage,
  toModelInfo,
  writeModel,
} from '../model-store/model-store.js';
import type { DatasetRow, ModelRow, ModelStage } from '../schema/analytics-database.js';
import { iso, parseInstant } from '../series/periods.js';
import type { ApiContext } from './api-context.js';
import { incidentsOf } from './incidents-port.js';

const STAGES = ['candidate', 'production', 'retired'] as const;
const label = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, 'letters, digits, ".", "_", "+" and "-"');

const saveModelSchema = z.strictObject({
  modelType: label(64),
  version: label(64),
  stage: z.enum(STAGES).default('candidate'),
  mediaType: z.string().trim().min(1).max(128).default('application/octet-stream'),
  trainingMetadata: z.record(z.string(), z.unknown()).default({}),
  performanceMetrics: z.record(z.string(), z.unknown()).default({}),
  /** A training dataset of this store the model was trained on (id or name). */
  dataset: z.string().min(1).max(128).optional(),
  /** The sha256 the bytes must have (hex); a mismatch stores nothing. */
  checksum: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'a sha256 in hex')
    .optional(),
});

export type SaveModelInput = z.input<typeof saveModelSchema>;

export interface ModelQuery {
  modelType?: string | undefined;
  stage?: ModelStage | undefined;
}

export interface ModelVerification {
  ok: boolean;
  id: string;
  modelType: string;
  version: string;
  sizeBytes: number;
  checksum: string;
  /** What was wrong, when not ok. */
  problem?: string;
}

/** A model by id, or by `type@version`. */
const modelRef = z.string().min(1).max(140);

const fromIncidentsSchema = z.strictObject({
  name: z.string().trim().min(1).max(128),
  description: z.string().max(10_000).default(''),
  from: z.string().optional(),
  to: z.string().optional(),
  /** Share of members put in the test split, by a hash of their id (default 0.2). */
  testShare: z.number().min(0).max(1).default(0.2),
});

export function modelsApi(api: ApiContext) {
  const { ctx, db } = api;

  async function findModel(ref: string): Promise<ModelRow> {
    const valid = validateInput(modelRef, ref, 'model');
    const at = valid.lastIndexOf('@');
    const row =
      at > 0
        ? await db
            .selectFrom('ml_models')
            .selectAll()
            .where('model_type', '=', valid.slice(0, at))
            .where('version', '=', valid.slice(at + 1))
            .executeTakeFirst()
        : await db.selectFrom('ml_models').selectAll().where('id', '=', valid).executeTakeFirst();
    if (!row) {
      throw new StorageError(
        StorageErrorCode.NOT_FOUND,
        `model '${valid}' not found (give its id or type@version)`,
        {
          details: { model: valid },
        },
      );
    }
    return row;
  }

  async function findDataset(ref: string): Promise<DatasetRow> {
    const valid = validateInput(z.string().min(1).max(128), ref, 'dataset');
    const row = await db
      .selectFrom('training_datasets')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', valid), eb('name', '=', valid)]))
      .executeTakeFirst();
    if (!row)
      throw new StorageError(StorageErrorCode.NOT_FOUND, `training dataset '${valid}' not found`, {
        details: { dataset: valid },
      });
    return row;
  }

  async function writeDataset(input: {
    name: string;
    description: string;
    entity: string;
    members: DatasetMember[];
    metadata: Record<string, unknown>;
  }): Promise<Dataset> {
    return ctx.write('analytics.dataset.write', async (scope) => {
      const clash = await scope.trx
        .selectFrom('training_datasets')
        .select('id')
        .where('name', '=', input.name)
        .executeTakeFirst();
      if (clash) {
        throw new StorageError(
          StorageErrorCode.CONFLICT,
          `training dataset '${input.name}' already exists; a dataset's membership is frozen, make a new one`,
          { details: { id: clash.id } },
        );
      }
      const row: DatasetRow = {
        id: randomUUID(),
        name: input.name,
        description: input.description,
        entity: input.entity,
        member_count: input.members.length,
        checksum: membershipChecksum(input.members),
        metadata: JSON.stringify(input.metadata),
        created_by: scope.actor.id,
        created_at: scope.now,
      };
      await scope.trx.insertInto('training_datasets').values(row).execute();
      await insertRows(
        scope.trx,
        'training_dataset_members',
        input.members.map((m, seq) => ({
          dataset_id: row.id,
          seq,
          entity_id: m.id,
          split: m.split,
          label: m.label,
        })),
        1_000,
      );
      scope.audit({
        action: 'create',
        entity: 'training_dataset',
        entityId: row.id,
        detail: { members: input.members.length },
      });
      return toDataset(row);
    });
  }

  return {
    /**
     * Stores a model file, streamed: `source` may be bytes, a Node stream (`fs.createReadStream`) or any async
     * iterable of bytes; one chunk is held at a time. New models are candidates unless `stage` says otherwise.
     */
    async saveModel(input: SaveModelInput, source: ModelSource): Promise<ModelInfo> {
      const valid = validateInput(saveModelSchema, input, 'model');
      const dataset = valid.dataset ? (await findDataset(valid.dataset)).id : null;
      const row = await ctx.write('analytics.model.write', async (scope) => {
        const stored = await writeModel(
          scope,
          {
            modelType: valid.modelType,
            version: valid.version,
            stage: valid.stage,
            mediaType: valid.mediaType,
            trainingMetadata: valid.trainingMetadata,
            performanceMetrics: valid.performanceMetrics,
            datasetId: dataset,
            expectedChecksum: valid.checksum,
          },
          source,
          { chunkBytes: api.options.chunkBytes, maxBytes: api.options.maxModelBytes },
        );
        scope.audit({
          action: 'create',
          entity: 'ml_model',
          entityId: stored.id,
          detail: {
            type: stored.model_type,
            version: stored.version,
            size: stored.size_bytes,
            sha256: stored.checksum,
          },
        });
        return stored;
      });
      return toModelInfo(row);
    },

    /** The model's bytes as a stream of verified chunks; a corrupt model fails with INTEGRITY before bad bytes are handed out. */
    async readModel(ref: string): Promise<AsyncGenerator<Uint8Array>> {
      const row = await ctx.read('analytics.read', () => findModel(ref));
      return readModelChunks(db, row);
    },

    async verifyModel(ref: string): Promise<ModelVerification> {
      const row = await ctx.read('analytics.read', () => findModel(ref));
      const base = {
        id: row.id,
        modelType: row.model_type,
        version: row.version,
        sizeBytes: Number(row.size_bytes),
        checksum: row.checksum,
      };
      try {
        for await (const _ of readModelChunks(db, row)) {
          // every chunk checked on the way
        }
        return { ok: true, ...base };
      } catch (error) {
        if (error instanceof StorageError && error.code === StorageErrorCode.INTEGRITY) {
          return { ok: false, ...base, problem: error.message };
        }
        throw error;
      }
    },

    async getModel(ref: string): Promise<ModelInfo> {
      return ctx.read('analytics.read', async () => toModelInfo(await findModel(ref)));
    },

    async listModels(query: ModelQuery = {}): Promise<ModelInfo[]> {
      const q = validateInput(
        z.strictObject({ modelType: z.string().max(64).optional(), stage: z.enum(STAGES).optional() }),
        query,
        'query',
      );
      return ctx.read('analytics.read', async () => {
        let sel = db
          .selectFrom('ml_models')
          .selectAll()
          .orderBy('model_type')
          .orderBy('created_at')
          .orderBy('version');
        if (q.modelType) sel = sel.where('model_type', '=', q.modelType);
        if (q.stage) sel = sel.where('stage', '=', q.stage);
        return (await sel.execute()).map(toModelInfo);
      });
    },

    /** Moves a model to a stage; promoting to production retires the type's previous production model. */
    async setModelStage(ref: string, stage: ModelStage): Promise<{ model: ModelInfo; retired: string[] }> {
      const validStage = validateInput(z.enum(STAGES), stage, 'stage');
      const row = await findModel(ref);
      return ctx.write('analytics.model.write', async (scope) => {
        const current = await scope.trx
          .selectFrom('ml_models')
          .selectAll()
          .where('id', '=', row.id)
          .executeTakeFirst();
        if (!current)
          throw new StorageError(StorageErrorCode.NOT_FOUND, `model '${ref}' not found`, {
            details: { model: ref },
          });
        const retired = await setModelStage(scope, current, validStage);
        scope.audit({
          action: 'stage',
          entity: 'ml_model',
          entityId: row.id,
          detail: { from: current.stage, to: validStage, retired },
        });
        return { model: toModelInfo({ ...current, stage: validStage, updated_at: scope.now }), retired };
      });
    },

    async deleteModel(ref: string): Promise<boolean> {
      const row = await findModel(ref);
      return ctx.write('analytics.delete', async (scope) => {
        await scope.trx.deleteFrom('ml_model_chunks').where('model_id', '=', row.id).execute();
        const res = await scope.trx.deleteFrom('ml_models').where('id', '=', row.id).executeTakeFirst();
        scope.audit({
          action: 'delete',
          entity: 'ml_model',
          entityId: row.id,
          detail: { type: row.model_type, version: row.version },
        });
        return Number(res.numDeletedRows) > 0;
      });
    },

    /** A training dataset with a frozen membership (immutable: a changed membership is a new dataset). */
    async createDataset(input: DatasetInput): Promise<Dataset> {
      const valid = validateInput(datasetInputSchema, input, 'dataset');
      return writeDataset(valid);
    },

    /**
     * A dataset of the incidents resolved with a KB entry (optionally in [from, to) by resolution time), labelled
     * with that entry, split by a hash of each id: what the recommender is evaluated on.
     */
    async datasetFromIncidents(input: z.input<typeof fromIncidentsSchema>): Promise<Dataset> {
      const valid = validateInput(fromIncidentsSchema, input, 'dataset');
      ctx.authorize('analytics.dataset.write');
      if (!api.sources().incidents) incidentsOf(api.storage());
      let sel = db
        .selectFrom('incidents')
        .select(['id', 'kb_entry_id'])
        .where('resolved_at', 'is not', null)
        .where('kb_entry_id', 'is not', null)
        .orderBy('id');
      if (valid.from) sel = sel.where('resolved_at', '>=', iso(parseInstant(valid.from, 'from')));
      if (valid.to) sel = sel.where('resolved_at', '<', iso(parseInstant(valid.to, 'to')));
      const rows = await sel.execute();
      if (rows.length === 0) {
        throw new StorageError(
          StorageErrorCode.NOT_FOUND,
          'no incident resolved with a KB entry in that range: the dataset would be empty',
          {
            details: { from: valid.from, to: valid.to },
          },
        );
      }
      return writeDataset({
        name: valid.name,
        description: valid.description,
        entity: 'incident',
        members: rows.map((r) => ({ id: r.id, split: splitOf(r.id, valid.testShare), label: r.kb_entry_id })),
        metadata: {
          from: valid.from ?? null,
          to: valid.to ?? null,
          testShare: valid.testShare,
          label: 'kb_entry_id',
        },
      });
    },

    /** A dataset, its members when asked, and whether they still match the frozen checksum. */
    async getDataset(
      ref: string,
      options: { members?: boolean } = {},
    ): Promise<Dataset & { intact: boolean; members?: DatasetMember[] }> {
      return ctx.read('analytics.read', async () => {
        const row = await findDataset(ref);
        const members = (
          await db
            .selectFrom('training_dataset_members')
            .select(['entity_id', 'split', 'label'])
            .where('dataset_id', '=', row.id)
            .orderBy('seq')
            .execute()
        ).map((m) => ({ id: m.entity_id, split: m.split as DatasetMember['split'], label: m.label }));
        const intact =
          members.length === Number(row.member_count) && membershipChecksum(members) === row.checksum;
        return { ...toDataset(row), intact, ...(options.members ? { members } : {}) };
      });
    },

    async listDatasets(): Promise<Dataset[]> {
      return ctx.read('analytics.read', async () =>
        (
          await db.selectFrom('training_datasets').selectAll().orderBy('created_at').orderBy('name').execute()
        ).map(toDataset),
      );
    },

    async deleteDataset(ref: string): Promise<boolean> {
      const row = await findDataset(ref);
      return ctx.write('analytics.delete', async (scope) => {
        const used = await scope.trx
          .selectFrom('ml_models')
          .select(['model_type', 'version'])
          .where('dataset_id', '=', row.id)
          .execute();
        if (used.length > 0) {
          throw new StorageError(
            StorageErrorCode.CONFLICT,
            `training dataset '${row.name}' trained ${used.map((m) => `${m.model_type}@${m.version}`).join(', ')}; delete those models first`,
            { details: { models: used.length } },
          );
        }
        await scope.trx.deleteFrom('training_dataset_members').where('dataset_id', '=', row.id).execute();
        await scope.trx.deleteFrom('training_datasets').where('id', '=', row.id).execute();
        scope.audit({
          action: 'delete',
          entity: 'training_dataset',
          entityId: row.id,
          detail: { name: row.name },
        });
        return true;
      });
    },
  };
}

export type ModelsApi = ReturnType<typeof modelsApi>;
