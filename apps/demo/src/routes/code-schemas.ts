import { z } from '@hono/zod-openapi';
import { LINK_TYPES } from '@mainframe-kb/plugin-code';
import { boolParam } from '../schemas.js';

/** The schemas of the MVP3 routes (code files, structures, layouts, decoded records, KB links). */

const LANGUAGES = ['cobol', 'copybook', 'jcl', 'unknown'] as const;
const SOURCE_LANGUAGES = ['cobol', 'copybook', 'jcl'] as const;
const LINK_STATUSES = ['active', 'stale', 'suggested'] as const;

const int = () => z.number().int();
const range = { start: int(), end: int() };

/** A path inside a repository, as the plugin takes it: relative, `/`-separated, no `..`. */
const repoPath = z
  .string()
  .min(1)
  .max(512)
  .openapi({ description: "the file's path in its repository, e.g. `cbl/CBL0001.cobol`" });

// ─── Structures (what the analysers found) ─────────────────────────────────────────────────────────────

export const CobolStructureSchema = z
  .object({
    version: z.literal(1),
    language: z.literal('cobol'),
    programId: z.string().nullable(),
    format: z.string().openapi({ description: 'fixed, free or variable source format' }),
    programs: z.array(z.object({ name: z.string(), complexity: int(), ...range })),
    divisions: z.array(z.object({ name: z.string(), ...range })),
    sections: z.array(z.object({ name: z.string(), division: z.string(), ...range })),
    paragraphs: z.array(
      z.object({
        name: z.string(),
        section: z.string().optional(),
        statements: int(),
        complexity: int(),
        ...range,
      }),
    ),
    controlFlow: z.array(
      z.object({
        kind: z.string(),
        from: z.string().optional(),
        to: z.string(),
        thru: z.string().optional(),
        line: int(),
      }),
    ),
    neverPerformed: z.array(z.string()),
    unreachable: z.array(z.string()),
    calls: z.array(z.object({ target: z.string(), kind: z.enum(['static', 'dynamic']), line: int() })),
    copies: z.array(
      z.object({ name: z.string(), library: z.string().optional(), line: int(), resolved: z.boolean() }),
    ),
    files: z.array(
      z.object({
        name: z.string(),
        assignTo: z.array(z.string()),
        organization: z.string().optional(),
        fileStatus: z.string().optional(),
        line: int(),
      }),
    ),
    records: z.array(z.object({ file: z.string(), name: z.string(), line: int() })),
    sql: z.array(
      z.object({
        kind: z.string(),
        cursor: z.string().optional(),
        hostVariables: z.array(z.string()),
        paragraph: z.string().optional(),
        ...range,
      }),
    ),
    cics: z.array(z.object({ command: z.string(), ...range })),
    dataNames: z.array(z.object({ name: z.string(), line: int(), section: z.string().optional() })),
    conditions: z.array(
      z.object({
        kind: z.string(),
        value: z.string().nullable(),
        subject: z.string(),
        line: int(),
        paragraph: z.string().optional(),
      }),
    ),
  })
  .openapi('CobolStructure');

export const CopybookStructureSchema = z
  .object({
    version: z.literal(1),
    language: z.literal('copybook'),
    kind: z.enum(['record', 'procedure']),
    recordLength: int(),
    fields: z.array(
      z.object({
        level: int(),
        name: z.string(),
        start: int(),
        end: int(),
        length: int(),
        type: z.string(),
        usage: z.string(),
        picture: z.string().optional(),
        occurs: z.object({ min: int(), max: int(), dependingOn: z.string().optional() }).optional(),
        redefines: z.string().optional(),
        conditions: z.array(z.string()).optional(),
        line: int(),
      }),
    ),
    source: z.string().optional().openapi({ description: "the copybook's text (up to 256 KiB)" }),
  })
  .openapi('CopybookStructure');

export const JclStructureSchema = z
  .object({
    version: z.literal(1),
    language: z.literal('jcl'),
    kind: z.enum(['job', 'proc']),
    job: z.string().nullable(),
    proc: z.string().nullable(),
    steps: z.array(
      z.object({
        name: z.string(),
        line: int(),
        program: z.string().optional(),
        proc: z.string().optional(),
        dds: z.array(
          z.object({
            name: z.string().optional(),
            dsn: z.string().optional(),
            disp: z.string().optional(),
            sysout: z.string().optional(),
            dummy: z.boolean().optional(),
            instreamLines: int().optional(),
            line: int(),
          }),
        ),
      }),
    ),
    datasets: z.array(z.string()),
    programs: z.array(z.string()),
    unresolvedProcs: z.array(z.string()),
  })
  .openapi('JclStructure');

export const CodeStructureSchema = z
  .discriminatedUnion('language', [
    CobolStructureSchema,
    CopybookStructureSchema,
    JclStructureSchema,
    z.object({ version: z.literal(1), language: z.literal('unknown') }),
  ])
  .openapi('CodeStructure');

