import { AsyncLocalStorage } from 'node:async_hooks';
import type { Transaction } from 'kysely';
import type { AccessControl } from './audit/access-rules.js';
import type { Actor, AuditRecord, AuditTrail } from './audit/audit-trail.js';
import type { DialectAdapter } from './dialect/dialect-adapter.js';
import { translateDatabaseError } from './errors/translate-error.js';
import type { EventLog, PendingEvent } from './events/event-log.js';
import type { StorageEvents } from './events/storage-events.js';
import type { MetricsRegistry } from './metrics/metrics-registry.js';

/**
 * The operation whose write transaction the current async context is inside. The store has one connection:
 * a store call made from inside a write would wait for that write to finish, forever.
 */
const writeContext = new AsyncLocalStorage<string>();

/** Name of the write the caller is inside, if any. */
export function currentWrite(): string | undefined {
  return writeContext.getStore();
}

/** What a write sees: its transaction, its timestamp, and where to put its audit rows and events. */
export interface WriteScope<Db = any> {
  /** The write's transaction, typed with the caller's database interface (a plugin's own tables). */
  readonly trx: Transaction<Db>;
  /** One timestamp for the whole change. */
  readonly now: string;
  readonly actor: Actor;
  audit(record: AuditRecord): void;
  /**
   * Emits `payload` after commit and logs the change durably in this transaction. `logged`, when given, is
   * what the durable log keeps instead: a change record without text the table already holds.
   */
  event<K extends keyof StorageEvents>(type: K, payload: StorageEvents[K], logged?: unknown): void;
}

export interface WriteExecutorDeps {
  dialect: DialectAdapter;
  access: AccessControl;
  audit: AuditTrail;
  events: EventLog;
  metrics: MetricsRegistry;
  durableEvents: boolean;
  emit: (type: string, payload: unknown) => void;
  onCommit: () => void;
}

/**
 * Every mutation passes here: role check, one write transaction holding the change, its audit rows and its
 * durable events; then, only after commit, the in-process events. A throw anywhere rolls all of it back.
 */
export class WriteExecutor {
  /** Settles when the write transactions begun before the newest one have ended. */
  #tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: WriteExecutorDeps) {}

  /**
   * Runs `work` after this store's earlier writes, one at a time. Every write locks the audit chain's head
   * until it commits, so on a server concurrent writes of one process would only queue inside the database,
   * each holding a pooled connection meanwhile: a burst of writes then takes every connection and searches
   * wait behind them. Queued here, waiting writes hold nothing. (Another process's writes still queue in the
   * database, as they must.)
   */
  #inTurn<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.#tail.then(work, work);
    this.#tail = turn.catch(() => undefined);
    return turn;
  }

  async run<T>(operation: string, actor: Actor, fn: (scope: WriteScope) => Promise<T>): Promise<T> {
    const start = performance.now();
    let failed = true;
    try {
      this.deps.access.check(actor, operation);
      const audits: AuditRecord[] = [];
      const events: PendingEvent[] = [];
      const logged: PendingEvent[] = [];
      // A write started from inside another (which could only deadlock on the chain's head anyway) is not
      // queued behind the write it is part of.
      const turn =
        writeContext.getStore() === undefined ? this.#inTurn.bind(this) : <R>(w: () => Promise<R>) => w();
      const result = await turn(() =>
        this.deps.dialect.writeTransaction(async (trx) => {
          // Reset on retry-free re-entry: the arrays belong to this one transaction.
          audits.length = 0;
          events.length = 0;
          logged.length = 0;
          const now = new Date().toISOString();
          const value = await writeContext.run(operation, () =>
            fn({
              trx,
              now,
              actor,
              audit: (record) => audits.push(record),
              event: (type, payload, log) => {
                events.push({ type, payload });
                logged.push({ type, payload: log === undefined ? payload : log });
              },
            }),
          );
          await this.deps.audit.append(trx, actor, audits, now);
          if (this.deps.durableEvents) {
            // Everything a write scope emits is a change, so all of it is logged durably.
            await this.deps.events.append(trx, logged, now);
          }
          return value;
        }),
      );
      failed = false;
      this.deps.onCommit();
      for (const e of events) this.deps.emit(e.type, e.payload);
      return result;
    } catch (error) {
      throw translateDatabaseError(error, operation);
    } finally {
      this.deps.metrics.record(operation, performance.now() - start, failed);
    }
  }
}
