import { z } from 'zod';
import type { SearchOptions } from '../search/search-types.js';
import { noControl, normalizeCategory, normalizeTags, validate } from './kb-schemas.js';

const CONTROL_MESSAGE = 'must not contain control characters';

import { SEVERITIES } from './kb-types.js';

/** The most results one search returns (`limit`); pages past it with `offset`. */
export const SEARCH_LIMIT_MAX = 100;

const searchOptionsSchema = z
  .strictObject({
    limit: z.number().int().min(1).max(SEARCH_LIMIT_MAX).default(10),
    offset: z.number().int().min(0).max(10_000).default(0),
    category: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .refine(noControl, CONTROL_MESSAGE)
      .transform(normalizeCategory)
      .optional(),
    severity: z.enum(SEVERITIES).optional(),
    tags: z
      .array(z.string().max(50).refine(noControl, CONTROL_MESSAGE))
      .max(32)
      .transform(normalizeTags)
      .optional(),
    includeArchived: z.boolean().default(false),
    sortBy: z.enum(['relevance', 'usage', 'recent', 'success']).default('relevance'),
    correct: z.boolean().optional(),
    facets: z.boolean().default(true),
    recordHistory: z.boolean().default(true),
    userId: z.string().min(1).max(128).refine(noControl, CONTROL_MESSAGE).optional(),
  })
  .prefault({});

export type ValidSearchOptions = z.output<typeof searchOptionsSchema>;

export function validateSearchOptions(options: SearchOptions | undefined): ValidSearchOptions {
  return validate(searchOptionsSchema, options, 'options');
}
