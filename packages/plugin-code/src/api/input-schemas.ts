import { validateInput } from '@mainframe-kb/storage-core';
import { z } from 'zod';
import { LINK_TYPES } from '../types.js';

const language = z.enum(['cobol', 'copybook', 'jcl', 'unknown']);
/** A path inside a repository: relative, `/`-separated, no `..` (it names a row, and is read under the root). */
const repoPath = z
  .string()
  .min(1)
  .max(512)
  .refine(
    (p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..') && !p.includes('\0'),
    'a relative path without ..',
  );

export const scanOptionsSchema = z.strictObject({
  path: z.string().min(1).max(4096),
  name: z.string().trim().min(1).max(255).optional(),
  ref: z.string().min(1).max(255).optional(),
  type: z.enum(['local', 'git']).optional(),
  batchSize: z.number().int().min(1).max(10_000).optional(),
  maxFileBytes: z.number().int().min(1).optional(),
  onProgress: z.custom<(p: unknown) => void>((v) => typeof v === 'function').optional(),
});

export const analysisInputSchema = z.strictObject({
  path: repoPath,
  content: z.string().max(64 * 1024 * 1024),
  language: language.optional(),
  repository: z.string().trim().min(1).max(255).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  analysis: z
    .strictObject({
      type: z.string().min(1).max(64),
      analyzer: z.string().min(1).max(128),
      summary: z.string().max(10_000).optional(),
      result: z.record(z.string(), z.unknown()),
    })
    .optional(),
});

export const criteriaSchema = z.strictObject({
  id: z.string().optional(),
  path: z.string().optional(),
  repository: z.string().optional(),
  language: language.optional(),
  name: z.string().optional(),
  withErrors: z.boolean().optional(),
  limit: z.number().int().min(1).max(10_000).default(100),
  offset: z.number().int().min(0).default(0),
});

export const linkTypeSchema = z.enum(LINK_TYPES as [string, ...string[]]);

export const linkOptionsSchema = z.strictObject({
  lineStart: z.number().int().min(1).optional(),
  lineEnd: z.number().int().min(1).optional(),
  confidence: z.number().min(0).max(1).optional(),
  note: z.string().max(2_000).optional(),
});

export const linkQuerySchema = z.strictObject({
  kbEntryId: z.string().optional(),
  codeFileId: z.string().optional(),
  status: z.enum(['active', 'stale', 'suggested']).optional(),
  limit: z.number().int().min(1).max(10_000).default(500),
});

export const searchOptionsSchema = z.strictObject({
  kinds: z.array(z.string().min(1).max(24)).max(32).optional(),
  limit: z.number().int().min(1).max(1_000).default(20),
});

export { validateInput as parse };
