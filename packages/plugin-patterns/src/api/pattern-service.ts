import { randomUUID } from 'node:crypto';
import { NotFoundError, ValidationError } from '@mainframe-kb/storage-core';
import { z } from 'zod';
import { patternCriteriaSchema, patternDataSchema, patternUpdateSchema, validate } from '../input-schemas.js';
import {
  insertMembers,
  listPatterns,
  patternDetail,
  requirePatternRow,
  updatePatternRow,
  upsertLink,
} from '../store/pattern-repository.js';
import { rowToPattern, rowToSuggestion } from '../store/row-mapping.js';
import { inChunks } from '../store/sql-helpers.js';
import type { ApiContext } from './api-context.js';
import type { PatternsApi } from './patterns-api.js';

const idArg = z.string().min(1).max(64);
const suggestionStatusSchema = z.enum(['open', 'accepted', 'dismissed']);

type PatternMethods = Omit<
  PatternsApi,
  | 'createIncident'
  | 'createIncidents'
  | 'getIncident'
  | 'findIncident'
  | 'updateIncident'
  | 'deleteIncident'
  | 'listIncidents'
  | 'countIncidents'
  | 'importIncidents'
>;

/** Patterns (the seed's createPattern / getPatterns / updatePattern and more), detection, KB links. */
export function patternService({
  ctx,
  options,
  db,
  requireKbEntry,
  emitCritical,
  runDetection,
}: ApiContext): PatternMethods {
  return {
    async createPattern(data) {
      const valid = validate(patternDataSchema, data, 'pattern');
      return ctx.write('patterns.write', async (scope) => {
        const { trx } = scope;
        const ids = [...new Set(valid.incidents.map((m) => m.incidentId))];
        const found = await inChunks(ids, 500, (chunk) =>
          trx.selectFrom('incidents').select(['id', 'created_at']).where('id', 'in', chunk).execute(),
        );
        if (found.length !== ids.length) {
          const known = new Set(found.map((f) => f.id));
          throw new NotFoundError('incident', ids.find((i) => !known.has(i))!);
        }
        const times = found.map((f) => f.created_at).sort();
        const firstSeen = valid.firstSeen ?? times[0] ?? scope.now;
        const lastSeen = valid.lastSeen ?? times[times.length - 1] ?? firstSeen;
        if (lastSeen < firstSeen) {
          throw new ValidationError('invalid pattern: lastSeen is before firstSeen', [
            { path: 'pattern.lastSeen', message: `${lastSeen} is before firstSeen ${firstSeen}` },
          ]);
        }
        const id = `pat_${randomUUID()}`;
        const members = [...new Map(valid.incidents.map((m) => [m.incidentId, m])).values()];
        const row = {
          id,
          pattern_type: valid.type,
          origin: 'manual',
          status: 'active',
          description: valid.description,
          confidence: valid.confidence,
          frequency: valid.frequency ?? members.length,
          severity: valid.severity,
          component: valid.component,
          error_code: valid.errorCode,
          first_seen: firstSeen,
          last_seen: lastSeen,
          metadata: JSON.stringify(valid.metadata),
          created_at: scope.now,
          updated_at: scope.now,
        };
        await trx.insertInto('incident_patterns').values(row).execute();
        await insertMembers(trx, id, members);
        const pattern = rowToPattern(row);
        scope.audit({ action: 'create', entity: 'incident_pattern', entityId: id });
        scope.event('pattern:created', { pattern });
        if (pattern.frequency >= options.criticalThreshold) await emitCritical(scope, [pattern]);
        return id;
      });
    },

    async getPattern(id) {
      const validId = validate(idArg, id, 'id');
      return ctx.read('patterns.read', async () => patternDetail(db, await requirePatternRow(db, validId)));
    },

    async getPatterns(criteria = {}) {
      const valid = validate(patternCriteriaSchema, criteria, 'criteria');
      return ctx.read('patterns.read', () => listPatterns(db, valid));
    },

    async updatePattern(id, updates) {
      const validId = validate(idArg, id, 'id');
      const valid = validate(patternUpdateSchema, updates, 'updates');
      return ctx.write('patterns.write', async (scope) => {
        const { trx } = scope;
        const changed = await updatePatternRow(trx, validId, valid, scope.now);
        if (!changed) return false;
        const pattern = rowToPattern(await requirePatternRow(trx, validId));
        scope.audit({
          action: 'update',
          entity: 'incident_pattern',
          entityId: validId,
          detail: { changed: Object.keys(valid) },
        });
        scope.event('pattern:updated', { pattern, changed: Object.keys(valid).filter((k) => k in updates) });
        return true;
      });
    },

    async deletePattern(id) {
      const validId = validate(idArg, id, 'id');
      return ctx.write('patterns.write', async (scope) => {
        const result = await scope.trx
          .deleteFrom('incident_patterns')
          .where('id', '=', validId)
          .executeTakeFirst();
        const deleted = Number(result.numDeletedRows) > 0;
        if (deleted) scope.audit({ action: 'delete', entity: 'incident_pattern', entityId: validId });
        return deleted;
      });
    },

    async detectPatterns() {
      return ctx.write('patterns.detect', (scope) => runDetection(scope));
    },

    async linkKbEntry(patternId, kbEntryId, score = 1) {
      const p = validate(idArg, patternId, 'patternId');
      const k = validate(idArg, kbEntryId, 'kbEntryId');
      const s = validate(z.number().min(0).max(1), score, 'score');
      await ctx.write('patterns.link', async (scope) => {
        const { trx } = scope;
        await requirePatternRow(trx, p);
        await requireKbEntry(trx, k);
        await upsertLink(trx, {
          patternId: p,
          kbEntryId: k,
          linkType: 'manual',
          score: s,
          createdAt: scope.now,
        });
        scope.audit({ action: 'link', entity: 'incident_pattern', entityId: p, detail: { kbEntryId: k } });
        scope.event('pattern:linked', { patternId: p, kbEntryId: k });
      });
    },

    async unlinkKbEntry(patternId, kbEntryId) {
      const p = validate(idArg, patternId, 'patternId');
      const k = validate(idArg, kbEntryId, 'kbEntryId');
      return ctx.write('patterns.link', async (scope) => {
        const result = await scope.trx
          .deleteFrom('kb_pattern_links')
          .where('pattern_id', '=', p)
          .where('kb_entry_id', '=', k)
          .executeTakeFirst();
        const removed = Number(result.numDeletedRows) > 0;
        if (removed) {
          scope.audit({
            action: 'unlink',
            entity: 'incident_pattern',
            entityId: p,
            detail: { kbEntryId: k },
          });
          scope.event('pattern:unlinked', { patternId: p, kbEntryId: k });
        }
        return removed;
      });
    },

    async patternsForKbEntry(kbEntryId) {
      const k = validate(idArg, kbEntryId, 'kbEntryId');
      return ctx.read('patterns.read', async () => {
        const rows = await db
          .selectFrom('incident_patterns')
          .innerJoin('kb_pattern_links', 'kb_pattern_links.pattern_id', 'incident_patterns.id')
          .selectAll('incident_patterns')
          .where('kb_pattern_links.kb_entry_id', '=', k)
          .orderBy('kb_pattern_links.score', 'desc')
          .orderBy('incident_patterns.id')
          .execute();
        return rows.map(rowToPattern);
      });
    },

    async listSuggestions(status) {
      const s = status === undefined ? undefined : validate(suggestionStatusSchema, status, 'status');
      return ctx.read('patterns.read', async () => {
        let q = db.selectFrom('kb_entry_suggestions').selectAll();
        if (s) q = q.where('status', '=', s);
        return (await q.orderBy('created_at').orderBy('pattern_id').execute()).map(rowToSuggestion);
      });
    },

    async setSuggestionStatus(patternId, status) {
      const p = validate(idArg, patternId, 'patternId');
      const s = validate(suggestionStatusSchema, status, 'status');
      return ctx.write('patterns.write', async (scope) => {
        const { trx } = scope;
        const result = await trx
          .updateTable('kb_entry_suggestions')
          .set({ status: s, updated_at: scope.now })
          .where('pattern_id', '=', p)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) throw new NotFoundError('KB entry suggestion', p);
        scope.audit({ action: 'update', entity: 'kb_entry_suggestion', entityId: p, detail: { status: s } });
        const row = await trx
          .selectFrom('kb_entry_suggestions')
          .selectAll()
          .where('pattern_id', '=', p)
          .executeTakeFirstOrThrow();
        return rowToSuggestion(row);
      });
    },
  };
}
