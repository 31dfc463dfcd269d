import type { KBEntry, KBRelation, RelationType, UsageAction, UsageCounters } from '../kb/kb-types.js';

/**
 * Every event the store emits, by name. Plugins add theirs by module augmentation:
 * `declare module '@mainframe-kb/storage-core' { interface StorageEvents { 'pattern:critical': {...} } }`.
 */
export interface StorageEvents {
  'entry:created': { entry: KBEntry };
  'entry:updated': { entry: KBEntry; previous: KBEntry; changed: string[] };
  'entry:deleted': { id: string; entry: KBEntry };
  'entry:feedback': {
    id: string;
    outcome: 'success' | 'failure';
    rating: number | null;
    counters: UsageCounters;
  };
  'entry:used': { id: string; action: UsageAction; counters: UsageCounters };
  'relation:added': KBRelation;
  'relation:removed': { fromId: string; toId: string; type: RelationType };
  'search:performed': {
    query: string;
    total: number;
    tookMs: number;
    topResultId: string | null;
    cached: boolean;
  };
  'migration:applied': { namespace: string; id: string; durationMs: number };
  'migration:failed': { namespace: string; id: string; message: string };
  'storage:closed': Record<string, never>;
  'storage:error': { operation: string; code: string; message: string };
}

export type StorageEventName = keyof StorageEvents;

/** The tuple form Node's typed EventEmitter wants. */
export type StorageEventMap = { [K in keyof StorageEvents]: [StorageEvents[K]] };

export interface LoggedEvent {
  seq: number;
  type: string;
  /**
   * The change as logged: `entry:created` keeps the entry without its problem/solution text (the row holds
   * it), `entry:updated` keeps `{ id, version, changed, before, after }` with the changed fields only, and
   * every other event (a deletion keeps the whole entry) its emitted payload.
   */
  payload: unknown;
  createdAt: string;
}

export interface ReplayOptions {
  /** ISO timestamp, inclusive. */
  from?: string | undefined;
  /** ISO timestamp, exclusive. */
  to?: string | undefined;
  types?: readonly string[] | undefined;
  /** Resume after this sequence number. */
  afterSeq?: number | undefined;
  batchSize?: number | undefined;
}
