import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import {
  assertTemplate,
  checkOutput,
  checkTemplate,
  compileTemplate,
  libraryManifestSchema,
  type ParameterDefinition,
  type ParameterRule,
  parseParameterSet,
  type TemplatesApi,
  type TemplateVersion,
  type templatesPlugin,
  validateParameters,
} from '@mainframe-kb/plugin-templates';
import { NotFoundError, ValidationError } from '@mainframe-kb/storage-core';
import type { AppDeps, AppEnv } from '../app-env.js';
import { minRole } from '../app-env.js';
import { json, jsonBody, problems } from '../schemas.js';
import {
  DiffQuerySchema,
  DiffSchema,
  LibraryExportQuerySchema,
  LibraryImportResultSchema,
  LibrarySchema,
  OutcomeRequestSchema,
  OutputCheckRequestSchema,
  OutputCheckResultSchema,
  PreviewRequestSchema,
  PreviewResultSchema,
  RenderRequestSchema,
  RenderResultSchema,
  RollbackSchema,
  TemplateChangeSchema,
  TemplateDetailSchema,
  TemplateInputSchema,
  TemplateListQuerySchema,
  TemplateRefParamSchema,
  TemplateSchema,
  TemplateVersionSchema,
  VersionQuerySchema,
} from './templates-schemas.js';

// Roles are those of plugin-templates' permission map: templates.read and templates.render are the viewer's,
// templates.write and templates.outcome the editor's, templates.delete the admin's.

const tags = ['templates'];

const list = createRoute({
  method: 'get',
  path: '/api/templates',
  tags,
  summary: 'List or search templates, best success rate first (active ones unless status says otherwise)',
  request: { query: TemplateListQuerySchema },
  responses: {
    200: json(z.object({ templates: z.array(TemplateSchema) }), 'the templates'),
    ...problems(401, 422, 501),
  },
});

const create = createRoute({
  method: 'post',
  path: '/api/templates',
  tags,
  summary: 'Create a template and its version 1 (editor); the text may use only its declared parameters',
  middleware: [minRole('editor')] as const,
  request: { body: jsonBody(TemplateInputSchema) },
  responses: {
    201: json(TemplateDetailSchema, 'the template as stored'),
    ...problems(401, 403, 404, 409, 413, 422, 501),
  },
});

const preview = createRoute({
  method: 'post',
  path: '/api/templates/preview',
  tags,
  summary:
    "Preview an editor's draft: its text and parameters checked, rendered with the form's values, and the output checked against COBOL / JCL columns; nothing is stored",
  request: { body: jsonBody(PreviewRequestSchema) },
  responses: {
    200: json(PreviewResultSchema, 'the output and the column problems left in it'),
    ...problems(401, 413, 422, 501),
  },
});

const check = createRoute({
  method: 'post',
  path: '/api/templates/check',
  tags,
  summary:
    'Check any text against the COBOL reference format or the JCL statement fields (optionally wrapped)',
  request: { body: jsonBody(OutputCheckRequestSchema) },
  responses: { 200: json(OutputCheckResultSchema, 'the problems'), ...problems(401, 413, 422, 501) },
});

const exportLibrary = createRoute({
  method: 'get',
  path: '/api/templates/library/export',
  tags,
  summary: 'The template library as JSON: the manifest (with sha256 of each file) and the current texts',
  request: { query: LibraryExportQuerySchema },
  responses: { 200: json(LibrarySchema, 'the library'), ...problems(401, 422, 501) },
});

const importLibrary = createRoute({
  method: 'post',
  path: '/api/templates/library/import',
  tags,
  summary:
    'Import a library (editor): every file checked against its sha256 first, then each template added, versioned or left unchanged in one write',
  middleware: [minRole('editor')] as const,
  request: { body: jsonBody(LibrarySchema) },
  responses: {
    200: json(LibraryImportResultSchema, 'what the import did'),
    ...problems(401, 403, 409, 413, 422, 501),
  },
});

const read = createRoute({
  method: 'get',
  path: '/api/templates/{name}',
  tags,
  summary: 'One template: its counters, a version with its text and parameters, and the list of versions',
  request: { params: TemplateRefParamSchema, query: VersionQuerySchema },
  responses: { 200: json(TemplateDetailSchema, 'the template'), ...problems(401, 404, 422, 501) },
});

const update = createRoute({
  method: 'patch',
  path: '/api/templates/{name}',
  tags,
  summary: 'Change a template (editor): new text, parameters or rules make a new version, never an edit',
  middleware: [minRole('editor')] as const,
  request: { params: TemplateRefParamSchema, body: jsonBody(TemplateChangeSchema) },
  responses: {
    200: json(TemplateDetailSchema, 'the template after the change'),
    ...problems(401, 403, 404, 413, 422, 501),
  },
});

