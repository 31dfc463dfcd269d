import { z } from 'zod';
import { ValidationError } from '../errors/storage-error.js';
import { zodIssues } from '../util/zod-issues.js';
import {
  type FeedbackInput,
  type KBEntryInput,
  type KBEntryUpdate,
  KNOWN_CATEGORIES,
  type ListEntriesOptions,
  RELATION_TYPES,
  SEVERITIES,
  USAGE_ACTIONS,
} from './kb-types.js';

export const LIMITS = {
  title: 255,
  text: 50_000,
  category: 64,
  tag: 50,
  tags: 32,
  bulk: 100_000,
} as const;

// Control characters other than tab, newline and carriage return have no place in KB text; NUL in
// particular truncates strings in some drivers.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find them
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
export const noControl = (s: string) => !CONTROL.test(s);

// A lone UTF-16 surrogate (`"\ud800"` in JSON) is not Unicode text: no UTF-8 column can hold it, and drivers
// store U+FFFD in its place or fail. With the `u` flag a well-formed pair is one code point and never matches.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
export const wellFormed = (s: string) => !LONE_SURROGATE.test(s);
const NOT_UNICODE = 'must not contain a lone UTF-16 surrogate (it is not Unicode text)';

const knownByLower = new Map<string, string>(KNOWN_CATEGORIES.map((c) => [c.toLowerCase(), c]));

/** Known categories are matched case-insensitively and spelt canonically; any other name is kept as given. */
export function normalizeCategory(value: string): string {
  const trimmed = value.trim().replace(/\s+/g, ' ');
  return knownByLower.get(trimmed.toLowerCase()) ?? trimmed;
}

/** `"  VSAM Status 35 "` → `vsam-status-35`. Empty after normalising → null. */
export function normalizeTag(value: string): string | null {
  const tag = value
    .normalize('NFKC')
    .trim()
    .toLowerCase()
    .replace(/\s+/g, '-')
    .replace(/[^\p{L}\p{N}._+#-]/gu, '')
    .replace(/-{2,}/g, '-')
    // A leading dash is noise, except on a negative number (`-904`, an SQLCODE).
    .replace(/^-+(?!\d+$)|-+$/g, '');
  return tag.length === 0 ? null : tag;
}

export function normalizeTags(values: readonly string[]): string[] {
  const seen = new Set<string>();
  for (const value of values) {
    const tag = normalizeTag(value);
    if (tag !== null) seen.add(tag);
  }
  return [...seen];
}

/** What every text field of an entry input accepts; each refusal names the field (the issue's path). */
const text = (max: number) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be text') })
    .refine(wellFormed, { message: NOT_UNICODE, abort: true })
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine(noControl, 'must not contain control characters');

const tagsSchema = z
  .array(
    z
      .string()
      .refine(wellFormed, { message: NOT_UNICODE, abort: true })
      .max(LIMITS.tag, `a tag must be at most ${LIMITS.tag} characters`)
      .refine(noControl, 'must not contain control characters'),
  )
  .max(LIMITS.tags, `at most ${LIMITS.tags} tags`)
  .transform(normalizeTags)
  // Checked again after normalising: NFKC can lengthen a tag (one ligature character becomes several).
  .pipe(
    z.array(z.string().max(LIMITS.tag, `a tag must be at most ${LIMITS.tag} characters once normalised`)),
  );

const categorySchema = text(LIMITS.category).transform(normalizeCategory);

export const entryIdSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/,
    'ids are 1–64 letters, digits, dots, dashes, colons or underscores',
  );

export const entryInputSchema = z.strictObject({
  id: entryIdSchema.optional(),
  title: text(LIMITS.title),
  problem: text(LIMITS.text),
  solution: text(LIMITS.text),
  category: categorySchema,
  severity: z.enum(SEVERITIES).default('medium'),
  tags: tagsSchema.default([]),
  createdBy: text(128).optional(),
});

export const entryUpdateSchema = z
  .strictObject({
    title: text(LIMITS.title).optional(),
    problem: text(LIMITS.text).optional(),
    solution: text(LIMITS.text).optional(),
    category: categorySchema.optional(),
    severity: z.enum(SEVERITIES).optional(),
    tags: tagsSchema.optional(),
    archived: z.boolean().optional(),
    expectedVersion: z.number().int().min(1).optional(),
  })
  .refine(
    (u) => Object.entries(u).some(([k, v]) => k !== 'expectedVersion' && v !== undefined),
    'an update must change at least one field',
  );

export const feedbackInputSchema = z.strictObject({
  outcome: z.enum(['success', 'failure']),
  rating: z.number().int().min(1).max(5).optional(),
  comment: text(2_000).optional(),
  userId: text(128).optional(),
});

export const relationTypeSchema = z.enum(RELATION_TYPES);
export const usageActionSchema = z.enum(USAGE_ACTIONS);

export const listOptionsSchema = z
  .strictObject({
    category: categorySchema.optional(),
    severity: z.enum(SEVERITIES).optional(),
    tag: z
      .string()
      .transform((t, ctx) => {
        const tag = normalizeTag(t);
        if (tag === null) {
          ctx.addIssue({ code: 'custom', message: 'not a valid tag' });
          return z.NEVER;
        }
        return tag;
      })
      .optional(),
    includeArchived: z.boolean().default(false),
    limit: z.number().int().min(1).max(1_000).default(50),
    offset: z.number().int().min(0).default(0),
    orderBy: z.enum(['createdAt', 'updatedAt', 'usageCount', 'title']).default('updatedAt'),
  })
  .prefault({});

export type ValidEntryInput = z.output<typeof entryInputSchema>;
export type ValidEntryUpdate = z.output<typeof entryUpdateSchema>;

/** Parses with a schema; a failure is a ValidationError naming every offending path under `label`. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, label: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = zodIssues(result.error).map((i) => ({ ...i, path: i.path ? `${label}.${i.path}` : label }));
  throw new ValidationError(
    `Invalid ${label}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    issues,
  );
}

export function validateEntryInput(value: KBEntryInput, label = 'entry'): ValidEntryInput {
  return validate(entryInputSchema, value, label);
}
export function validateEntryUpdate(value: KBEntryUpdate): ValidEntryUpdate {
  return validate(entryUpdateSchema, value, 'update');
}
export function validateFeedback(value: FeedbackInput) {
  return validate(feedbackInputSchema, value, 'feedback');
}
export function validateListOptions(value: ListEntriesOptions | undefined) {
  return validate(listOptionsSchema, value, 'options');
}

/** An ISO-8601 timestamp with its offset (`2026-11-01T00:00:00Z`), for time-range options. */
export const isoTimestamp = z.iso.datetime({ offset: true });
