import { StorageError, StorageErrorCode, validateInput } from '@mainframe-kb/storage-core';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { type AutoLogVerification, appendAutoRow, verifyAutoLog } from '../auto/auto-log.js';
import { RECOMMENDER_MODEL, RECOMMENDER_VERSION, recommend } from '../models/recommender.js';
import { insertPrediction } from '../predictions/prediction-store.js';
import type { AnalyticsDatabase, AutoResolutionRow } from '../schema/analytics-database.js';
import type { ApiContext } from './api-context.js';
import { incidentsOf } from './incidents-port.js';
import { recommendationPrediction } from './predictions-api.js';

export type AutoDecisionKind = 'applied' | 'held';
export type AutoReviewKind = 'accepted' | 'rejected';
export type AutoOutcomeKind = 'resolved' | 'failed' | 'reverted';

/** One row of the auto-resolution log. */
export interface AutoLogEntry {
  seq: number;
  id: string;
  kind: 'decision' | 'review' | 'outcome';
  decisionId: string;
  incidentId: string;
  component: string | null;
  proposalKind: string | null;
  proposalId: string | null;
  confidence: number | null;
  threshold: number | null;
  decision: string;
  decidedBy: string;
  appliedSolution: string | null;
  inputs: Record<string, unknown>;
  createdAt: string;
  hash: string;
}

export interface AutoDecision {
  decision: AutoLogEntry;
  /** Why it was applied or held. */
  reason: string;
  /** Set when the fix was applied and the incident update failed: an outcome row `failed` records it. */
  applyError?: string;
  predictionId: string | null;
}

function toEntry(r: AutoResolutionRow): AutoLogEntry {
  return {
    seq: Number(r.seq),
    id: r.id,
    kind: r.kind as AutoLogEntry['kind'],
    decisionId: r.decision_id,
    incidentId: r.incident_id,
    component: r.component,
    proposalKind: r.proposal_kind,
    proposalId: r.proposal_id,
    confidence: r.confidence === null ? null : Number(r.confidence),
    threshold: r.threshold === null ? null : Number(r.threshold),
    decision: r.decision,
    decidedBy: r.decided_by,
    appliedSolution: r.applied_solution,
    inputs: JSON.parse(r.inputs) as Record<string, unknown>,
    createdAt: r.created_at,
    hash: r.hash,
  };
}

const idArg = z.string().min(1).max(64);
const noteArg = z.string().max(4000).optional();

