import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import {
  type CodeAnalysis,
  CodeAnalysisError,
  type CodeApi,
  type Copybook,
  type codePlugin,
  type DecodeOptions,
  decodeRecords,
  detectLanguage,
  extractRecordLayouts,
  IMPORTED_REPOSITORY,
  type LinkType,
  looksBinary,
  parseCopybook,
  type RecordDecodeError,
} from '@mainframe-kb/plugin-code';
import { NotFoundError, type Storage, ValidationError } from '@mainframe-kb/storage-core';
import type { Context } from 'hono';
import type { AppDeps, AppEnv } from '../app-env.js';
import { minRole } from '../app-env.js';
import { json, jsonBody, problems } from '../schemas.js';
import {
  AnalysisSchema,
  AnalyzeQuerySchema,
  CodeFilePageSchema,
  CodeFileSchema,
  CodeLinkSchema,
  DecodeQuerySchema,
  DecodeResultSchema,
  FileListQuerySchema,
  FileParamSchema,
  LayoutSchema,
  LayoutUploadQuerySchema,
  LinkInputSchema,
  LinkQuerySchema,
  LinkSuggestionSchema,
  RepositorySchema,
  SearchHitSchema,
  SearchQuerySchema,
  UploadQuerySchema,
} from './code-schemas.js';

const tags = ['code (MVP3)'];
const DEFAULT_LIMIT = 100;

const rawBody = (description: string) => ({
  required: true,
  description,
  content: {
    'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) },
    'text/plain': { schema: z.string() },
  },
});

// ─── Files: upload, analyse, list, show ────────────────────────────────────────────────────────────────

const upload = createRoute({
  method: 'post',
  path: '/api/code/files',
  tags,
  summary:
    'Upload a COBOL program, copybook or JCL (the raw source as the body): analysed and stored (editor)',
  description:
    'Stores the file under `repository` (default `imported`) at `path`, replacing the file already there (200) or adding it (201). The answer is the stored file with its structure and issues. An empty, binary or non-UTF-8 body, text that is not COBOL, JCL or a copybook, or a source its analyser cannot read at all (a bad PICTURE, a control character …) is refused (422) and nothing is stored.',
  middleware: [minRole('editor')] as const,
  request: { query: UploadQuerySchema, body: rawBody('the source text, UTF-8') },
  responses: {
    200: json(CodeFileSchema, 'the file replaced the one at that path'),
    201: json(CodeFileSchema, 'the file as stored'),
    ...problems(401, 403, 413, 422, 501),
  },
});

const analyze = createRoute({
  method: 'post',
  path: '/api/code/files/analyze',
  tags,
  summary: 'Analyse a source without storing it: its language, structure and issues',
  request: { query: AnalyzeQuerySchema, body: rawBody('the source text, UTF-8') },
  responses: { 200: json(AnalysisSchema, 'what the analyser found'), ...problems(401, 413, 422, 501) },
});

const layoutOfUpload = createRoute({
  method: 'post',
  path: '/api/code/files/layout',
  tags,
  summary: "The record layout of an uploaded copybook, or of one of a program's records (?record=)",
  request: { query: LayoutUploadQuerySchema, body: rawBody('a copybook or a COBOL program, UTF-8') },
  responses: { 200: json(LayoutSchema, 'every field of the record'), ...problems(401, 413, 422, 501) },
});

const decode = createRoute({
  method: 'post',
  path: '/api/code/files/decode',
  tags,
  summary: 'Decode an uploaded data file (EBCDIC or ASCII records) with a stored copybook',
  description:
    'Answers a page of records (`offset`, `limit`) with the errors met reading them: a record that cannot be decoded is reported and skipped. When no record at all can be decoded the answer is a 422 problem naming the errors.',
  request: { query: DecodeQuerySchema, body: rawBody('the data set, byte for byte') },
  responses: {
    200: json(DecodeResultSchema, 'decoded records'),
    ...problems(401, 404, 413, 422, 501),
  },
});

