import type { CliIo } from './cli-io.js';

/** Who the audit trail records for this run: `$KB_ACTOR`, else the operating-system user. */
export function actorId(io: CliIo): string {
  return io.env.KB_ACTOR ?? `cli:${io.env.USER ?? io.env.USERNAME ?? 'operator'}`;
}
