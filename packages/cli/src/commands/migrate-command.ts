import type { MigrationRegistry, Storage } from '@mainframe-kb/storage-core';
import { ExitCode, exitCodeOf, UsageError } from '../cli-error.js';
import { type Command, type CommandContext, flag, stringOption } from '../command.js';
import { formatTable } from '../output/table-format.js';

// storage-core exports the registry but not its result types; derive them from its methods.
type MigrationStatus = Awaited<ReturnType<MigrationRegistry['status']>>;
type MigrationPlan = Awaited<ReturnType<MigrationRegistry['plan']>>;
type MigrationRunResult = Awaited<ReturnType<MigrationRegistry['up']>>;

const USAGE =
  'kb migrate status | plan [--to <ns>:<id>] [--down] | up [--to <ns>:<id>] | down --to <ns>:<id>';

function formatStatus(status: MigrationStatus): string {
  const rows = status.namespaces.flatMap((ns) => [
    ...ns.applied.map((m) => [ns.namespace, m.id, 'applied', m.appliedAt]),
    ...ns.pending.map((m) => [ns.namespace, m.id, 'pending', m.description ?? '']),
  ]);
  for (const ns of status.dormant) {
    // Applied by an extension this process does not load; kept, not an error.
    rows.push(...ns.applied.map((m) => [ns.namespace, m.id, 'dormant', m.appliedAt]));
  }
  const lines = [formatTable(['NAMESPACE', 'MIGRATION', 'STATE', 'APPLIED AT / DESCRIPTION'], rows)];
  lines.push('', `${status.pendingCount} pending`);
  for (const p of status.problems) lines.push(`problem: ${p.message}`);
  return lines.join('\n');
}

function formatPlan(plan: MigrationPlan): string {
  if (plan.steps.length === 0) return `Nothing to migrate ${plan.direction}.`;
  const lines: string[] = [];
  for (const step of plan.steps) {
    const about = step.description ? ` — ${step.description}` : '';
    lines.push(
      `${step.direction} ${step.namespace}:${step.id}${about}${step.irreversible ? ' (irreversible)' : ''}`,
    );
    for (const statement of step.statements) lines.push(`    ${statement.sql.replace(/\s+/g, ' ')};`);
  }
  for (const p of plan.problems) lines.push(`problem: ${p.message}`);
  return lines.join('\n');
}

function formatRun(result: MigrationRunResult, direction: 'up' | 'down'): string {
  if (result.results.length === 0 && !result.error) return `Nothing to migrate ${direction}.`;
  const table = formatTable(
    ['NAMESPACE', 'MIGRATION', 'RESULT', 'MS'],
    result.results.map((r) => [r.namespace, r.id, r.status, r.durationMs.toFixed(1)]),
  );
  const snapshot = result.snapshot
    ? `\nsnapshot ${result.snapshot.location}: ${result.snapshot.outcome}`
    : '';
  return `${table}${snapshot}`;
}

/** A run never throws: its `error` decides the exit code, after its results have been printed. */
function reportRun(ctx: CommandContext, result: MigrationRunResult, direction: 'up' | 'down'): number {
  ctx.out.emit(result, () => formatRun(result, direction));
  if (!result.error) return ExitCode.OK;
  ctx.out.error(result.error);
  return exitCodeOf(result.error);
}

function target(ctx: CommandContext): string | undefined {
  const to = stringOption(ctx, 'to');
  if (to !== undefined && !/^[^:\s]+:[^\s]*$/.test(to)) {
    throw new UsageError(
      `--to takes <namespace>:<migration id>, e.g. core:0002_events_audit; got '${to}'`,
      USAGE,
    );
  }
  return to;
}

async function open(ctx: CommandContext): Promise<Storage> {
  // 'none': kb migrate must not migrate as a side effect of opening the store, nor refuse a pending one.
  return ctx.openStorage('none');
}

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'schema migrations per namespace: status, plan (writes nothing), up, down',
  usage: USAGE,
  details: [
    'status              applied and pending migrations per namespace',
    'plan [--to] [--down] the steps and SQL that up (or down) would run; writes nothing',
    'up [--to ns:id]     apply pending migrations (up to and including ns:id)',
    'down --to ns:id     roll back everything applied after ns:id (ns: rolls back the whole namespace)',
  ],
  options: { to: { type: 'string' }, down: { type: 'boolean' } },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const action = ctx.positionals[0];
    if (action !== 'plan' && flag(ctx, 'down'))
      throw new UsageError('--down belongs to kb migrate plan', USAGE);
    switch (action) {
      case 'status': {
        if (ctx.values.to !== undefined) throw new UsageError('kb migrate status takes no --to', USAGE);
        const status = await (await open(ctx)).migrations.status();
        ctx.out.emit(status, () => formatStatus(status));
        // Drift is a verification failure; the status is still printed so the operator sees what is wrong.
        return status.problems.length > 0 ? ExitCode.INTEGRITY : ExitCode.OK;
      }
      case 'plan': {
        const direction = flag(ctx, 'down') ? 'down' : 'up';
        const to = target(ctx);
        if (direction === 'down' && to === undefined)
          throw new UsageError('plan --down needs --to <ns>:<id>', USAGE);
        const plan = await (await open(ctx)).migrations.plan({ direction, to });
        ctx.out.emit(plan, () => formatPlan(plan));
        return ExitCode.OK;
      }
      case 'up': {
        const to = target(ctx);
        const result = await (await open(ctx)).migrations.up({ to });
        return reportRun(ctx, result, 'up');
      }
      case 'down': {
        const to = target(ctx);
        if (to === undefined) throw new UsageError('kb migrate down needs --to <ns>:<id>', USAGE);
        const result = await (await open(ctx)).migrations.down({ to });
        return reportRun(ctx, result, 'down');
      }
      default:
        throw new UsageError(`unknown migrate action '${action}'`, USAGE);
    }
  },
};