const listFiles = createRoute({
  method: 'get',
  path: '/api/code/files',
  tags,
  summary: 'List the analysed files, by repository and path',
  request: { query: FileListQuerySchema },
  responses: { 200: json(CodeFilePageSchema, 'a page of files'), ...problems(401, 422, 501) },
});

const readFile = createRoute({
  method: 'get',
  path: '/api/code/files/{id}',
  tags,
  summary: "One file: the program's structure (divisions, paragraphs, calls, copybooks …), issues, KB links",
  request: {
    params: FileParamSchema,
    query: z.object({ repository: z.string().min(1).max(255).optional() }),
  },
  responses: { 200: json(CodeFileSchema, 'the file'), ...problems(401, 404, 422, 501) },
});

const storedLayout = createRoute({
  method: 'get',
  path: '/api/code/copybooks/{name}/layout',
  tags,
  summary: "A stored copybook's record layout: level, name, offset, length, type of every field",
  request: { params: z.object({ name: z.string().min(1).max(600) }) },
  responses: { 200: json(LayoutSchema, 'the layout'), ...problems(401, 404, 422, 501) },
});

// ─── Repositories and search ───────────────────────────────────────────────────────────────────────────

const listRepositories = createRoute({
  method: 'get',
  path: '/api/code/repositories',
  tags,
  summary: 'The repositories code is filed under, with their file counts',
  responses: {
    200: json(z.object({ repositories: z.array(RepositorySchema) }), 'repositories'),
    ...problems(401, 501),
  },
});

const removeRepository = createRoute({
  method: 'delete',
  path: '/api/code/repositories/{name}',
  tags,
  summary: 'Remove a repository and its files; their KB links stay, marked stale (editor)',
  middleware: [minRole('editor')] as const,
  request: { params: z.object({ name: z.string().min(1).max(255) }) },
  responses: { 204: { description: 'removed' }, ...problems(401, 403, 404, 501) },
});

const search = createRoute({
  method: 'get',
  path: '/api/code/search',
  tags,
  summary: 'Programs, paragraphs, copybook fields, data sets, steps … by name',
  request: { query: SearchQuerySchema },
  responses: {
    200: json(z.object({ hits: z.array(SearchHitSchema) }), 'matches, exact names first'),
    ...problems(401, 422, 501),
  },
});

// ─── Links between code and KB entries ─────────────────────────────────────────────────────────────────

const listLinks = createRoute({
  method: 'get',
  path: '/api/code/links',
  tags,
  summary: 'Links between code and KB entries, by entry, file or status',
  request: { query: LinkQuerySchema },
  responses: {
    200: json(z.object({ links: z.array(CodeLinkSchema) }), 'links, oldest first'),
    ...problems(401, 422, 501),
  },
});

const suggestLinks = createRoute({
  method: 'get',
  path: '/api/code/links/suggestions',
  tags,
  summary: 'KB entries that share error codes, program or data set names with a file (or all files)',
  request: {
    query: z.object({
      codeFileId: z.string().min(1).max(600).optional(),
      limit: z.coerce.number().int().min(1).max(200).optional(),
    }),
  },
  responses: {
    200: json(z.object({ suggestions: z.array(LinkSuggestionSchema) }), 'suggestions, best first'),
    ...problems(401, 404, 422, 501),
  },
});

const createLink = createRoute({
  method: 'post',
  path: '/api/code/links',
  tags,
  summary: 'Link a KB entry to a file, or to some of its lines (editor)',
  middleware: [minRole('editor')] as const,
  request: { body: jsonBody(LinkInputSchema) },
  responses: {
    201: json(CodeLinkSchema, 'the link'),
    ...problems(401, 403, 404, 415, 422, 501),
  },
});

const removeLink = createRoute({
  method: 'delete',
  path: '/api/code/links/{id}',
  tags,
  summary: 'Remove a link (editor)',
  middleware: [minRole('editor')] as const,
  request: { params: z.object({ id: z.string().min(1).max(128) }) },
  responses: { 204: { description: 'removed' }, ...problems(401, 403, 404, 501) },
});

