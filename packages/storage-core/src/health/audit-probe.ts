import type { AuditTrail } from '../audit/audit-trail.js';
import type { HealthProbe } from './health-types.js';

/**
 * The audit chain, verified from the last checkpoint (the whole chain when there is none): its cost is
 * bounded by the rows written since `kb audit checkpoint` last moved the start. A chain that fails, or that
 * holds rows this store cannot verify, is unhealthy; rows hashed without a key that no checkpoint seals
 * (written before keys existed, or by a store without a key) are degraded: anyone could have recomputed them.
 */
export function auditProbe(audit: AuditTrail): HealthProbe {
  return {
    name: 'audit',
    run: async () => {
      const result = await audit.verify({ incremental: true });
      const data = { ...result };
      if (!result.ok) return { status: 'unhealthy', detail: result.message, data };
      const scope =
        result.since === undefined
          ? 'from the first row (kb audit checkpoint bounds this)'
          : `since the checkpoint of row ${result.since}`;
      if (result.unkeyed) {
        const fix =
          audit.keyring.source.kind === 'none'
            ? 'this store has no audit key: set audit.keyFile or KB_AUDIT_KEY'
            : 'seal them with kb audit checkpoint once verified';
        return {
          status: 'degraded',
          detail: `${result.unkeyed} of ${result.rows} rows ${scope} are hashed without a key; ${fix}`,
          data,
        };
      }
      return { status: 'healthy', detail: `${result.rows} rows verified ${scope}`, data };
    },
  };
}