export const CodeIssueSchema = z
  .object({
    severity: z.enum(['error', 'warning']),
    code: z.string().openapi({ description: 'UNTERMINATED, COPY_CYCLE, PICTURE …' }),
    message: z.string(),
    line: int().nullable(),
  })
  .openapi('CodeIssue');

// ─── Files, links, repositories ────────────────────────────────────────────────────────────────────────

export const CodeLinkSchema = z
  .object({
    id: z.string(),
    kbEntryId: z.string(),
    codeFileId: z.string().nullable().openapi({ description: 'null once the file is gone' }),
    path: z.string(),
    repository: z.string().nullable(),
    lineStart: int(),
    lineEnd: int(),
    snippet: z.string(),
    linkType: z.string(),
    confidence: z.number().nullable(),
    status: z.enum(LINK_STATUSES),
    note: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('CodeLink');

const fileFields = {
  id: z.string(),
  repositoryId: z.string(),
  repository: z.string(),
  path: z.string(),
  language: z.enum(LANGUAGES),
  name: z.string().nullable().openapi({ description: 'program id, copybook, job or PROC name' }),
  sizeBytes: int(),
  lines: int(),
  complexity: int().nullable(),
  hash: z.string(),
  parsedAt: z.string(),
  metadata: z.record(z.string(), z.unknown()),
};

export const CodeFileSummarySchema = z
  .object({
    ...fileFields,
    issueCount: int(),
    errorCount: int().openapi({ description: 'issues of severity error' }),
  })
  .openapi('CodeFileSummary');

export const CodeFileSchema = z
  .object({
    ...fileFields,
    structure: CodeStructureSchema,
    issues: z.array(CodeIssueSchema),
    links: z.array(CodeLinkSchema).openapi({ description: 'its KB links' }),
  })
  .openapi('CodeFile');

export const CodeFilePageSchema = z
  .object({
    files: z.array(CodeFileSummarySchema),
    offset: int(),
    limit: int(),
    hasMore: z.boolean(),
  })
  .openapi('CodeFilePage');

export const AnalysisSchema = z
  .object({
    language: z.enum(LANGUAGES),
    structure: CodeStructureSchema,
    issues: z.array(CodeIssueSchema),
  })
  .openapi('CodeAnalysisPreview');

export const RepositorySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    path: z.string(),
    type: z.enum(['local', 'git', 'idz']),
    lastCommit: z.string().nullable(),
    lastScan: z.string().nullable(),
    createdAt: z.string(),
    fileCount: int(),
  })
  .openapi('CodeRepository');

export const SearchHitSchema = z
  .object({
    codeFileId: z.string(),
    repository: z.string(),
    path: z.string(),
    language: z.enum(LANGUAGES),
    kind: z.string(),
    name: z.string(),
    line: int(),
    detail: z.string().nullable(),
  })
  .openapi('CodeSearchHit');

export const LinkSuggestionSchema = z
  .object({
    kbEntryId: z.string(),
    title: z.string(),
    codeFileId: z.string(),
    path: z.string(),
    lineStart: int(),
    lineEnd: int(),
    linkType: z.enum(LINK_TYPES as [string, ...string[]]),
    confidence: z.number(),
    evidence: z.array(z.string()).openapi({ description: 'what they share: `SQLCODE -911 at line 212` …' }),
  })
  .openapi('CodeLinkSuggestion');

export const LinkInputSchema = z
  .object({
    codeFileId: z.string().min(1).max(600).openapi({ description: "the file's id (or its path)" }),
    kbEntryId: z.string().min(1).max(128),
    linkType: z
      .enum(LINK_TYPES as [string, ...string[]])
      .optional()
      .openapi({ description: 'default related' }),
    lineStart: int().min(1).optional(),
    lineEnd: int().min(1).optional(),
    confidence: z.number().min(0).max(1).optional(),
    note: z.string().max(2000).optional(),
  })
  .strict()
  .openapi('CodeLinkInput');

// ─── Layouts and decoded records ───────────────────────────────────────────────────────────────────────

export const LayoutFieldSchema = z
  .object({
    level: int(),
    name: z.string().openapi({ description: 'as written (`ACCT-NO`, `FILLER`)' }),
    key: z.string().openapi({ description: 'the name in decoded records (`ACCT_NO`)' }),
    path: z.array(z.string()).openapi({ description: 'keys of the enclosing groups' }),
    offset: int().openapi({ description: '0-based byte offset in the record' }),
    start: int().openapi({ description: '1-based first byte' }),
    end: int().openapi({ description: '1-based last byte, every occurrence included' }),
    length: int().openapi({ description: 'bytes of one occurrence' }),
    dataLength: int(),
    type: z.string().openapi({ description: 'group, alphanumeric, numeric-display, packed, binary …' }),
    usage: z.string(),
    picture: z.string().nullable(),
    signed: z.boolean(),
    digits: int(),
    scale: int(),
    occurs: z.object({ min: int(), max: int(), dependingOn: z.string().optional() }).nullable(),
    redefines: z.string().nullable(),
    isRedefined: z.boolean(),
    isFiller: z.boolean(),
    conditions: z.array(
      z.object({
        name: z.string(),
        values: z.array(z.object({ from: z.string(), thru: z.string().optional() })),
      }),
    ),
    line: int(),
  })
  .openapi('LayoutField');