// ─── Helpers ───────────────────────────────────────────────────────────────────────────────────────────

/** The plugin's API; EXTENSION_NOT_ENABLED (501) when the store runs without it. */
function codeApi(storage: Storage): CodeApi {
  return storage.plugin<typeof codePlugin>('code');
}

const refuse = (message: string, path = 'body'): never => {
  throw new ValidationError(message, [{ path, message }]);
};

/**
 * Runs a parser of the plugin: its CodeAnalysisError (a bad PICTURE, an unknown encoding …) carries a
 * `reason`, not a store error code, so it becomes a 422 VALIDATION problem naming the reason and line here.
 */
function parsing<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (!(error instanceof CodeAnalysisError)) throw error;
    const message = `${what}: ${error.reason}: ${error.message}`;
    throw new ValidationError(message, [{ path: what, message: error.message }], {
      details: { reason: error.reason, line: error.line ?? null },
    });
  }
}

/** The upload as source text; refused when empty, binary (a data set) or not UTF-8. */
async function sourceText(c: Context): Promise<string> {
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.every((b) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09)) {
    refuse('the upload is empty: send the COBOL, JCL or copybook source as the request body');
  }
  if (looksBinary(bytes)) {
    refuse(
      `the upload is binary (a NUL byte at ${bytes.indexOf(0)}), not source text: decode data sets with POST /api/code/files/decode`,
    );
  }
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    refuse('the upload is not UTF-8 text (EBCDIC or another code page?): convert the source to UTF-8');
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The language of an upload: as given, else detected; text that is none of them is refused. */
function languageOf(path: string, text: string, given: 'cobol' | 'copybook' | 'jcl' | undefined) {
  const language = given ?? detectLanguage(path, text);
  if (language === 'unknown') {
    refuse(
      `${path} is not recognisably COBOL, JCL or a copybook: name its language with ?language=cobol|copybook|jcl`,
      'language',
    );
  }
  return language;
}

async function fileWithLinks(api: CodeApi, file: CodeAnalysis) {
  return { ...file, links: await api.links({ codeFileId: file.id }) };
}

function layoutOf(name: string, copybook: Copybook) {
  return {
    name,
    recordLength: copybook.recordLength,
    fields: copybook.fields.map((f) => ({
      level: f.level,
      name: f.name,
      key: f.key,
      path: [...f.path],
      offset: f.offset,
      start: f.start,
      end: f.end,
      length: f.length,
      dataLength: f.dataLength,
      type: f.dataType,
      usage: f.usage,
      picture: f.picture ?? null,
      signed: f.signed,
      digits: f.digits,
      scale: f.scale,
      occurs: f.occurs === undefined ? null : { ...f.occurs },
      redefines: f.redefines ?? null,
      isRedefined: f.isRedefined,
      isFiller: f.isFiller,
      conditions: f.conditions.map((k) => ({ name: k.name, values: k.values.map((v) => ({ ...v })) })),
      line: f.line,
    })),
    notes: [...copybook.notes],
  };
}

/** A decoded value as JSON: integers beyond 2^53 (bigint) become their decimal string. */
function jsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  }
  return value;
}

// ─── Routes ────────────────────────────────────────────────────────────────────────────────────────────

/**
 * MVP3 over HTTP (@mainframe-kb/plugin-code): upload and analyse COBOL / JCL / copybooks, browse what the
 * analysers found, lay out copybooks, decode mainframe records with them, and link code to KB entries.
 * Each route answers 501 EXTENSION_NOT_ENABLED on a store without the plugin; the store checks every
 * operation's role again (code.* permissions).
 */