const remove = createRoute({
  method: 'delete',
  path: '/api/templates/{name}',
  tags,
  summary: 'Delete a template never used in a recorded outcome (admin); a used one can only be retired',
  middleware: [minRole('admin')] as const,
  request: { params: TemplateRefParamSchema },
  responses: { 204: { description: 'deleted' }, ...problems(401, 403, 404, 409, 501) },
});

const versions = createRoute({
  method: 'get',
  path: '/api/templates/{name}/versions',
  tags,
  summary: 'Every version of a template with its text, parameters and rules, oldest first',
  request: { params: TemplateRefParamSchema },
  responses: {
    200: json(z.object({ versions: z.array(TemplateVersionSchema) }), 'the versions'),
    ...problems(401, 404, 501),
  },
});

const diff = createRoute({
  method: 'get',
  path: '/api/templates/{name}/diff',
  tags,
  summary: 'A unified diff between two versions of a template',
  request: { params: TemplateRefParamSchema, query: DiffQuerySchema },
  responses: { 200: json(DiffSchema, 'the diff'), ...problems(401, 404, 422, 501) },
});

const rollback = createRoute({
  method: 'post',
  path: '/api/templates/{name}/rollback',
  tags,
  summary: 'Make a new version with the text, parameters and rules of an old one (editor)',
  middleware: [minRole('editor')] as const,
  request: { params: TemplateRefParamSchema, body: jsonBody(RollbackSchema) },
  responses: {
    200: json(TemplateDetailSchema, 'the template at its new version'),
    ...problems(401, 403, 404, 422, 501),
  },
});

const render = createRoute({
  method: 'post',
  path: '/api/templates/{name}/render',
  tags,
  summary:
    "Render a template with the parameter form's values (recorded as a use); bad values are a 422 problem whose issues name each parameter",
  description:
    'Every missing, unknown or invalid value is named: `issues[].path` is the parameter name (`rules.N` for a broken cross-parameter rule). The output is checked against its language: lines past the last column are wrapped where allowed, and what is left is in `problems`. A retired template renders only when a version is named.',
  request: { params: TemplateRefParamSchema, body: jsonBody(RenderRequestSchema) },
  responses: {
    200: json(RenderResultSchema, 'the output and its problems'),
    ...problems(401, 404, 409, 413, 422, 501),
  },
});

const outcome = createRoute({
  method: 'post',
  path: '/api/templates/{name}/outcome',
  tags,
  summary: 'Record whether a rendered fix worked (editor): the success rate ranks the list',
  middleware: [minRole('editor')] as const,
  request: { params: TemplateRefParamSchema, body: jsonBody(OutcomeRequestSchema) },
  responses: {
    200: json(TemplateSchema, 'the template with its counters after it'),
    ...problems(401, 403, 404, 422, 501),
  },
});

const retire = createRoute({
  method: 'post',
  path: '/api/templates/{name}/retire',
  tags,
  summary: 'Retire a template (editor): kept with its versions, no longer listed or rendered by default',
  middleware: [minRole('editor')] as const,
  request: { params: TemplateRefParamSchema },
  responses: { 200: json(TemplateSchema, 'the retired template'), ...problems(401, 403, 404, 501) },
});

/** The stored definitions are the plugin's own, normalised when the version was written. */
function typedVersion(v: TemplateVersion) {
  return {
    ...v,
    parameters: v.parameters as ParameterDefinition[],
    rules: v.rules as ParameterRule[],
  };
}

async function detail(api: TemplatesApi, ref: string, version?: number) {
  const template = await api.getTemplate(ref);
  const all = await api.versions(template.id);
  const wanted = version ?? template.currentVersion;
  const chosen = all.find((v) => v.version === wanted);
  if (chosen === undefined) throw new NotFoundError(`version of template ${template.name}`, String(wanted));
  return {
    template,
    version: typedVersion(chosen),
    versions: all.map(({ version: n, author, changeNote, contentHash, createdAt }) => ({
      version: n,
      author,
      changeNote,
      contentHash,
      createdAt,
    })),
  };
}

