import type { StorageConfig } from '../config/storage-config.js';
import type { DialectAdapter } from '../dialect/dialect-adapter.js';
import type { MigrationRegistry } from '../migration/migration-registry.js';
import type { HealthProbe, HealthState, HealthStatus, ProbeResult } from './health-types.js';

const RANK: Record<HealthState, number> = { healthy: 0, degraded: 1, unhealthy: 2 };

/** Runs each probe on its own (one that throws counts as unhealthy); the status is the worst of them. */
export async function runProbes(probes: readonly HealthProbe[]): Promise<HealthStatus> {
  const results: ProbeResult[] = [];
  for (const probe of probes) {
    const start = performance.now();
    try {
      const outcome = await probe.run();
      results.push({ name: probe.name, ...outcome, durationMs: performance.now() - start });
    } catch (error) {
      results.push({
        name: probe.name,
        status: 'unhealthy',
        detail: error instanceof Error ? error.message : String(error),
        durationMs: performance.now() - start,
      });
    }
  }
  const status = results.reduce<HealthState>(
    (worst, r) => (RANK[r.status] > RANK[worst] ? r.status : worst),
    'healthy',
  );
  return { status, checkedAt: new Date().toISOString(), probes: results };
}

/** Core's probes: connectivity, the database file, integrity, migrations, the pool, WAL size and free disk. */
export function coreProbes(
  dialect: DialectAdapter,
  migrations: MigrationRegistry,
  maintenance: StorageConfig['performance']['maintenance'],
): HealthProbe[] {
  return [
    {
      name: 'connectivity',
      run: async () => ({ status: 'healthy', detail: await dialect.serverVersion() }),
    },
    ...(dialect.fileState
      ? [
          {
            name: 'database file',
            run: async () => {
              const file = dialect.fileState!();
              const data = { readOnly: file.readOnly };
              return file.problem
                ? { status: file.problem.severity, detail: file.problem.message, data }
                : { status: 'healthy' as const, detail: file.detail, data };
            },
          },
        ]
      : []),
    {
      name: 'integrity',
      run: async () => {
        const report = await dialect.integrityCheck('quick');
        return report.ok
          ? { status: 'healthy' }
          : {
              status: 'unhealthy',
              detail: report.problems.slice(0, 5).join('; '),
              data: { problems: report.problems },
            };
      },
    },
    {
      name: 'migrations',
      run: async () => {
        const status = await migrations.status();
        const dormant = status.dormant.map((d) => d.namespace);
        if (status.problems.length > 0) {
          return { status: 'unhealthy', detail: status.problems.map((p) => p.message).join('; ') };
        }
        if (status.pendingCount > 0) {
          return {
            status: 'degraded',
            detail: `${status.pendingCount} pending migrations`,
            data: { dormant },
          };
        }
        return { status: 'healthy', data: { dormant } };
      },
    },
    ...(dialect.poolStatistics
      ? [
          {
            name: 'connection pool',
            run: async () => {
              const pool = dialect.poolStatistics!();
              const data = { ...pool };
              // Callers queueing for a connection while every one is busy: the pool is too small for the load.
              return pool.waiting > 0 && pool.size >= pool.max
                ? {
                    status: 'degraded' as const,
                    detail: `${pool.waiting} callers waiting for one of ${pool.max} connections`,
                    data,
                  }
                : {
                    status: 'healthy' as const,
                    detail: `${pool.size - pool.idle} of ${pool.max} connections in use`,
                    data,
                  };
            },
          },
        ]
      : []),
    {
      name: 'wal',
      run: async () => {
        const { walBytes } = await dialect.size();
        return walBytes > maintenance.walWarnBytes
          ? {
              status: 'degraded',
              detail: `WAL is ${walBytes} bytes (a long-open reader may block checkpoints)`,
              data: { walBytes },
            }
          : { status: 'healthy', data: { walBytes } };
      },
    },
    {
      name: 'disk',
      run: async () => {
        const { freeBytes, databaseBytes } = await dialect.size();
        if (freeBytes === undefined)
          return { status: 'healthy', detail: 'free space not reported by this dialect' };
        // A full VACUUM or backup needs about the database's size again.
        if (freeBytes < 64 * 1024 * 1024)
          return { status: 'unhealthy', detail: `${freeBytes} bytes free`, data: { freeBytes } };
        if (freeBytes < databaseBytes * 2)
          return { status: 'degraded', detail: `${freeBytes} bytes free`, data: { freeBytes } };
        return { status: 'healthy', data: { freeBytes } };
      },
    },
  ];
}
