import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { DatasetRow } from '../schema/analytics-database.js';
import { noControl } from '../util/text.js';

export const SPLITS = ['train', 'test', 'validation'] as const;
export type Split = (typeof SPLITS)[number];

export const datasetInputSchema = z.strictObject({
  name: z.string().trim().min(1).max(128).refine(noControl, 'must not contain control characters'),
  description: z.string().max(10_000).default(''),
  /** What the members are: `incident`, `kb_entry`, `prediction`, … */
  entity: z.string().trim().min(1).max(64).refine(noControl, 'must not contain control characters'),
  members: z
    .array(
      z.strictObject({
        id: z.string().min(1).max(128).refine(noControl, 'must not contain control characters'),
        split: z.enum(SPLITS).default('train'),
        label: z.string().max(4000).nullable().default(null),
      }),
    )
    .min(1)
    .max(5_000_000),
  metadata: z.record(z.string(), z.unknown()).default({}),
});

export type DatasetInput = z.input<typeof datasetInputSchema>;

export interface DatasetMember {
  id: string;
  split: Split;
  label: string | null;
}

export interface Dataset {
  id: string;
  name: string;
  description: string;
  entity: string;
  memberCount: number;
  /** sha256 over the members in order: the membership as frozen when the dataset was made. */
  checksum: string;
  metadata: Record<string, unknown>;
  createdBy: string;
  createdAt: string;
}

export function toDataset(row: DatasetRow): Dataset {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    entity: row.entity,
    memberCount: Number(row.member_count),
    checksum: row.checksum,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}

/** The membership's checksum: every member's id, split and label, in order. */
export function membershipChecksum(members: Iterable<DatasetMember>): string {
  const hash = createHash('sha256');
  for (const m of members) hash.update(`${JSON.stringify([m.id, m.split, m.label])}\n`);
  return hash.digest('hex');
}

/** A deterministic split: the same id always lands on the same side, whatever the order or the run. */
export function splitOf(id: string, testShare: number): Split {
  const h = createHash('sha256').update(id).digest();
  return h.readUInt32BE(0) / 0x1_0000_0000 < testShare ? 'test' : 'train';
}
