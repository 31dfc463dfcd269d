export type HealthState = 'healthy' | 'degraded' | 'unhealthy';

export interface ProbeOutcome {
  status: HealthState;
  detail?: string;
  data?: Record<string, unknown>;
}

export interface ProbeResult extends ProbeOutcome {
  name: string;
  durationMs: number;
}

/** A named check; plugins contribute their own. A probe that throws counts as unhealthy. */
export interface HealthProbe {
  name: string;
  run(): Promise<ProbeOutcome>;
}

export interface HealthStatus {
  /** The worst state of any probe. */
  status: HealthState;
  checkedAt: string;
  probes: ProbeResult[];
}