/** A library sent over HTTP, checked before anything touches the disk: each file named, present and intact. */
function checkLibraryFiles(manifest: z.output<typeof libraryManifestSchema>, files: Record<string, string>) {
  const issues: { path: string; message: string }[] = [];
  const named = new Set(manifest.templates.map((t) => t.file));
  for (const entry of manifest.templates) {
    const text = files[entry.file];
    if (text === undefined) {
      issues.push({ path: `files.${entry.file}`, message: `missing: manifest entry ${entry.name} names it` });
    } else if (createHash('sha256').update(text, 'utf8').digest('hex') !== entry.sha256) {
      issues.push({ path: `files.${entry.file}`, message: 'does not match its sha256 in the manifest' });
    }
  }
  for (const file of Object.keys(files)) {
    if (!named.has(file)) issues.push({ path: `files.${file}`, message: 'not named by the manifest' });
  }
  if (issues.length > 0) {
    throw new ValidationError(
      `the library is not intact: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
}

/** Runs `fn` on a fresh, private folder, removed afterwards whatever happens. */
async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'kb-demo-library-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** MVP4 over HTTP: templates, their versions and diffs, rendering with checked columns, outcomes, a library. */
export function templatesRoutes(app: OpenAPIHono<AppEnv>, { storage }: AppDeps): void {
  // Throws EXTENSION_NOT_ENABLED (501) when the store runs without plugin-templates.
  const templates = (): TemplatesApi => storage.plugin<typeof templatesPlugin>('templates');

  app.openapi(list, async (c) => {
    const query = c.req.valid('query');
    return c.json({ templates: await templates().getTemplates(query) }, 200);
  });

  app.openapi(create, async (c) => {
    const api = templates();
    const id = await api.storeTemplate(c.req.valid('json'));
    c.header('location', `/api/templates/${encodeURIComponent(id)}`);
    return c.json(await detail(api, id), 201);
  });

  app.openapi(preview, async (c) => {
    templates();
    const draft = c.req.valid('json');
    const set = parseParameterSet({ parameters: draft.parameters, rules: draft.rules });
    const checked = checkTemplate(draft.content, set);
    // Each problem's message names its line and column (an unknown name, a partial, an unclosed section …).
    if (!checked.ok) assertTemplate(draft.content, set);
    const valid = validateParameters(set, draft.values).values;
    const text = compileTemplate(draft.content, set).render(valid);
    const out = checkOutput(text, draft.language, { wrap: draft.wrap });
    return c.json(
      {
        text: out.text,
        wrapped: [...out.wrapped],
        problems: [...out.problems],
        variables: checked.variables,
        unused: checked.unused,
      },
      200,
    );
  });

  app.openapi(check, async (c) => {
    templates();
    const { language, text, wrap } = c.req.valid('json');
    const out = checkOutput(text, language, { wrap });
    return c.json({ text: out.text, wrapped: [...out.wrapped], problems: [...out.problems] }, 200);
  });

  app.openapi(exportLibrary, async (c) => {
    const api = templates();
    const { includeRetired } = c.req.valid('query');
    const library = await withTempDir(async (dir) => {
      const folder = join(dir, 'library');
      await api.exportLibrary(folder, { includeRetired: includeRetired ?? false });
      const manifest = libraryManifestSchema.parse(
        JSON.parse(await readFile(join(folder, 'manifest.json'), 'utf8')),
      );
      const files: Record<string, string> = {};
      for (const entry of manifest.templates) {
        files[entry.file] = await readFile(join(folder, 'templates', entry.file), 'utf8');
      }
      return { manifest, files };
    });
    return c.json(library, 200);
  });

  app.openapi(importLibrary, async (c) => {
    const api = templates();
    const { manifest, files } = c.req.valid('json');
    checkLibraryFiles(manifest, files);
    const result = await withTempDir(async (dir) => {
      await mkdir(join(dir, 'templates'));
      await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
      // The names are plain file names (the manifest schema's pattern): nothing is written outside `dir`.
      for (const entry of manifest.templates) {
        await writeFile(join(dir, 'templates', entry.file), files[entry.file] as string, 'utf8');
      }
      return api.importLibrary(dir);
    });
    return c.json(result, 200);
  });

  app.openapi(read, async (c) => {
    const { name } = c.req.valid('param');
    return c.json(await detail(templates(), name, c.req.valid('query').version), 200);
  });

  app.openapi(update, async (c) => {
    const api = templates();
    const { name } = c.req.valid('param');
    const changed = await api.updateTemplate(name, c.req.valid('json'));
    return c.json(await detail(api, changed.id), 200);
  });

  app.openapi(remove, async (c) => {
    const { name } = c.req.valid('param');
    if (!(await templates().deleteTemplate(name))) throw new NotFoundError('template', name);
    return c.body(null, 204);
  });

  app.openapi(versions, async (c) => {
    const all = await templates().versions(c.req.valid('param').name);
    return c.json({ versions: all.map(typedVersion) }, 200);
  });

  app.openapi(diff, async (c) => {
    const { name } = c.req.valid('param');
    const { from, to } = c.req.valid('query');
    return c.json({ from, to, diff: await templates().diff(name, from, to) }, 200);
  });

  app.openapi(rollback, async (c) => {
    const api = templates();
    const { name } = c.req.valid('param');
    const { version, note } = c.req.valid('json');
    const created = await api.rollback(name, version, note);
    return c.json(await detail(api, created.templateId), 200);
  });

  app.openapi(render, async (c) => {
    const { name } = c.req.valid('param');
    const { values, version, wrap } = c.req.valid('json');
    const result = await templates().render(name, values, {
      ...(version === undefined ? {} : { version }),
      ...(wrap === undefined ? {} : { wrap }),
    });
    return c.json(result, 200);
  });

  app.openapi(outcome, async (c) => {
    const { name } = c.req.valid('param');
    return c.json(await templates().recordOutcome(name, c.req.valid('json')), 200);
  });

  app.openapi(retire, async (c) => c.json(await templates().retire(c.req.valid('param').name), 200));
}
