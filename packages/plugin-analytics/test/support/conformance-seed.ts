import { patternsPlugin } from '@mainframe-kb/plugin-patterns';
import type { Storage } from '@mainframe-kb/storage-core';
import { analyticsPlugin } from '../../src/index.js';

/**
 * Rows in every content table of the plugin: incidents in closed days snapshotted, a prediction with its outcome,
 * a training dataset, a model trained on it (two chunks at the default chunk size and a bit), and an automatic
 * decision in the hash-chained log.
 */
export async function seedAnalytics(storage: Storage): Promise<void> {
  const entry = await storage.createEntry({
    title: 'S0C7 data exception in a packed decimal field',
    problem: 'The field holds spaces.',
    solution: 'Guard it with IF NUMERIC.',
    category: 'COBOL',
  });
  const patterns = storage.plugin(patternsPlugin);
  await patterns.createIncidents([
    {
      ticketId: 'INC0001',
      title: 'S0C7 in PAYJ100',
      component: 'PAYROLL',
      createdAt: '2026-10-05T02:00:00Z',
      resolvedAt: '2026-10-05T04:30:00Z',
      status: 'resolved',
      kbEntryId: entry,
    },
    {
      ticketId: 'INC0002',
      title: 'S0C7 data exception in PAYJ200',
      component: 'PAYROLL',
      createdAt: '2026-10-06T02:00:00Z',
    },
  ]);
  const api = storage.plugin(analyticsPlugin);
  await api.snapshot({ from: '2026-10-05', to: '2026-10-07' });
  const prediction = await storage.storePrediction({
    type: 'abend-risk',
    targetEntity: 'job',
    targetId: 'PAYJ100',
    probability: 0.75,
    metadata: { note: 'ünïcödé ✓' },
  });
  await api.recordOutcome(prediction, { outcome: true });
  await api.createDataset({
    name: 'q4',
    entity: 'incident',
    members: [
      { id: 'INC0001', label: entry },
      { id: 'INC0002', split: 'test' },
    ],
  });
  const bytes = Buffer.alloc(1024 * 1024 + 17);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 8)) & 0xff;
  await api.saveModel({ modelType: 'recommender', version: '1', dataset: 'q4', stage: 'production' }, bytes);
  const [open] = await patterns.listIncidents({ status: 'open' });
  await api.decide(open!.id);
}
