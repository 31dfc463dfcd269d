import { createReadStream, promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import {
  CommandExit,
  formatTable,
  type PluginCommand,
  type PluginCommandContext,
} from '@mainframe-kb/storage-core';
import type { analyticsPlugin } from '../analytics-plugin.js';
import type { AnalyticsApi } from '../api/analytics-api.js';
import type { ModelInfo } from '../model-store/model-store.js';
import type { ModelStage } from '../schema/analytics-database.js';
import type { Dimension } from '../series/counters.js';
import type { MetricPoint } from '../series/metrics.js';
import type { Interval } from '../series/periods.js';

const USAGE =
  'kb analytics series [--from D] [--to D] [--interval hour|day|week] [--metric M]… [--by DIM] [--no-snapshots] | snapshot [--from D] [--to D] | predict recommend <incident> [--limit N] [--no-record] | predict forecast [--component C] [--days N] [--history N] [--no-record] | predict score | predict outcome <id> <outcome> | predict list [--model T] [--pending|--scored] | accuracy [--model T] [--model-version V] [--score] | models list|show <ref>|add <file> --type T --model-version V [--stage S] [--sha256 H]|get <ref> --out F|verify <ref>|stage <ref> <stage>|delete <ref> | datasets list|show <ref>|from-incidents --name N [--from D] [--to D] | auto decide <incident>|log [--incident ID]|verify|review <decision> accepted|rejected|outcome <decision> resolved|failed|reverted';

const DAY_MS = 86_400_000;

function str(ctx: PluginCommandContext, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === 'string' ? v : undefined;
}

function int(ctx: PluginCommandContext, name: string): number | undefined {
  const raw = str(ctx, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw ctx.usageError(`--${name} takes a whole number, not '${raw}'`);
  return Number(raw);
}

function arg(ctx: PluginCommandContext, index: number, what: string): string {
  const v = ctx.positionals[index];
  if (v === undefined)
    throw ctx.usageError(`kb analytics ${ctx.positionals.slice(0, index).join(' ')} needs ${what}`);
  return v;
}

async function apiOf(ctx: PluginCommandContext): Promise<AnalyticsApi> {
  return (await ctx.storage()).plugin<typeof analyticsPlugin>('analytics');
}

const fmt = (v: number | null | undefined, digits = 3) =>
  v === null || v === undefined ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(digits);
const pct = (v: number | null | undefined) =>
  v === null || v === undefined ? '-' : `${(v * 100).toFixed(1)}%`;

function modelsText(models: readonly ModelInfo[]): string {
  if (models.length === 0) return 'No models.';
  return formatTable(
    ['TYPE', 'VERSION', 'STAGE', 'SIZE', 'SHA256', 'CREATED', 'ID'],
    models.map((m) => [
      m.modelType,
      m.version,
      m.stage,
      m.sizeBytes.toLocaleString('en-US'),
      m.checksum.slice(0, 16),
      m.createdAt.slice(0, 19),
      m.id,
    ]),
  );
}

function pointText(p: MetricPoint, unit: string): string {
  if (p.denominator === undefined) return fmt(p.value);
  const value = unit === 'ratio' ? pct(p.value) : fmt(p.value, 2);
  return `${value} (${fmt(p.numerator, 1)}/${p.denominator})`;
}

const SUB: Readonly<
  Record<string, Readonly<Record<string, (ctx: PluginCommandContext) => Promise<number>>>>
> = {
  predict: {
    async recommend(ctx) {
      const api = await apiOf(ctx);
      const r = await api.recommend(arg(ctx, 2, 'an incident id'), {
        limit: int(ctx, 'limit'),
        record: ctx.values['no-record'] === true ? false : undefined,
      });
      ctx.out.emit(r, () =>
        r.candidates.length === 0
          ? 'No KB entry matches the incident.'
          : `${formatTable(
              ['RANK', 'PROBABILITY', 'ENTRY', 'CATEGORY', 'TITLE'],
              r.candidates.map((c, i) => [String(i + 1), fmt(c.probability), c.entryId, c.category, c.title]),
            )}${r.predictionId ? `\nRecorded as prediction ${r.predictionId}.` : ''}`,
      );
      return CommandExit.OK;
    },
    async forecast(ctx) {
      const api = await apiOf(ctx);
      const r = await api.forecast({
        component: str(ctx, 'component'),
        days: int(ctx, 'days'),
        history: int(ctx, 'history'),
        record: ctx.values['no-record'] !== true,
      });
      ctx.out.emit(r, () =>
        [
          `Incidents opened per day${r.component ? ` in ${r.component}` : ''}: ${r.model} fitted on ${r.history.length} days from ${r.historyFrom}.`,
          formatTable(
            ['DAY', 'FORECAST', 'NAIVE', 'P(>=1)'],
            r.days.map((d) => [d.day, fmt(d.value, 2), fmt(d.naive, 2), fmt(d.probability)]),
          ),
        ].join('\n'),
      );
      return CommandExit.OK;
    },
    async score(ctx) {
      const r = await (await apiOf(ctx)).scorePending();
      ctx.out.emit(
        r,
        () => `Scored ${r.recommendations} recommendation(s) and ${r.forecasts} forecast day(s).`,
      );
      return CommandExit.OK;
    },
    async outcome(ctx) {
      const raw = arg(ctx, 3, 'the outcome');
      const outcome = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
      const p = await (await apiOf(ctx)).recordOutcome(arg(ctx, 2, 'a prediction id'), { outcome });
      ctx.out.emit(
        p,
        () => `Prediction ${p.id}: outcome ${p.actualOutcome}, accuracy ${fmt(p.accuracyScore)}.`,
      );
      return CommandExit.OK;
    },
    async list(ctx) {
      const state =
        ctx.values.pending === true ? 'pending' : ctx.values.scored === true ? 'scored' : undefined;
      const list = await (await apiOf(ctx)).listPredictions({
        modelType: str(ctx, 'model'),
        state,
        limit: int(ctx, 'limit'),
      });
      ctx.out.emit(list, () =>
        list.length === 0
          ? 'No predictions.'
          : formatTable(
              ['PREDICTED', 'TYPE', 'TARGET', 'P', 'VALUE', 'OUTCOME', 'SCORE', 'MODEL', 'ID'],
              list.map((p) => [
                p.predictedAt.slice(0, 19),
                p.type,
                `${p.targetEntity}:${p.targetId}`,
                fmt(p.probability),
                fmt(p.predictedValue, 2),
                p.actualOutcome ?? 'pending',
                fmt(p.accuracyScore),
                `${p.modelType}@${p.modelVersion}`,
                p.id,
              ]),
            ),
      );
      return CommandExit.OK;
    },
  },
  models: {
    async list(ctx) {
      const list = await (await apiOf(ctx)).listModels({
        modelType: str(ctx, 'type'),
        stage: str(ctx, 'stage') as ModelStage | undefined,
      });
      ctx.out.emit(list, () => modelsText(list));
      return CommandExit.OK;
    },
    async show(ctx) {
      const m = await (await apiOf(ctx)).getModel(arg(ctx, 2, 'a model (id or type@version)'));
      ctx.out.emit(m, () => JSON.stringify(m, null, 2));
      return CommandExit.OK;
    },
    async add(ctx) {
      const file = resolve(ctx.cwd, arg(ctx, 2, 'the model file'));
      await fs.access(file);
      const type = str(ctx, 'type');
      const version = str(ctx, 'model-version');
      if (!type || !version) throw ctx.usageError('kb analytics models add needs --type and --model-version');
      const m = await (await apiOf(ctx)).saveModel(
        {
          modelType: type,
          version,
          stage: (str(ctx, 'stage') ?? 'candidate') as ModelStage,
          checksum: str(ctx, 'sha256'),
          trainingMetadata: { file: file.split('/').pop() },
        },
        createReadStream(file, { highWaterMark: 1024 * 1024 }),
      );
      ctx.out.emit(
        m,
        () =>
          `Stored ${m.modelType}@${m.version} (${m.sizeBytes.toLocaleString('en-US')} bytes, sha256 ${m.checksum}) as ${m.stage}.`,
      );
      return CommandExit.OK;
    },
    async get(ctx) {
      const out = str(ctx, 'out');
      if (!out) throw ctx.usageError('kb analytics models get needs --out FILE');
      const target = resolve(ctx.cwd, out);
      const api = await apiOf(ctx);
      const model = await api.getModel(arg(ctx, 2, 'a model (id or type@version)'));
      const partial = `${target}.partial-${process.pid}`;
      const handle = await fs.open(partial, 'wx');
      try {
        for await (const chunk of await api.readModel(model.id)) await handle.write(chunk);
        await handle.sync();
      } catch (error) {
        await handle.close();
        await fs.rm(partial, { force: true });
        throw error;
      }
      await handle.close();
      await fs.rename(partial, target);
      ctx.out.emit(
        { ...model, file: target },
        () => `Wrote ${model.sizeBytes.toLocaleString('en-US')} bytes to ${target} (sha256 verified).`,
      );
      return CommandExit.OK;
    },
    async verify(ctx) {
      const v = await (await apiOf(ctx)).verifyModel(arg(ctx, 2, 'a model (id or type@version)'));
      ctx.out.emit(v, () =>
        v.ok
          ? `${v.modelType}@${v.version}: intact (sha256 ${v.checksum}).`
          : `${v.modelType}@${v.version}: ${v.problem}`,
      );
      return v.ok ? CommandExit.OK : CommandExit.INTEGRITY;
    },
    async stage(ctx) {
      const r = await (await apiOf(ctx)).setModelStage(
        arg(ctx, 2, 'a model'),
        arg(ctx, 3, 'a stage') as ModelStage,
      );
      ctx.out.emit(
        r,
        () =>
          `${r.model.modelType}@${r.model.version} is ${r.model.stage}${r.retired.length ? `; retired ${r.retired.length} previous production model(s)` : ''}.`,
      );
      return CommandExit.OK;
    },
    async delete(ctx) {
      const ref = arg(ctx, 2, 'a model');
      const deleted = await (await apiOf(ctx)).deleteModel(ref);
      ctx.out.emit({ deleted }, () => `Deleted model ${ref}.`);
      return CommandExit.OK;
    },
  },
  datasets: {
    async list(ctx) {
      const list = await (await apiOf(ctx)).listDatasets();
      ctx.out.emit(list, () =>
        list.length === 0
          ? 'No training datasets.'
          : formatTable(
              ['NAME', 'ENTITY', 'MEMBERS', 'CREATED', 'ID'],
              list.map((d) => [d.name, d.entity, String(d.memberCount), d.createdAt.slice(0, 19), d.id]),
            ),
      );
      return CommandExit.OK;
    },
    async show(ctx) {
      const d = await (await apiOf(ctx)).getDataset(arg(ctx, 2, 'a dataset'));
      ctx.out.emit(d, () => JSON.stringify(d, null, 2));
      return d.intact ? CommandExit.OK : CommandExit.INTEGRITY;
    },
    async 'from-incidents'(ctx) {
      const name = str(ctx, 'name');
      if (!name) throw ctx.usageError('kb analytics datasets from-incidents needs --name');
      const d = await (await apiOf(ctx)).datasetFromIncidents({
        name,
        from: str(ctx, 'from'),
        to: str(ctx, 'to'),
      });
      ctx.out.emit(d, () => `Dataset ${d.name}: ${d.memberCount} incidents labelled with their KB entry.`);
      return CommandExit.OK;
    },
  },
  auto: {
    async decide(ctx) {
      const r = await (await apiOf(ctx)).decide(arg(ctx, 2, 'an incident id'));
      ctx.out.emit(
        r,
        () =>
          `${r.decision.decision}: ${r.reason}${r.decision.proposalId ? ` (proposed KB entry ${r.decision.proposalId})` : ''}${r.applyError ? `; applying failed: ${r.applyError}` : ''}`,
      );
      return r.applyError ? CommandExit.FAILED : CommandExit.OK;
    },
    async log(ctx) {
      const rows = await (await apiOf(ctx)).autoLog({
        incidentId: str(ctx, 'incident'),
        limit: int(ctx, 'limit'),
      });
      ctx.out.emit(rows, () =>
        rows.length === 0
          ? 'No automatic-resolution decisions.'
          : formatTable(
              ['SEQ', 'AT', 'KIND', 'DECISION', 'INCIDENT', 'PROPOSAL', 'CONFIDENCE', 'BY'],
              rows.map((r) => [
                String(r.seq),
                r.createdAt.slice(0, 19),
                r.kind,
                r.decision,
                r.incidentId,
                r.proposalId ?? '-',
                fmt(r.confidence),
                r.decidedBy,
              ]),
            ),
      );
      return CommandExit.OK;
    },
    async verify(ctx) {
      const v = await (await apiOf(ctx)).verifyAutoLog();
      ctx.out.emit(v, () =>
        v.ok
          ? `Auto-resolution log intact: ${v.rows} rows.`
          : [
              `Auto-resolution log BROKEN (${v.problems.length} problem(s)):`,
              ...v.problems.map((p) => `  row ${p.seq ?? '-'}: ${p.problem}`),
            ].join('\n'),
      );
      return v.ok ? CommandExit.OK : CommandExit.INTEGRITY;
    },
    async review(ctx) {
      const r = await (await apiOf(ctx)).review(
        arg(ctx, 2, 'a decision id'),
        arg(ctx, 3, 'accepted or rejected') as 'accepted',
      );
      ctx.out.emit(r, () => `Recorded review ${r.decision} of decision ${r.decisionId}.`);
      return CommandExit.OK;
    },
    async outcome(ctx) {
      const r = await (await apiOf(ctx)).recordAutoOutcome(
        arg(ctx, 2, 'a decision id'),
        arg(ctx, 3, 'resolved, failed or reverted') as 'resolved',
      );
      ctx.out.emit(r, () => `Recorded outcome ${r.decision} of decision ${r.decisionId}.`);
      return CommandExit.OK;
    },
  },
};

const ACTIONS: Readonly<Record<string, (ctx: PluginCommandContext) => Promise<number>>> = {
  async series(ctx) {
    const to = str(ctx, 'to') ?? new Date().toISOString();
    const from = str(ctx, 'from') ?? new Date(Date.parse(to) - 30 * DAY_MS).toISOString();
    const metric = ctx.values.metric;
    const metrics = Array.isArray(metric)
      ? (metric as string[])
      : typeof metric === 'string'
        ? [metric]
        : undefined;
    const r = await (await apiOf(ctx)).series({
      from,
      to,
      interval: (str(ctx, 'interval') ?? 'day') as Interval,
      by: str(ctx, 'by') as Dimension | undefined,
      metrics,
      useSnapshots: ctx.values['no-snapshots'] !== true,
    });
    ctx.out.emit(r, () => {
      const lines = [
        `${r.interval} buckets from ${r.from} to ${r.to} (${r.periods.fromSnapshots} periods from snapshots, ${r.periods.computed} counted${r.periods.stale ? `, ${r.periods.stale} stale snapshots ignored` : ''})`,
      ];
      for (const m of r.metrics) {
        lines.push('', `${m.metric} — ${m.description}${m.unavailable ? ` [${m.unavailable}]` : ''}`);
        lines.push(`  whole range: ${pointText(m.total, m.unit)}`);
        lines.push(
          formatTable(
            ['BUCKET', 'VALUE'],
            m.points.map((p) => [p.bucket, pointText(p, m.unit)]),
          )
            .split('\n')
            .map((l) => `  ${l}`)
            .join('\n'),
        );
        for (const [key, points] of Object.entries(m.by ?? {})) {
          lines.push(`  ${r.by}=${key}: ${points.map((p) => pointText(p, m.unit)).join(' ')}`);
        }
      }
      return lines.join('\n');
    });
    return CommandExit.OK;
  },
  async snapshot(ctx) {
    const r = await (await apiOf(ctx)).snapshot({ from: str(ctx, 'from'), to: str(ctx, 'to') });
    ctx.out.emit(
      r,
      () =>
        `Snapshots from ${r.from} to ${r.to}: ${r.written} written (${r.replaced} stale replaced), ${r.kept} kept, in ${(r.tookMs / 1000).toFixed(2)} s.`,
    );
    return CommandExit.OK;
  },
  async accuracy(ctx) {
    const api = await apiOf(ctx);
    const scored = ctx.values.score === true ? await api.scorePending() : null;
    const reports = await api.accuracy({
      modelType: str(ctx, 'model'),
      modelVersion: str(ctx, 'model-version'),
    });
    ctx.out.emit({ scored, models: reports }, () =>
      reports.length === 0
        ? 'No predictions.'
        : formatTable(
            [
              'MODEL',
              'PREDICTIONS',
              'SCORED',
              'PENDING',
              'EXPIRED',
              'TOP-1',
              'TOP-3',
              'BRIER',
              'MAE',
              'NAIVE MAE',
              'MAE RATIO',
            ],
            reports.map((m) => [
              `${m.modelType}@${m.modelVersion}`,
              String(m.predictions),
              String(m.scored),
              String(m.pending),
              String(m.expired),
              pct(m.top1),
              pct(m.top3),
              fmt(m.brier),
              fmt(m.mae, 2),
              fmt(m.naiveMae, 2),
              fmt(m.maeRatio),
            ]),
          ),
    );
    return CommandExit.OK;
  },
};

export const analyticsCommand: PluginCommand = {
  name: 'analytics',
  summary: 'time series, snapshots, predictions and their accuracy, model files, the auto-resolution log',
  usage: USAGE,
  details: [
    'series      metrics over time from the store, by hour, day or week, optionally by component, category, error_code, severity, source or model',
    'snapshot    store the counts of closed periods so later series read one row per period',
    'predict     recommend KB entries for an incident, forecast incidents per day, score predictions whose outcome is known',
    'accuracy    per model version: top-1 / top-3, Brier score, MAE against the naive forecast',
    'models      model files stored in checksummed chunks, with stages candidate → production → retired',
    'datasets    training datasets with frozen membership',
    'auto        automatic-resolution decisions: decide, review, record outcomes, verify the hash chain',
  ],
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    interval: { type: 'string' },
    metric: { type: 'string', multiple: true },
    by: { type: 'string' },
    'no-snapshots': { type: 'boolean' },
    limit: { type: 'string' },
    'no-record': { type: 'boolean' },
    component: { type: 'string' },
    days: { type: 'string' },
    history: { type: 'string' },
    model: { type: 'string' },
    'model-version': { type: 'string' },
    pending: { type: 'boolean' },
    scored: { type: 'boolean' },
    score: { type: 'boolean' },
    type: { type: 'string' },
    stage: { type: 'string' },
    sha256: { type: 'string' },
    out: { type: 'string' },
    name: { type: 'string' },
    incident: { type: 'string' },
  },
  positionals: { min: 1, max: 4 },
  async run(ctx) {
    const action = ctx.positionals[0]!;
    const direct = ACTIONS[action];
    if (direct) return direct(ctx);
    const group = SUB[action];
    if (!group) throw ctx.usageError(`unknown action '${action}'`);
    const sub = ctx.positionals[1];
    const fn = sub === undefined ? undefined : group[sub];
    if (!fn) throw ctx.usageError(`kb analytics ${action} takes ${Object.keys(group).join(', ')}`);
    return fn(ctx);
  },
};
