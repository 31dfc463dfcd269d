import type { TableContribution } from '../plugin/plugin-types.js';

/** Core's own tables, for backups and exports. */
export const CORE_TABLES: readonly TableContribution[] = [
  { name: 'kb_entries', entity: 'kb', primaryKey: ['id'] },
  { name: 'kb_tags', entity: 'kb', primaryKey: ['entry_id', 'tag'] },
  { name: 'kb_relations', entity: 'kb', primaryKey: ['from_id', 'to_id', 'relation_type'] },
  { name: 'kb_feedback', entity: 'kb', primaryKey: ['id'] },
  { name: 'usage_metrics', entity: 'kb', primaryKey: ['id'] },
  { name: 'search_history', entity: 'kb', primaryKey: ['id'] },
  { name: 'kb_events', entity: 'events', primaryKey: ['seq'] },
  { name: 'kb_audit', entity: 'audit', primaryKey: ['seq'] },
  // Derived: rebuilt from the last audit row after a load (importTables), so never copied or exported.
  { name: 'kb_audit_head', entity: 'audit', primaryKey: ['id'], derived: true },
  { name: 'kb_migrations', entity: 'schema', primaryKey: ['namespace', 'id'] },
];