export const LayoutSchema = z
  .object({
    name: z.string(),
    recordLength: int(),
    fields: z.array(LayoutFieldSchema),
    notes: z.array(z.string()),
    records: z
      .array(z.object({ name: z.string(), section: z.string(), fd: z.string().optional() }))
      .optional()
      .openapi({ description: 'for a program: every record it defines (pick one with ?record=)' }),
  })
  .openapi('CopybookLayout');

export const DecodeQuerySchema = z.object({
  copybook: z
    .string()
    .min(1)
    .max(600)
    .openapi({ description: 'a stored copybook: its name (`ACCTREC`), id or path' }),
  encoding: z.enum(['cp037', 'ascii']).optional().openapi({ description: 'default cp037 (EBCDIC)' }),
  format: z.enum(['F', 'V']).optional().openapi({ description: 'F fixed (default), V with 4-byte RDWs' }),
  recordLength: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .optional()
    .openapi({ description: "fixed records: default the copybook's length" }),
  rdwByteOrder: z.enum(['big', 'little']).optional().openapi({ description: 'V: default little' }),
  rdwIncludesHeader: boolParam,
  floatingPoint: z.enum(['IBM', 'IEEE754']).optional().openapi({ description: 'COMP-1/2; default IBM' }),
  strictSignOverpunching: boolParam,
  variableSizeOccurs: boolParam,
  improvedNullDetection: boolParam.openapi({
    description: 'a DISPLAY field of 0x00 bytes only is null (default true)',
  }),
  dropFillers: z.enum(['all', 'values', 'none']).optional(),
  offset: z.coerce
    .number()
    .int()
    .min(0)
    .max(100_000_000)
    .optional()
    .openapi({ description: 'records to skip' }),
  limit: z.coerce.number().int().min(1).max(1000).optional().openapi({ description: 'default 100' }),
});

export const DecodeResultSchema = z
  .object({
    copybook: z.string(),
    recordLength: int(),
    encoding: z.enum(['cp037', 'ascii']),
    format: z.enum(['F', 'V']),
    bytes: int().openapi({ description: 'size of the uploaded data' }),
    offset: int(),
    records: z.array(
      z.object({
        index: int().openapi({ description: '0-based record number in the data' }),
        values: z.record(z.string(), z.unknown()).openapi({
          description:
            'field key → value; numbers beyond double precision and decimals that need it are strings',
        }),
      }),
    ),
    errors: z.array(
      z.object({
        record: int().openapi({ description: '0-based record number' }),
        byteOffset: int(),
        reason: z.string().openapi({ description: 'RECORD_LENGTH, ODO_RANGE …' }),
        message: z.string(),
      }),
    ),
    more: z.boolean().openapi({ description: 'records remain past this page (ask with offset)' }),
  })
  .openapi('DecodedRecords');

// ─── Queries ───────────────────────────────────────────────────────────────────────────────────────────

export const UploadQuerySchema = z.object({
  path: repoPath,
  repository: z
    .string()
    .trim()
    .min(1)
    .max(255)
    .optional()
    .openapi({ description: 'default `imported`; created when new' }),
  language: z
    .enum(SOURCE_LANGUAGES)
    .optional()
    .openapi({ description: 'detected from the content (then the extension) when absent' }),
});

export const AnalyzeQuerySchema = UploadQuerySchema.pick({ path: true, language: true });

export const LayoutUploadQuerySchema = z.object({
  path: repoPath.optional().openapi({ description: 'names the layout in messages' }),
  record: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .openapi({ description: "for a program's text: which 01 record (default the first)" }),
});

export const FileListQuerySchema = z.object({
  repository: z.string().min(1).max(255).optional(),
  language: z.enum(LANGUAGES).optional(),
  name: z.string().min(1).max(64).optional().openapi({ description: 'program, copybook, job or PROC name' }),
  path: z.string().min(1).max(512).optional(),
  withErrors: boolParam,
  limit: z.coerce.number().int().min(1).max(1000).optional().openapi({ description: 'default 100' }),
  offset: z.coerce.number().int().min(0).max(1_000_000).optional(),
});

export const FileParamSchema = z.object({
  id: z.string().min(1).max(600).openapi({ description: "the file's id (or a path without `/`)" }),
});

export const LinkQuerySchema = z.object({
  kbEntryId: z.string().min(1).max(128).optional(),
  codeFileId: z.string().min(1).max(128).optional(),
  status: z.enum(LINK_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});

export const SearchQuerySchema = z.object({
  q: z
    .string()
    .min(1)
    .max(500)
    .openapi({ description: 'names: program, paragraph, field, data set, step …' }),
  kinds: z.string().max(300).optional().openapi({ description: 'comma-separated symbol kinds' }),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
