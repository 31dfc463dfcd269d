import { type Storage, StorageError, StorageErrorCode, type TableHash } from '@mainframe-kb/storage-core';

export interface ValidationOptions {
  /**
   * The tables as they were before the migration: after it, each must still be there with at least as many
   * rows (a migration may add rows, as a data transform does, but must not lose any).
   */
  readonly before?: Readonly<Record<string, TableHash>>;
}

/**
 * The store's integrity checks: every health probe (the database's own integrity and foreign-key checks and
 * the search index's, the migration ledger, the audit chain, and each extension's probes) must not be
 * unhealthy; after a migration nothing may be pending and no table may have lost rows. Returns what was
 * checked; throws an INTEGRITY error (exit 5) naming every failure.
 */
export async function validateStore(storage: Storage, options: ValidationOptions = {}): Promise<string> {
  const problems: string[] = [];
  const health = await storage.healthCheck();
  for (const probe of health.probes) {
    if (probe.status === 'unhealthy') problems.push(`${probe.name}: ${probe.detail ?? 'unhealthy'}`);
  }
  const degraded = health.probes.filter((p) => p.status === 'degraded').map((p) => p.name);
  let counted = 0;
  if (options.before) {
    const status = await storage.migrationStatus();
    if (status.pendingCount > 0) problems.push(`${status.pendingCount} migrations are still pending`);
    const after = await storage.rowCounts();
    for (const [table, was] of Object.entries(options.before)) {
      counted += 1;
      const now = after[table];
      if (now === undefined) problems.push(`table ${table} is gone`);
      else if (now < was.rows) problems.push(`table ${table} lost rows (${was.rows} before, ${now} now)`);
    }
  }
  if (problems.length > 0) {
    throw new StorageError(
      StorageErrorCode.INTEGRITY,
      `the store fails its integrity checks: ${problems.join('; ')}`,
      {
        details: { problems },
      },
    );
  }
  const probes = `${health.probes.length} health probes passed (${health.probes.map((p) => p.name).join(', ')})`;
  const notes = [
    ...(degraded.length > 0 ? [`degraded: ${degraded.join(', ')}`] : []),
    ...(options.before ? [`no table lost rows (${counted} compared)`] : []),
  ];
  return [probes, ...notes].join('; ');
}
