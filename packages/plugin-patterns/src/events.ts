import type { Incident, Pattern, PatternCriticalEvent } from './types.js';

declare module '@mainframe-kb/storage-core' {
  interface StorageEvents {
    'incident:created': { incident: Incident };
    'incident:updated': { incident: Incident; previous: Incident };
    'incident:deleted': { id: string };
    'incident:imported': { source: string; inserted: number; updated: number; ids: string[] };
    'pattern:created': { pattern: Pattern };
    'pattern:updated': { pattern: Pattern; changed: string[] };
    'pattern:detected': { patterns: number; created: number; updated: number; removed: number };
    /** A pattern reached the critical size (`criticalThreshold` incidents, 5 by default). */
    'pattern:critical': PatternCriticalEvent;
    'pattern:linked': { patternId: string; kbEntryId: string };
    'pattern:unlinked': { patternId: string; kbEntryId: string };
  }
}
