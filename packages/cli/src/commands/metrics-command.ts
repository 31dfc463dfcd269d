import { formatTable, type StorageMetrics } from '@mainframe-kb/storage-core';
import type { Command } from '../command.js';

function formatMetrics(m: StorageMetrics): string {
  const ops = Object.entries(m.operations);
  const lines = [
    `dialect ${m.dialect} · ${m.database.entries} entries · database ${m.database.databaseBytes} bytes · WAL ${m.database.walBytes} bytes`,
    m.searches.count === 0
      ? 'searches recorded in the store: none yet'
      : `searches recorded in the store: ${m.searches.count} from ${m.searches.from} to ${m.searches.to}, p50 ${m.searches.p50.toFixed(1)} ms, p95 ${m.searches.p95.toFixed(1)} ms, p99 ${m.searches.p99.toFixed(1)} ms`,
    `cache (this process) ${m.cache.hits} hits, ${m.cache.misses} misses (${(m.cache.hitRate * 100).toFixed(0)}%), ${m.cache.size} cached`,
  ];
  if (ops.length === 0) {
    // Latency histograms live in the process that serves the store; each kb run starts a fresh one.
    lines.push(
      '',
      'No operation latencies in this process yet: they cover this kb process only (a long-running host',
      'collects more); the search latencies above are the store’s own, across processes.',
    );
  } else {
    lines.push(
      '',
      formatTable(
        ['OPERATION', 'SUMMARY'],
        ops.map(([name, summary]) => [name, JSON.stringify(summary)]),
      ),
    );
  }
  const counters = Object.entries(m.counters);
  if (counters.length > 0)
    lines.push(
      '',
      formatTable(
        ['COUNTER', 'VALUE'],
        counters.map(([k, v]) => [k, String(v)]),
      ),
    );
  return lines.join('\n');
}

export const metricsCommand: Command = {
  name: 'metrics',
  summary: 'search latency recorded in the store; this process’s operations and cache; database size',
  usage: 'kb metrics',
  options: {},
  positionals: { min: 0, max: 0 },
  async run(ctx) {
    const storage = await ctx.openStorage();
    const metrics = await storage.getMetrics();
    ctx.out.emit(metrics, () => formatMetrics(metrics));
    return 0;
  },
};
