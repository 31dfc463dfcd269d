import { z } from '@hono/zod-openapi';
import {
  libraryManifestSchema,
  parameterDefinitionSchema,
  parameterRuleSchema,
} from '@mainframe-kb/plugin-templates';
import { boolParam } from '../schemas.js';

/**
 * The schemas of MVP4's routes (plugin-templates). Parameter definitions and rules are the plugin's own zod
 * schemas, so a malformed definition is refused here naming its field (`parameters.0.kind`) and the OpenAPI
 * document lists every kind; the store checks them again with the template text.
 */

const LANGUAGES = ['cobol', 'jcl', 'text'] as const;
const language = z.enum(LANGUAGES);
/** A template's id or unique name. */
const templateRef = z.string().min(1).max(128);
const codes = z.array(z.string().min(1).max(48)).max(64);
/** mustache text: the store refuses more than 1,000,000 characters (and the JSON body is at most 1 MiB). */
const content = z.string().min(1).max(1_000_000);

// Made by the plugin before @hono/zod-openapi extended zod, they have no .openapi(): .meta() names them.
export const TemplateParameterSchema = parameterDefinitionSchema.meta({
  id: 'TemplateParameter',
  description:
    '`{ name, kind, description?, required (default true), default?, …options of the kind }`: string (minLength, maxLength, pattern), integer (min, max), boolean, enum (values), dataset (allowMember, allowGdg), member, program, ddname, jobname, qualifier. z/OS names are upper-cased.',
});

export const TemplateRuleSchema = parameterRuleSchema.meta({
  id: 'TemplateRule',
  description:
    'A cross-parameter rule: differs, sameHighLevelQualifier, maxTotalLength (max, separator), allOrNone, atMostOne.',
});

export const TemplateSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    language,
    category: z.string(),
    status: z.enum(['active', 'retired']),
    currentVersion: z.number().int(),
    errorCodes: z.array(z.string()),
    tags: z.array(z.string()),
    usageCount: z.number().int().openapi({ description: 'renders recorded' }),
    successCount: z.number().int(),
    failureCount: z.number().int(),
    successRate: z
      .number()
      .openapi({ description: '(successes + 1) / (outcomes + 2): one lucky outcome does not top the list' }),
    kbEntryIds: z.array(z.string()),
    patternIds: z.array(z.string()),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Template');

export const TemplateVersionSchema = z
  .object({
    templateId: z.string(),
    version: z.number().int(),
    content: z.string(),
    parameters: z.array(TemplateParameterSchema),
    rules: z.array(TemplateRuleSchema),
    contentHash: z.string(),
    author: z.string(),
    changeNote: z.string(),
    createdAt: z.string(),
  })
  .openapi('TemplateVersion');

export const TemplateVersionSummarySchema = z
  .object({
    version: z.number().int(),
    author: z.string(),
    changeNote: z.string(),
    contentHash: z.string(),
    createdAt: z.string(),
  })
  .openapi('TemplateVersionSummary');

export const TemplateDetailSchema = z
  .object({
    template: TemplateSchema,
    version: TemplateVersionSchema.openapi({
      description: 'the version asked for (default: the current one), with its text and parameters',
    }),
    versions: z.array(TemplateVersionSummarySchema).openapi({ description: 'every version, oldest first' }),
  })
  .openapi('TemplateDetail');

export const TemplateInputSchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .max(128)
      .openapi({ description: 'unique: letters, digits, dot, underscore, dash', example: 'S0C7-GUARD' }),
    description: z.string().min(1).max(10_000),
    language,
    category: z.string().min(1).max(64),
    content,
    parameters: z.array(TemplateParameterSchema).max(256).optional(),
    rules: z.array(TemplateRuleSchema).max(64).optional(),
    errorCodes: codes.optional(),
    tags: codes.optional(),
    kbEntryIds: z
      .array(z.string().min(1).max(64))
      .max(100)
      .optional()
      .openapi({ description: 'KB entries whose fix this template implements (each must exist)' }),
    changeNote: z.string().max(2_000).optional(),
  })
  .openapi('TemplateInput');

export const TemplateChangeSchema = z
  .strictObject({
    description: z.string().min(1).max(10_000).optional(),
    language: language.optional(),
    category: z.string().min(1).max(64).optional(),
    content: content.optional(),
    parameters: z.array(TemplateParameterSchema).max(256).optional(),
    rules: z.array(TemplateRuleSchema).max(64).optional(),
    errorCodes: codes.optional(),
    tags: codes.optional(),
    changeNote: z.string().max(2_000).optional(),
  })
  .openapi('TemplateChange', {
    description: 'a change of the text, parameters or rules makes a new immutable version',
  });