export function autoApi(api: ApiContext) {
  const { ctx, db } = api;

  /** The decision `id`, read through `trx` when inside a write (a second connection would wait on it). */
  async function decisionRow(trx: Kysely<AnalyticsDatabase>, id: string): Promise<AutoResolutionRow> {
    const row = await trx
      .selectFrom('auto_resolutions')
      .selectAll()
      .where('id', '=', id)
      .where('kind', '=', 'decision')
      .executeTakeFirst();
    if (!row)
      throw new StorageError(StorageErrorCode.NOT_FOUND, `auto-resolution decision '${id}' not found`, {
        details: { id },
      });
    return row;
  }

  /** A review or an outcome of decision `decisionId`: a new row that names it, and its audit row. */
  async function followUp(
    kind: 'review' | 'outcome',
    decisionId: string,
    decision: string,
    note: string | undefined,
    auditAction: string,
    detail: Record<string, unknown>,
  ): Promise<AutoLogEntry> {
    const id = validateInput(idArg, decisionId, 'decision');
    const n = validateInput(noteArg, note, 'note');
    return ctx.write('analytics.auto.review', async (scope) => {
      const d = await decisionRow(scope.trx, id);
      const row = await appendAutoRow(scope, {
        kind,
        decision_id: id,
        incident_id: d.incident_id,
        component: d.component,
        proposal_kind: d.proposal_kind,
        proposal_id: d.proposal_id,
        confidence: null,
        threshold: null,
        decision,
        decided_by: scope.actor.id,
        applied_solution: null,
        inputs: JSON.stringify({ note: n ?? null }),
      });
      scope.audit({ action: auditAction, entity: 'incident', entityId: d.incident_id, detail });
      return toEntry(row);
    });
  }

  return {
    /**
     * Proposes a KB entry for an open incident with the recommender and records the decision with its inputs. The
     * fix is applied (the incident resolved with that entry) only when `options.autoResolution.enabled` is set and
     * the confidence reaches the threshold; otherwise the decision is `held` for a person. The decision row is
     * written before the incident is touched; a failed update is recorded as a `failed` outcome.
     */
    async decide(incidentId: string): Promise<AutoDecision> {
      const id = validateInput(idArg, incidentId, 'incident');
      ctx.authorize('analytics.auto.decide');
      const incidents = incidentsOf(api.storage());
      const incident = await incidents.getIncident(id);
      if (incident.resolvedAt !== null || incident.status !== 'open') {
        throw new StorageError(
          StorageErrorCode.CONFLICT,
          `incident '${incident.ticketId}' is ${incident.status}: only an open incident is decided`,
          {
            details: { id, status: incident.status },
          },
        );
      }
      const candidates = await recommend(api.storage(), {
        title: incident.title,
        description: incident.description,
        errorCodes: incident.errorCodes,
      });
      const top = candidates[0] ?? null;
      const { enabled, threshold } = api.options.autoResolution;
      const confidence = top?.probability ?? 0;
      let decision: 'applied' | 'held';
      let reason: string;
      if (!top) {
        decision = 'held';
        reason = 'no KB entry matches the incident';
      } else if (!enabled) {
        decision = 'held';
        reason = 'automatic resolution is switched off (options.autoResolution.enabled)';
      } else if (confidence < threshold) {
        decision = 'held';
        reason = `confidence ${confidence.toFixed(3)} is below the threshold ${threshold}`;
      } else {
        decision = 'applied';
        reason = `confidence ${confidence.toFixed(3)} reaches the threshold ${threshold}`;
      }
      const written = await ctx.write('analytics.auto.decide', async (scope) => {
        let predictionId: string | null = null;
        if (top) {
          const p = await insertPrediction(scope, recommendationPrediction(id, candidates, { auto: true }));
          predictionId = p.id;
        }
        const row = await appendAutoRow(scope, {
          kind: 'decision',
          decision_id: '',
          incident_id: id,
          component: incident.component,
          proposal_kind: top ? 'kb_entry' : null,
          proposal_id: top?.entryId ?? null,
          confidence: top ? confidence : null,
          threshold,
          decision,
          decided_by:
            decision === 'applied' ? `auto:${RECOMMENDER_MODEL}@${RECOMMENDER_VERSION}` : scope.actor.id,
          applied_solution: decision === 'applied' && top ? `KB entry ${top.entryId}: ${top.title}` : null,
          inputs: JSON.stringify({
            ticketId: incident.ticketId,
            errorCodes: incident.errorCodes,
            enabled,
            reason,
            candidates: candidates.map((c) => ({
              id: c.entryId,
              probability: c.probability,
              score: c.score,
            })),
            predictionId,
          }),
        });
        scope.audit({
          action: 'auto-decision',
          entity: 'incident',
          entityId: id,
          detail: { decision, confidence, autoRow: row.id },
        });
        return { row, predictionId };
      });
      const result: AutoDecision = {
        decision: toEntry(written.row),
        reason,
        predictionId: written.predictionId,
      };
      if (decision === 'applied' && top) {
        try {
          await incidents.updateIncident(id, {
            status: 'resolved',
            resolvedAt: new Date(api.now()).toISOString(),
            kbEntryId: top.entryId,
            resolution: `Resolved automatically with KB entry "${top.title}" (confidence ${confidence.toFixed(3)}).`,
          });
        } catch (error) {
          result.applyError = error instanceof Error ? error.message : String(error);
          await ctx.write('analytics.auto.decide', async (scope) => {
            await appendAutoRow(scope, {
              kind: 'outcome',
              decision_id: written.row.id,
              incident_id: id,
              component: incident.component,
              proposal_kind: 'kb_entry',
              proposal_id: top.entryId,
              confidence: null,
              threshold: null,
              decision: 'failed',
              decided_by: scope.actor.id,
              applied_solution: null,
              inputs: JSON.stringify({ error: result.applyError }),
            });
          });
        }
      }
      return result;
    },

    /** A person's review of a decision (accepting a held proposal, or rejecting an applied one), as a new row. */
    async review(decisionId: string, verdict: AutoReviewKind, note?: string): Promise<AutoLogEntry> {
      const v = validateInput(z.enum(['accepted', 'rejected']), verdict, 'verdict');
      return followUp('review', decisionId, v, note, 'auto-review', { verdict: v });
    },

    /** What an applied fix did, as a new row. */
    async recordAutoOutcome(
      decisionId: string,
      outcome: AutoOutcomeKind,
      note?: string,
    ): Promise<AutoLogEntry> {
      const o = validateInput(z.enum(['resolved', 'failed', 'reverted']), outcome, 'outcome');
      return followUp('outcome', decisionId, o, note, 'auto-outcome', { outcome: o });
    },

    /** The log, newest first: every row, or one incident's. */
    async autoLog(query: { incidentId?: string; limit?: number } = {}): Promise<AutoLogEntry[]> {
      const q = validateInput(
        z.strictObject({
          incidentId: z.string().max(64).optional(),
          limit: z.number().int().min(1).max(10_000).default(100),
        }),
        query,
        'query',
      );
      return ctx.read('analytics.read', async () => {
        let sel = db.selectFrom('auto_resolutions').selectAll().orderBy('seq', 'desc').limit(q.limit);
        if (q.incidentId) sel = sel.where('incident_id', '=', q.incidentId);
        return (await sel.execute()).map(toEntry);
      });
    },

    async verifyAutoLog(): Promise<AutoLogVerification> {
      return ctx.read('analytics.read', () => verifyAutoLog(db));
    },
  };
}

export type AutoApi = ReturnType<typeof autoApi>;
