import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  type AuditCheckpoint,
  type AuditRow,
  type AuditVerification,
  formatTable,
  StorageErrorCode,
} from '@mainframe-kb/storage-core';
import { CliError, ExitCode, UsageError } from '../cli-error.js';
import { type Command, type CommandContext, stringOption, wholeNumber } from '../command.js';

const USAGE = 'kb audit verify [--checkpoint <file>] | show [--limit n] [--since t] | checkpoint';

/** A checkpoint the operator kept: a file holding one as JSON, or checkpoint lines (the last one counts). */
function keptCheckpoint(ctx: CommandContext, name: string): AuditCheckpoint {
  const file = resolve(ctx.io.cwd, name);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(
      StorageErrorCode.NOT_FOUND,
      `cannot read the checkpoint ${file}: ${(error as Error).message}`,
      ExitCode.NOT_FOUND,
    );
  }
  const last = text.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as AuditCheckpoint;
  } catch {
    throw new UsageError(`${file} holds no checkpoint (JSON as kb audit checkpoint prints it)`, USAGE);
  }
}

function formatVerification(v: AuditVerification): string {
  const from = v.since === undefined ? '' : ` after the checkpoint of row ${v.since}`;
  if (v.ok) {
    const unkeyed = v.unkeyed ? ` (${v.unkeyed} of them hashed without a key)` : '';
    return `Audit chain verified: ${v.rows} rows${from}${unkeyed}.`;
  }
  const at = v.firstBadSeq === undefined ? '' : ` at row ${v.firstBadSeq}`;
  return `Audit chain NOT verified${at} (${v.problem}): ${v.message}`;
}

function formatRows(rows: readonly AuditRow[]): string {
  if (rows.length === 0) return 'No audit rows.';
  return formatTable(
    ['SEQ', 'AT', 'ACTOR', 'ROLE', 'ACTION', 'ENTITY', 'ID', 'KEY'],
    rows.map((r) => [
      String(r.seq),
      r.at,
      r.actor,
      r.role,
      r.action,
      r.entity,
      r.entityId ?? '',
      r.keyId ?? '(none)',
    ]),
  );
}

export const auditCommand: Command = {
  name: 'audit',
  summary: 'verify the audit chain (exit 5 when broken), show its rows, write a signed checkpoint',
  usage: USAGE,
  details: [
    'verify              every row against its key and its predecessor, and every checkpoint of the',
    '                    checkpoint file against its row; --checkpoint <file> also checks one kept elsewhere',
    'show                the last rows (--limit, default 50), or the first ones at or after --since <ISO time>',
    'checkpoint          verify from the last checkpoint, sign the head, append it to the checkpoint file',
    '                    and print it: keep a copy outside the store (docs/audit.md)',
  ],
  options: {
    checkpoint: { type: 'string' },
    limit: { type: 'string' },
    since: { type: 'string' },
  },
  positionals: { min: 1, max: 1 },
  async run(ctx) {
    const action = ctx.positionals[0];
    const only = (allowed: readonly string[]) => {
      for (const name of ['checkpoint', 'limit', 'since']) {
        if (ctx.values[name] !== undefined && !allowed.includes(name))
          throw new UsageError(`--${name} does not belong to kb audit ${action}`, USAGE);
      }
    };
    switch (action) {
      case 'verify': {
        only(['checkpoint']);
        const name = stringOption(ctx, 'checkpoint');
        const since = name === undefined ? undefined : keptCheckpoint(ctx, name);
        const storage = await ctx.openStorage();
        const verification = await storage.verifyAuditChain(since ? { since } : {});
        ctx.out.emit(verification, () => formatVerification(verification));
        return verification.ok ? ExitCode.OK : ExitCode.INTEGRITY;
      }
      case 'show': {
        only(['limit', 'since']);
        const limit = wholeNumber(ctx, 'limit', { min: 1, max: 100_000 }, USAGE);
        const since = stringOption(ctx, 'since');
        const storage = await ctx.openStorage();
        const rows = await storage.auditRows({
          ...(limit === undefined ? {} : { limit }),
          ...(since === undefined ? {} : { since }),
        });
        ctx.out.emit({ ok: true, rows }, () => formatRows(rows));
        return ExitCode.OK;
      }
      case 'checkpoint': {
        only([]);
        const storage = await ctx.openStorage();
        const { checkpoint, file } = await storage.auditCheckpoint();
        ctx.out.emit({ ok: true, checkpoint, file }, () =>
          [
            `Checkpoint of row ${checkpoint.seq} signed with key ${checkpoint.keyId}${file ? `, appended to ${file}` : ' (no checkpoint file configured: keep this line)'}:`,
            JSON.stringify(checkpoint),
          ].join('\n'),
        );
        return ExitCode.OK;
      }
      default:
        throw new UsageError(`unknown audit action '${String(action)}'`, USAGE);
    }
  },
};