export const TemplateListQuerySchema = z.object({
  text: z
    .string()
    .max(500)
    .optional()
    .openapi({ description: 'words in the name, description, category, tags or text' }),
  language: language.optional(),
  category: z.string().max(64).optional(),
  kbEntryId: z.string().max(64).optional(),
  errorCode: z.string().max(48).optional(),
  status: z.enum(['active', 'retired', 'all']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

export const TemplateRefParamSchema = z.object({
  name: templateRef.openapi({ description: "the template's name or id" }),
});

export const VersionQuerySchema = z.object({
  version: z.coerce.number().int().min(1).optional().openapi({ description: 'default: the current version' }),
});

export const DiffQuerySchema = z.object({
  from: z.coerce.number().int().min(1),
  to: z.coerce.number().int().min(1),
});

export const DiffSchema = z
  .object({
    from: z.number().int(),
    to: z.number().int(),
    diff: z
      .string()
      .openapi({ description: 'a unified diff of the two texts; empty when they are the same' }),
  })
  .openapi('TemplateDiff');

export const RollbackSchema = z
  .strictObject({ version: z.number().int().min(1), note: z.string().max(2_000).optional() })
  .openapi('TemplateRollback');

const value = z.union([z.string().max(4096), z.number(), z.boolean(), z.null()]);
const values = z
  .record(z.string().max(64), value)
  .default({})
  .openapi({ description: "the parameter form's values by parameter name; null or absent uses the default" });

export const RenderRequestSchema = z
  .strictObject({
    values,
    version: z.number().int().min(1).optional().openapi({ description: 'default: the current version' }),
    wrap: z
      .boolean()
      .optional()
      .openapi({ description: 'wrap lines past the last column where the language allows (default true)' }),
  })
  .openapi('TemplateRenderRequest');

const OutputProblemSchema = z
  .object({
    line: z.number().int(),
    column: z.number().int().optional(),
    rule: z.string().openapi({ description: 'cobol/…, jcl/…, or code/… for an error of the code analyser' }),
    message: z.string(),
  })
  .openapi('TemplateOutputProblem');

export const RenderResultSchema = z
  .object({
    templateId: z.string(),
    version: z.number().int(),
    text: z.string(),
    wrapped: z.array(z.number().int()).openapi({ description: 'input lines that were wrapped (1-based)' }),
    problems: z
      .array(OutputProblemSchema)
      .openapi({ description: "lines that break the language's columns and could not be wrapped" }),
    analysis: z
      .array(
        z.object({
          severity: z.enum(['error', 'warning']),
          code: z.string(),
          message: z.string(),
          line: z.number().int().nullable(),
        }),
      )
      .optional()
      .openapi({ description: "plugin-code's findings on the output, when that plugin is enabled" }),
  })
  .openapi('TemplateRenderResult');

export const PreviewRequestSchema = z
  .strictObject({
    language,
    content,
    parameters: z.array(TemplateParameterSchema).max(256).default([]),
    rules: z.array(TemplateRuleSchema).max(64).default([]),
    values,
    wrap: z.boolean().default(true),
  })
  .openapi('TemplatePreviewRequest', {
    description: "an editor's draft (not stored): its text, parameters and rules, and the form's values",
  });

export const PreviewResultSchema = z
  .object({
    text: z.string(),
    wrapped: z.array(z.number().int()),
    problems: z.array(OutputProblemSchema),
    variables: z
      .array(z.string())
      .openapi({ description: 'parameters the text uses, in order of first use' }),
    unused: z.array(z.string()).openapi({ description: 'declared parameters the text never uses' }),
  })
  .openapi('TemplatePreviewResult');

export const OutputCheckRequestSchema = z
  .strictObject({
    language,
    text: z.string().max(1_000_000),
    wrap: z.boolean().default(false),
  })
  .openapi('TemplateOutputCheckRequest');

export const OutputCheckResultSchema = z
  .object({
    text: z.string().openapi({ description: 'the text, wrapped when asked' }),
    wrapped: z.array(z.number().int()),
    problems: z.array(OutputProblemSchema),
  })
  .openapi('TemplateOutputCheckResult');

export const OutcomeRequestSchema = z
  .strictObject({
    worked: z.boolean(),
    version: z.number().int().min(1).optional().openapi({ description: 'default: the current version' }),
    note: z.string().max(2_000).optional(),
  })
  .openapi('TemplateOutcome');

const fileName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/, 'a plain file name');

export const LibrarySchema = z
  .object({
    manifest: libraryManifestSchema,
    files: z
      .record(fileName, z.string())
      .openapi({ description: "each manifest entry's file under templates/, by name: the text it holds" }),
  })
  .openapi('TemplateLibrary', {
    description: 'a template library as JSON: manifest.json (with each file’s sha256) and the files it names',
  });

export const LibraryExportQuerySchema = z.object({ includeRetired: boolParam });

export const LibraryImportResultSchema = z
  .object({ added: z.number().int(), updated: z.number().int(), unchanged: z.number().int() })
  .openapi('TemplateLibraryImport');
