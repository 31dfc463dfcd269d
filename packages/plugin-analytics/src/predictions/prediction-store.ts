import { randomUUID } from 'node:crypto';
import { StorageError, StorageErrorCode, ValidationError, type WriteScope } from '@mainframe-kb/storage-core';
import type { Kysely, Transaction } from 'kysely';
import type { AnalyticsDatabase, PredictionRow } from '../schema/analytics-database.js';
import type { Prediction } from '../types.js';
import { OutcomeError, type Scored, scoreOutcome } from './scoring.js';

export function toPrediction(row: PredictionRow): Prediction {
  return {
    id: row.id,
    type: row.prediction_type,
    targetEntity: row.target_entity,
    targetId: row.target_id,
    probability: Number(row.probability),
    predictedValue: row.predicted_value === null ? null : Number(row.predicted_value),
    predictedAt: row.predicted_at,
    expiresAt: row.expires_at,
    actualOutcome: row.actual_outcome,
    observedValue: row.observed_value === null ? null : Number(row.observed_value),
    accuracyScore: row.accuracy_score === null ? null : Number(row.accuracy_score),
    outcomeAt: row.outcome_at,
    modelType: row.model_type,
    modelVersion: row.model_version,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
  };
}

export interface NewPrediction {
  type: string;
  targetEntity: string;
  targetId: string;
  probability: number;
  predictedValue?: number | null | undefined;
  expiresAt?: string | null | undefined;
  modelType: string;
  modelVersion: string;
  metadata: Record<string, unknown>;
}

function predictionRow(p: NewPrediction, now: string): PredictionRow {
  let metadata: string;
  try {
    metadata = JSON.stringify(p.metadata);
  } catch (error) {
    // A cycle or a BigInt: JSON cannot hold it.
    throw new ValidationError(`invalid prediction: metadata is not JSON (${(error as Error).message})`, [
      { path: 'prediction.metadata', message: 'not representable as JSON' },
    ]);
  }
  if (metadata.length > 1_000_000) {
    throw new ValidationError('invalid prediction: metadata is over 1,000,000 characters as JSON', [
      { path: 'prediction.metadata', message: 'too large' },
    ]);
  }
  return {
    id: randomUUID(),
    prediction_type: p.type,
    target_entity: p.targetEntity,
    target_id: p.targetId,
    probability: p.probability,
    predicted_value: p.predictedValue ?? null,
    predicted_at: now,
    expires_at: p.expiresAt ?? null,
    actual_outcome: null,
    observed_value: null,
    accuracy_score: null,
    outcome_at: null,
    model_type: p.modelType,
    model_version: p.modelVersion,
    metadata,
  };
}

/** Builds a new prediction's row and inserts it through the write's transaction. */
export async function insertPrediction(
  scope: WriteScope<AnalyticsDatabase>,
  p: NewPrediction,
): Promise<PredictionRow> {
  const row = predictionRow(p, scope.now);
  await scope.trx.insertInto('predictions').values(row).execute();
  return row;
}

export async function findPrediction(
  db: Kysely<AnalyticsDatabase> | Transaction<AnalyticsDatabase>,
  id: string,
): Promise<PredictionRow> {
  const row = await db.selectFrom('predictions').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row)
    throw new StorageError(StorageErrorCode.NOT_FOUND, `prediction '${id}' not found`, { details: { id } });
  return row;
}

/**
 * Records what happened, once: a prediction's outcome is a fact, and a second, different one is refused rather
 * than silently rewriting the accuracy already reported.
 */
export async function applyOutcome(
  scope: WriteScope<AnalyticsDatabase>,
  id: string,
  outcome: boolean | number | string,
  at: string,
): Promise<{ row: PredictionRow; scored: Scored }> {
  const row = await findPrediction(scope.trx, id);
  if (row.outcome_at !== null) {
    throw new StorageError(
      StorageErrorCode.CONFLICT,
      `prediction '${id}' already has its outcome ('${row.actual_outcome}', recorded ${row.outcome_at})`,
      { details: { id, outcome: row.actual_outcome } },
    );
  }
  const metadata = JSON.parse(row.metadata) as Record<string, unknown>;
  let scored: Scored;
  try {
    scored = scoreOutcome(
      {
        probability: Number(row.probability),
        predictedValue: row.predicted_value === null ? null : Number(row.predicted_value),
        metadata,
      },
      outcome,
    );
  } catch (error) {
    if (error instanceof OutcomeError) {
      throw new ValidationError(`invalid outcome for prediction '${id}': ${error.message}`, [
        { path: 'outcome', message: error.message },
      ]);
    }
    throw error;
  }
  const nextMetadata = { ...metadata };
  if (scored.hitRank !== undefined) nextMetadata.hitRank = scored.hitRank;
  if (scored.happened !== undefined) nextMetadata.happened = scored.happened;
  await scope.trx
    .updateTable('predictions')
    .set({
      actual_outcome: scored.actualOutcome,
      observed_value: scored.observedValue,
      accuracy_score: scored.accuracyScore,
      outcome_at: at,
      metadata: JSON.stringify(nextMetadata),
    })
    .where('id', '=', id)
    .where('outcome_at', 'is', null)
    .execute();
  scope.audit({
    action: 'outcome',
    entity: 'prediction',
    entityId: id,
    detail: { outcome: scored.actualOutcome, accuracy: scored.accuracyScore },
  });
  const updated: PredictionRow = {
    ...row,
    actual_outcome: scored.actualOutcome,
    observed_value: scored.observedValue,
    accuracy_score: scored.accuracyScore,
    outcome_at: at,
    metadata: JSON.stringify(nextMetadata),
  };
  return { row: updated, scored };
}
