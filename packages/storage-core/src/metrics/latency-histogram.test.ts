import { expect, it } from 'vitest';
import { LatencyHistogram } from './latency-histogram.js';

it('reports percentiles of the most recent samples and counts every one', () => {
  const h = new LatencyHistogram(100);
  for (let i = 1; i <= 100; i++) h.record(i);
  expect(h.summary()).toMatchObject({ count: 100, p50: 50, p95: 95, p99: 99, max: 100, errors: 0 });
  for (let i = 0; i < 100; i++) h.record(1_000, i % 10 === 0);
  const s = h.summary();
  expect(s).toMatchObject({ count: 200, p50: 1_000, errors: 10, max: 1_000 });
});
