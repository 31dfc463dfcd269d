import type { Kysely, Transaction } from 'kysely';
import { insertRows } from '../util/insert-rows.js';
import type { LoggedEvent, ReplayOptions } from './storage-events.js';

export interface PendingEvent {
  type: string;
  payload: unknown;
}

/** The durable event log: rows written in the change's own transaction, replayable for a time range. */
export class EventLog {
  constructor(private readonly db: Kysely<any>) {}

  async append(trx: Transaction<any>, events: readonly PendingEvent[], at: string): Promise<void> {
    await insertRows(
      trx,
      'kb_events',
      events.map((e) => ({ type: e.type, payload: JSON.stringify(e.payload), created_at: at })),
      2_000,
    );
  }

  /** Streams logged events in commit order, in batches, so a long range never sits in memory at once. */
  async *replay(options: ReplayOptions = {}): AsyncIterable<LoggedEvent> {
    const batchSize = Math.min(Math.max(options.batchSize ?? 500, 1), 10_000);
    let after = options.afterSeq ?? 0;
    for (;;) {
      let query = this.db
        .selectFrom('kb_events')
        .select(['seq', 'type', 'payload', 'created_at'])
        .where('seq', '>', after)
        .orderBy('seq')
        .limit(batchSize);
      if (options.from !== undefined) query = query.where('created_at', '>=', options.from);
      if (options.to !== undefined) query = query.where('created_at', '<', options.to);
      if (options.types !== undefined && options.types.length > 0)
        query = query.where('type', 'in', options.types);
      const rows = await query.execute();
      for (const row of rows) {
        yield {
          seq: Number(row.seq),
          type: row.type,
          payload: JSON.parse(row.payload),
          createdAt: row.created_at,
        };
      }
      if (rows.length < batchSize) return;
      after = Number(rows[rows.length - 1]!.seq);
    }
  }
}