export function codeRoutes(app: OpenAPIHono<AppEnv>, { storage }: AppDeps): void {
  app.openapi(upload, async (c) => {
    const api = codeApi(storage);
    const { path, repository = IMPORTED_REPOSITORY, language } = c.req.valid('query');
    const text = await sourceText(c);
    const lang = languageOf(path, text, language);
    // A source the analyser cannot read at all would be stored as `unknown` with that one error: refused.
    const preview = await api.analyze(path, text, lang);
    if (preview.structure.language === 'unknown') {
      const issue = preview.issues.find((i) => i.severity === 'error');
      refuse(`${path} cannot be analysed as ${lang}: ${issue?.code ?? 'SYNTAX'}: ${issue?.message ?? ''}`);
    }
    const existed = (await api.getCodeAnalysis({ path, repository, limit: 1 })).length > 0;
    const id = await api.storeCodeAnalysis({ path, content: text, language: lang, repository });
    const file = await fileWithLinks(api, await api.getFile(id));
    c.header('location', `/api/code/files/${encodeURIComponent(id)}`);
    if (existed) return c.json(file, 200);
    return c.json(file, 201);
  });

  app.openapi(analyze, async (c) => {
    const api = codeApi(storage);
    const { path, language } = c.req.valid('query');
    const text = await sourceText(c);
    return c.json(await api.analyze(path, text, languageOf(path, text, language)), 200);
  });

  app.openapi(layoutOfUpload, async (c) => {
    codeApi(storage);
    const { path = 'upload.cpy', record } = c.req.valid('query');
    const text = await sourceText(c);
    if (/\b(IDENTIFICATION|ID)\s+DIVISION\b/i.test(text)) {
      const layouts = parsing('program', () => extractRecordLayouts(text, { file: path }));
      const records = layouts.map((l) => ({
        name: l.name,
        section: l.section,
        ...(l.fd === undefined ? {} : { fd: l.fd }),
      }));
      const chosen =
        record === undefined
          ? layouts[0]
          : layouts.find((l) => l.name.toUpperCase() === record.toUpperCase());
      if (!chosen) {
        refuse(
          `${path} has no record ${record ?? ''}; it has ${records.map((r) => r.name).join(', ') || 'none'}`,
          'record',
        );
      }
      return c.json({ ...layoutOf(chosen!.name, chosen!.copybook), records }, 200);
    }
    if (record !== undefined)
      refuse('?record= picks a record of a COBOL program; this is a copybook', 'record');
    const copybook = parsing('copybook', () => parseCopybook(text, { file: path }));
    return c.json(layoutOf(copybook.roots[0]?.name ?? path, copybook), 200);
  });

  app.openapi(decode, async (c) => {
    const api = codeApi(storage);
    const q = c.req.valid('query');
    const copybook = await api.copybook(q.copybook);
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.length === 0) refuse('the upload is empty: send the data set as the request body');
    const offset = q.offset ?? 0;
    const limit = q.limit ?? DEFAULT_LIMIT;
    const errors: { record: number; byteOffset: number; reason: string; message: string }[] = [];
    const options: DecodeOptions = {
      encoding: q.encoding ?? 'cp037',
      recordFormat: q.format ?? 'F',
      ...(q.recordLength === undefined ? {} : { recordLength: q.recordLength }),
      rdw: {
        ...(q.rdwByteOrder === undefined ? {} : { byteOrder: q.rdwByteOrder }),
        ...(q.rdwIncludesHeader === undefined ? {} : { includesHeader: q.rdwIncludesHeader }),
      },
      ...(q.floatingPoint === undefined ? {} : { floatingPointFormat: q.floatingPoint }),
      ...(q.strictSignOverpunching === undefined ? {} : { strictSignOverpunching: q.strictSignOverpunching }),
      ...(q.variableSizeOccurs === undefined ? {} : { variableSizeOccurs: q.variableSizeOccurs }),
      ...(q.improvedNullDetection === undefined ? {} : { improvedNullDetection: q.improvedNullDetection }),
      ...(q.dropFillers === undefined ? {} : { dropFillers: q.dropFillers }),
      file: q.copybook,
      onRecordError: (e: RecordDecodeError) =>
        errors.push({
          record: e.recordIndex,
          byteOffset: e.byteOffset,
          reason: e.reason,
          message: e.message,
        }),
    };
    const records: { index: number; values: Record<string, unknown> }[] = [];
    let decoded = 0;
    let next: number | undefined;
    parsing('data', () => {
      for (const record of decodeRecords(bytes, copybook, options)) {
        // Every record read is either yielded or reported (and skipped): together they give its number.
        const index = decoded + errors.length;
        decoded++;
        if (decoded <= offset) continue;
        if (records.length === limit) {
          next = index;
          break;
        }
        records.push({ index, values: jsonSafe(record) as Record<string, unknown> });
      }
    });
    const met = errors.filter((e) => next === undefined || e.record < next);
    if (records.length === 0 && offset === 0 && met.length > 0) {
      const message = `no record of the data could be decoded with ${q.copybook} (${copybook.recordLength}-byte records): ${met[0]!.message}`;
      throw new ValidationError(
        message,
        met.slice(0, 100).map((e) => ({ path: `record ${e.record}`, message: e.message })),
      );
    }
    return c.json(
      {
        copybook: q.copybook,
        recordLength: q.recordLength ?? copybook.recordLength,
        encoding: options.encoding ?? 'cp037',
        format: options.recordFormat ?? 'F',
        bytes: bytes.length,
        offset,
        records,
        errors: met,
        more: next !== undefined,
      },
      200,
    );
  });

  app.openapi(listFiles, async (c) => {
    const api = codeApi(storage);
    const { limit = DEFAULT_LIMIT, offset = 0, withErrors, ...criteria } = c.req.valid('query');
    const found = await api.getCodeAnalysis({
      ...criteria,
      ...(withErrors === undefined ? {} : { withErrors }),
      limit: limit + 1,
      offset,
    });
    const files = found.slice(0, limit).map(({ structure: _structure, issues, ...file }) => ({
      ...file,
      issueCount: issues.length,
      errorCount: issues.filter((i) => i.severity === 'error').length,
    }));
    return c.json({ files, offset, limit, hasMore: found.length > limit }, 200);
  });

  app.openapi(readFile, async (c) => {
    const api = codeApi(storage);
    const { id } = c.req.valid('param');
    const file = await api.getFile(id, c.req.valid('query').repository);
    return c.json(await fileWithLinks(api, file), 200);
  });

  app.openapi(storedLayout, async (c) => {
    const { name } = c.req.valid('param');
    const copybook = await codeApi(storage).copybook(name);
    return c.json(layoutOf(copybook.roots[0]?.name ?? name, copybook), 200);
  });

  app.openapi(listRepositories, async (c) =>
    c.json({ repositories: await codeApi(storage).repositories() }, 200),
  );

  app.openapi(removeRepository, async (c) => {
    const { name } = c.req.valid('param');
    if (!(await codeApi(storage).removeRepository(name))) throw new NotFoundError('code repository', name);
    return c.body(null, 204);
  });

  app.openapi(search, async (c) => {
    const { q, kinds, limit } = c.req.valid('query');
    const kindList = kinds
      ?.split(',')
      .map((k) => k.trim().toLowerCase())
      .filter((k) => k !== '');
    const hits = await codeApi(storage).searchCode(q, {
      ...(kindList?.length ? { kinds: kindList } : {}),
      ...(limit === undefined ? {} : { limit }),
    });
    return c.json({ hits }, 200);
  });

  app.openapi(suggestLinks, async (c) => {
    const { codeFileId, limit } = c.req.valid('query');
    const suggestions = await codeApi(storage).suggestLinks(codeFileId, {
      ...(limit === undefined ? {} : { limit }),
    });
    return c.json({ suggestions }, 200);
  });

  app.openapi(listLinks, async (c) =>
    c.json({ links: await codeApi(storage).links(c.req.valid('query')) }, 200),
  );

  app.openapi(createLink, async (c) => {
    const { codeFileId, kbEntryId, linkType = 'related', ...options } = c.req.valid('json');
    const link = await codeApi(storage).link(codeFileId, kbEntryId, linkType as LinkType, options);
    return c.json(link, 201);
  });

  app.openapi(removeLink, async (c) => {
    const { id } = c.req.valid('param');
    if (!(await codeApi(storage).unlink(id))) throw new NotFoundError('code link', id);
    return c.body(null, 204);
  });
}
