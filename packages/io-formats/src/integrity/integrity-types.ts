import type { ContentHash } from '@mainframe-kb/storage-core';
import { z } from 'zod';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 in hex');

/** A content hash as storage-core computes it (`storage.contentHash()`), as an export records it. */
const contentHashSchema = z.strictObject({
  algorithm: z.literal('sha256'),
  hash: sha256Hex,
  tables: z.record(z.string(), z.strictObject({ rows: z.number().int().min(0), hash: sha256Hex })),
});

/**
 * What an export records so that a restore can prove it unchanged: in a manifest, next to a sha256 per file;
 * in an envelope, as the last member, with the hash of every byte before it.
 */
export const exportIntegritySchema = z.strictObject({
  algorithm: z.literal('sha256'),
  /** The envelope only: sha256 of every byte before the line that starts with `"integrity":`. */
  body_sha256: sha256Hex.optional(),
  /**
   * The exported tables' content hash (all but the migrations ledger), as `storage.contentHash({ tables })`
   * gives it, computed from the rows the export read, in its snapshot.
   */
  content_hash: contentHashSchema,
});

export type ExportIntegrity = z.output<typeof exportIntegritySchema>;

/** What checking an export's recorded hashes found: verified (with the content to expect), or why not. */
export type ExportCheck =
  | { readonly verified: true; readonly contentHash: ContentHash }
  | { readonly verified: false; readonly reason: string };
