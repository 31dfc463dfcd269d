import {
  formatTable,
  type MigrationPlan,
  type MigrationRunResult,
  type MigrationStatus,
  type RepairOptions,
  type RepairResult,
  type Storage,
} from '@mainframe-kb/storage-core';
import { ExitCode, exitCodeOf, UsageError } from '../cli-error.js';
import { type Command, type CommandContext, flag, stringOption } from '../command.js';

const USAGE =
  'kb migrate status | plan [--to <ns>:<id>] [--down] | up [--to <ns>:<id>] | down --to <ns>:<id> | repair --accept-checksums|--forget-unknown|--clear-failed';

/** The repairs `kb migrate repair` can be asked for, by flag; it runs only those it is given. */
const REPAIRS = {
  'accept-checksums': 'acceptChecksums',
  'forget-unknown': 'forgetUnknown',
  'clear-failed': 'clearFailed',
} as const satisfies Record<string, keyof RepairOptions>;

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
  for (const ns of status.namespaces) {
    if (ns.held) {
      lines.push(
        `held: ${ns.namespace} was rolled back to ${ns.held.to} on ${ns.held.since}; it stays there until 'kb migrate up'`,
      );
    }
  }
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
  const held = direction === 'down' && !result.error;
  const table = formatTable(
    ['NAMESPACE', 'MIGRATION', 'RESULT', 'MS'],
    result.results.map((r) => [r.namespace, r.id, r.status, r.durationMs.toFixed(1)]),
  );
  const snapshot = result.snapshot
    ? `\nsnapshot ${result.snapshot.location}: ${result.snapshot.outcome}`
    : '';
  const note = held
    ? "\nThe reverted namespaces stay where they are (other commands do not migrate them) until 'kb migrate up'."
    : '';
  return `${table}${snapshot}${note}`;
}

function formatRepair(result: RepairResult): string {
  const lines = result.changes.map((c) => `${c.action} ${c.namespace}:${c.id}`);
  if (lines.length === 0) lines.push('Nothing repaired.');
  for (const p of result.remaining) lines.push(`still a problem: ${p.message}`);
  return lines.join('\n');
}

function repairOptions(ctx: CommandContext): RepairOptions {
  const options: { -readonly [K in keyof RepairOptions]: RepairOptions[K] } = {};
  for (const [name, key] of Object.entries(REPAIRS)) if (flag(ctx, name)) options[key] = true;
  if (Object.keys(options).length === 0) {
    throw new UsageError(
      'kb migrate repair needs --accept-checksums, --forget-unknown or --clear-failed',
      USAGE,
    );
  }
  return options;
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
  summary: 'schema migrations per namespace: status, plan (writes nothing), up, down, repair',
  usage: USAGE,
  details: [
    'status              applied and pending migrations per namespace',
    'plan [--to] [--down] the steps and SQL that up (or down) would run; writes nothing',
    'up [--to ns:id]     apply pending migrations (up to and including ns:id)',
    'down --to ns:id     roll back everything applied after ns:id (ns: rolls back the whole namespace)',
    'repair              bring the ledger in line after drift that status reports; only what it is told:',
    '  --accept-checksums  record the current SQL of applied migrations that were edited',
    '  --forget-unknown    drop ledger rows of migrations the code no longer declares',
    '  --clear-failed      make failed or interrupted migrations pending again (fix the schema first)',
  ],
  options: {
    to: { type: 'string' },
    down: { type: 'boolean' },
    'accept-checksums': { type: 'boolean' },
    'forget-unknown': { type: 'boolean' },
    'clear-failed': { type: 'boolean' },
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const action = ctx.positionals[0];
    if (action !== 'plan' && flag(ctx, 'down'))
      throw new UsageError('--down belongs to kb migrate plan', USAGE);
    const repairFlag = Object.keys(REPAIRS).find((name) => flag(ctx, name));
    if (action !== 'repair' && repairFlag !== undefined)
      throw new UsageError(`--${repairFlag} belongs to kb migrate repair`, USAGE);
    switch (action) {
      case 'status': {
        if (ctx.values.to !== undefined) throw new UsageError('kb migrate status takes no --to', USAGE);
        const status = await (await open(ctx)).migrationStatus();
        ctx.out.emit(status, () => formatStatus(status));
        // Drift is a verification failure; the status is still printed so the operator sees what is wrong.
        return status.problems.length > 0 ? ExitCode.INTEGRITY : ExitCode.OK;
      }
      case 'plan': {
        const direction = flag(ctx, 'down') ? 'down' : 'up';
        const to = target(ctx);
        if (direction === 'down' && to === undefined)
          throw new UsageError('plan --down needs --to <ns>:<id>', USAGE);
        const plan = await (await open(ctx)).planMigrations({ direction, to });
        ctx.out.emit(plan, () => formatPlan(plan));
        return ExitCode.OK;
      }
      case 'up': {
        const to = target(ctx);
        const result = await (await open(ctx)).migrateUp({ to });
        return reportRun(ctx, result, 'up');
      }
      case 'down': {
        const to = target(ctx);
        if (to === undefined) throw new UsageError('kb migrate down needs --to <ns>:<id>', USAGE);
        const result = await (await open(ctx)).migrateDown({ to });
        return reportRun(ctx, result, 'down');
      }
      case 'repair': {
        if (ctx.values.to !== undefined) throw new UsageError('kb migrate repair takes no --to', USAGE);
        const options = repairOptions(ctx);
        const result = await (await open(ctx)).repairMigrations(options);
        ctx.out.emit(result, () => formatRepair(result));
        // What is left is drift repair was not asked to fix, or cannot: still a verification failure.
        return result.remaining.length > 0 ? ExitCode.INTEGRITY : ExitCode.OK;
      }
      default:
        throw new UsageError(`unknown migrate action '${action}'`, USAGE);
    }
  },
};
