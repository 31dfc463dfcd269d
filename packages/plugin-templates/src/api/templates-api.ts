import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  NotFoundError,
  type PluginContext,
  StorageError,
  StorageErrorCode,
  ValidationError,
  validateInput,
  type WriteScope,
} from '@mainframe-kb/storage-core';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import {
  fileNameOf,
  LIBRARY_FORMAT,
  LIBRARY_FORMAT_VERSION,
  type LibraryEntry,
  type LibraryManifest,
  libraryManifestSchema,
} from '../library/library-manifest.js';
import type {
  ProjectWorkspaceRow,
  TemplateRow,
  TemplatesDatabase,
  TemplateVersionRow,
} from '../schema/templates-database.js';
import type {
  AnalysisIssue,
  OutcomeInput,
  RenderOptions,
  RenderProblem,
  RenderResult,
  Template,
  TemplateChange,
  TemplateCriteria,
  TemplateInput,
  TemplateVersion,
  Workspace,
  WorkspaceInput,
  WorkspaceMember,
} from '../types.js';
import { unifiedDiff } from '../versions/line-diff.js';
import { readWorkspace, type WorkspaceModel, writeWorkspace } from '../workspace/index.js';
import { checkDefinition, renderChecked } from './engine.js';

export type TemplatesContext = PluginContext<TemplatesDatabase, Readonly<Record<string, unknown>>>;
type Scope = WriteScope<TemplatesDatabase>;

const language = z.enum(['cobol', 'jcl', 'text']);
const name = z
  .string()
  .trim()
  .min(1)
  .max(128)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    'letters, digits, dot, underscore and dash, starting with a letter or digit',
  );
const codes = z.array(z.string().trim().min(1).max(48)).max(64);

const inputSchema = z.strictObject({
  name,
  description: z.string().trim().min(1).max(10_000),
  language,
  category: z.string().trim().min(1).max(64),
  content: z
    .string()
    .min(1)
    .max(4 * 1024 * 1024),
  parameters: z.array(z.unknown()).max(500).default([]),
  rules: z.array(z.unknown()).max(500).default([]),
  errorCodes: codes.default([]),
  tags: codes.default([]),
  kbEntryIds: z.array(z.string().min(1).max(64)).max(100).default([]),
  changeNote: z.string().max(2_000).default('created'),
});

type ValidInput = z.output<typeof inputSchema>;
type ValidChange = z.output<typeof changeSchema>;

/** A change: only what is given (no defaults, so an absent field keeps its value). */
const changeSchema = z.strictObject({
  description: z.string().trim().min(1).max(10_000).optional(),
  language: language.optional(),
  category: z.string().trim().min(1).max(64).optional(),
  content: z
    .string()
    .min(1)
    .max(4 * 1024 * 1024)
    .optional(),
  parameters: z.array(z.unknown()).max(500).optional(),
  rules: z.array(z.unknown()).max(500).optional(),
  errorCodes: codes.optional(),
  tags: codes.optional(),
  changeNote: z.string().max(2_000).optional(),
});

const memberSchema = z.strictObject({
  name: z.string().min(1).max(64),
  type: z.enum(['cobol', 'copybook', 'jcl', 'pli', 'asm', 'rexx', 'other']),
  path: z
    .string()
    .min(1)
    .max(1024)
    .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'a relative path without ..'),
  dataset: z.string().max(54).optional(),
  size: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

const workspaceSchema = z.strictObject({
  name: z.string().trim().min(1).max(128),
  idzProjectPath: z.string().max(1024).nullable(),
  localPath: z.string().max(4096).nullable(),
  members: z.array(memberSchema).max(100_000),
  metadata: z.record(z.string(), z.unknown()),
});

const criteriaSchema = z.strictObject({
  text: z.string().max(500).optional(),
  language: language.optional(),
  category: z.string().optional(),
  kbEntryId: z.string().optional(),
  errorCode: z.string().optional(),
  status: z.enum(['active', 'retired', 'all']).default('active'),
  limit: z.number().int().min(1).max(5_000).default(100),
});

const renderOptionsSchema = z.strictObject({
  version: z.number().int().min(1).optional(),
  wrap: z.boolean().default(true),
});

const outcomeSchema = z.strictObject({
  worked: z.boolean(),
  version: z.number().int().min(1).optional(),
  note: z.string().max(2_000).optional(),
});

/** The seed's ranking of fixes: successes + 1 over outcomes + 2, so one lucky outcome does not top the list. */
export function bayesianSuccessRate(successes: number, failures: number): number {
  return (successes + 1) / (successes + failures + 2);
}

function versionHash(content: string, parameters: string, rules: string): string {
  return createHash('sha256')
    .update(content)
    .update('\u0000')
    .update(parameters)
    .update('\u0000')
    .update(rules)
    .digest('hex');
}

/** The plugin's typed API: `storage.plugin(templatesPlugin)`. */
export interface TemplatesApi {
  /** The seed's `storeTemplate`: creates a template and its version 1; returns its id. */
  storeTemplate(input: TemplateInput): Promise<string>;
  /** The seed's `getTemplates`: active templates by default, best success rate first. */
  getTemplates(criteria?: TemplateCriteria): Promise<Template[]>;
  getTemplate(idOrName: string): Promise<Template>;
  /** Records a change: a new version when content, parameters or rules change (never an edit in place). */
  updateTemplate(idOrName: string, change: TemplateChange): Promise<Template>;
  versions(idOrName: string): Promise<TemplateVersion[]>;
  version(idOrName: string, version?: number): Promise<TemplateVersion>;
  /** A unified diff between two versions. */
  diff(idOrName: string, from: number, to: number): Promise<string>;
  /** A new version with the content, parameters and rules of `version`. */
  rollback(idOrName: string, version: number, note?: string): Promise<TemplateVersion>;
  /** Renders a version with values: refused with every bad parameter named; the output checked for its language. */
  render(idOrName: string, values: Record<string, unknown>, options?: RenderOptions): Promise<RenderResult>;
  recordOutcome(idOrName: string, outcome: OutcomeInput): Promise<Template>;
  retire(idOrName: string): Promise<Template>;
  /** Deletes a template never used in a recorded outcome; one that was is refused: retire it. */
  deleteTemplate(idOrName: string): Promise<boolean>;
  linkKbEntry(idOrName: string, kbEntryId: string): Promise<void>;
  unlinkKbEntry(idOrName: string, kbEntryId: string): Promise<boolean>;
  linkPattern(idOrName: string, patternId: string): Promise<void>;
  /** Writes every active template (or all with `includeRetired`) as a library folder: manifest + one file each. */
  exportLibrary(
    folder: string,
    options?: { includeRetired?: boolean },
  ): Promise<{ templates: number; folder: string }>;
  /**
   * Reads a library folder in one write: new names are added, changed ones get a new version, the rest are
   * unchanged. Every file's hash is checked first; nothing is written when one differs or is missing.
   */
  importLibrary(folder: string): Promise<{ added: number; updated: number; unchanged: number }>;
  /** Creates or replaces (by name) a project workspace. */
  saveWorkspace(workspace: WorkspaceInput): Promise<Workspace>;
  workspaces(): Promise<Workspace[]>;
  workspace(name: string): Promise<Workspace>;
  removeWorkspace(name: string): Promise<boolean>;
  /** Reads an IDz / Eclipse z/OS project folder (`.project`, `zapp.yaml`, member folders) and saves it. */
  importWorkspace(folder: string, options?: { name?: string }): Promise<Workspace>;
  /**
   * Writes a stored workspace back as a project folder; with `withMembers`, the members' files are copied from
   * the folder it was imported from, each only when its bytes still have the recorded sha256.
   */
  exportWorkspace(
    name: string,
    folder: string,
    options?: { withMembers?: boolean },
  ): Promise<{ folder: string; files: string[]; membersWritten: number }>;
}

export function createTemplatesApi(ctx: TemplatesContext): TemplatesApi {
  const db = ctx.db;

  async function row(tdb: Kysely<TemplatesDatabase>, idOrName: string): Promise<TemplateRow> {
    const found = await tdb
      .selectFrom('code_templates')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
      .executeTakeFirst();
    if (!found) throw new NotFoundError('template', idOrName);
    return found;
  }

  async function versionRow(
    tdb: Kysely<TemplatesDatabase>,
    template: TemplateRow,
    version?: number,
  ): Promise<TemplateVersionRow> {
    const v = version ?? template.current_version;
    const found = await tdb
      .selectFrom('template_versions')
      .selectAll()
      .where('template_id', '=', template.id)
      .where('version', '=', v)
      .executeTakeFirst();
    if (!found) throw new NotFoundError(`version of template ${template.name}`, String(v));
    return found;
  }

  async function toTemplate(tdb: Kysely<TemplatesDatabase>, r: TemplateRow): Promise<Template> {
    const kb = await tdb
      .selectFrom('template_kb_links')
      .select('kb_entry_id')
      .where('template_id', '=', r.id)
      .orderBy('kb_entry_id')
      .execute();
    const patterns = await tdb
      .selectFrom('template_pattern_links')
      .select('pattern_id')
      .where('template_id', '=', r.id)
      .orderBy('pattern_id')
      .execute();
    return {
      id: r.id,
      name: r.name,
      description: r.description,
      language: r.language,
      category: r.category,
      status: r.status,
      currentVersion: Number(r.current_version),
      errorCodes: JSON.parse(r.error_codes) as string[],
      tags: JSON.parse(r.tags) as string[],
      usageCount: Number(r.usage_count),
      successCount: Number(r.success_count),
      failureCount: Number(r.failure_count),
      successRate: Number(r.success_rate),
      kbEntryIds: kb.map((k) => k.kb_entry_id),
      patternIds: patterns.map((p) => p.pattern_id),
      createdBy: r.created_by,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  /** Writes a version after checking the content against its parameters (unknown names, partials …). */
  async function addVersion(
    scope: Scope,
    templateId: string,
    version: number,
    content: string,
    parameters: unknown[],
    rules: unknown[],
    note: string,
  ): Promise<TemplateVersionRow> {
    const checked = checkDefinition(content, parameters, rules);
    const p = JSON.stringify(checked.parameters);
    const r = JSON.stringify(checked.rules);
    const v: TemplateVersionRow = {
      template_id: templateId,
      version,
      content,
      parameters: p,
      validation_rules: r,
      content_hash: versionHash(content, p, r),
      author: scope.actor.id,
      change_note: note,
      created_at: scope.now,
    };
    await scope.trx.insertInto('template_versions').values(v).execute();
    return v;
  }

  async function requireKbEntries(tdb: Kysely<TemplatesDatabase>, ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      const found = await tdb.selectFrom('kb_entries').select('id').where('id', '=', id).executeTakeFirst();
      if (!found) throw new NotFoundError('KB entry', id);
    }
  }

  /** Creates a template and its version 1 in the caller's write; refuses a name that is taken. */
  async function insertTemplate(scope: Scope, valid: ValidInput): Promise<string> {
    const taken = await scope.trx
      .selectFrom('code_templates')
      .select('id')
      .where('name', '=', valid.name)
      .executeTakeFirst();
    if (taken) {
      throw new StorageError(
        StorageErrorCode.CONFLICT,
        `a template named ${valid.name} exists; change it with updateTemplate`,
        {
          details: { name: valid.name, id: taken.id },
        },
      );
    }
    await requireKbEntries(scope.trx, valid.kbEntryIds);
    const id = randomUUID();
    await scope.trx
      .insertInto('code_templates')
      .values({
        id,
        name: valid.name,
        description: valid.description,
        language: valid.language,
        category: valid.category,
        status: 'active',
        current_version: 1,
        error_codes: JSON.stringify(valid.errorCodes),
        tags: JSON.stringify(valid.tags),
        usage_count: 0,
        success_count: 0,
        failure_count: 0,
        success_rate: bayesianSuccessRate(0, 0),
        created_by: scope.actor.id,
        created_at: scope.now,
        updated_at: scope.now,
      })
      .execute();
    await addVersion(scope, id, 1, valid.content, valid.parameters, valid.rules, valid.changeNote);
    for (const kbId of valid.kbEntryIds) {
      await scope.trx
        .insertInto('template_kb_links')
        .values({ template_id: id, kb_entry_id: kbId, created_at: scope.now })
        .execute();
    }
    scope.audit({
      action: 'create',
      entity: 'code_template',
      entityId: id,
      detail: { name: valid.name, version: 1 },
    });
    return id;
  }

  /**
   * Applies a change in the caller's write: a new version when the content, parameters or rules differ from
   * the current version's (never an edit in place); returns whether a version was made.
   */
  async function applyChange(scope: Scope, current: TemplateRow, valid: ValidChange): Promise<boolean> {
    const latest = await versionRow(scope.trx, current);
    const content = valid.content ?? latest.content;
    const parameters = valid.parameters ?? (JSON.parse(latest.parameters) as unknown[]);
    const rules = valid.rules ?? (JSON.parse(latest.validation_rules) as unknown[]);
    const changed =
      JSON.stringify([content, parameters, rules]) !==
      JSON.stringify([latest.content, JSON.parse(latest.parameters), JSON.parse(latest.validation_rules)]);
    let version = Number(current.current_version);
    if (changed) {
      const last = await scope.trx
        .selectFrom('template_versions')
        .select((eb) => eb.fn.max<number>('version').as('v'))
        .where('template_id', '=', current.id)
        .executeTakeFirstOrThrow();
      version = Number(last.v) + 1;
      await addVersion(scope, current.id, version, content, parameters, rules, valid.changeNote ?? 'changed');
    }
    // Only the fields whose value differs: a change to nothing changes nothing.
    const given: Partial<
      Pick<TemplateRow, 'description' | 'language' | 'category' | 'error_codes' | 'tags'>
    > = {
      ...(valid.description === undefined ? {} : { description: valid.description }),
      ...(valid.language === undefined ? {} : { language: valid.language }),
      ...(valid.category === undefined ? {} : { category: valid.category }),
      ...(valid.errorCodes === undefined ? {} : { error_codes: JSON.stringify(valid.errorCodes) }),
      ...(valid.tags === undefined ? {} : { tags: JSON.stringify(valid.tags) }),
    };
    const fields = Object.fromEntries(
      Object.entries(given).filter(([key, value]) => current[key as keyof typeof given] !== value),
    ) as typeof given;
    if (!changed && Object.keys(fields).length === 0) return false;
    await scope.trx
      .updateTable('code_templates')
      .set({ ...fields, current_version: version, updated_at: scope.now })
      .where('id', '=', current.id)
      .execute();
    scope.audit({
      action: 'update',
      entity: 'code_template',
      entityId: current.id,
      detail: { version, newVersion: changed },
    });
    return true;
  }

  const api: TemplatesApi = {
    async storeTemplate(input) {
      const valid = validateInput(inputSchema, input, 'template');
      return ctx.write('templates.write', (scope) => insertTemplate(scope, valid));
    },

    async getTemplates(criteria = {}) {
      const c = validateInput(criteriaSchema, criteria, 'criteria');
      return ctx.read('templates.read', async () => {
        let q = db.selectFrom('code_templates').selectAll('code_templates');
        if (c.status !== 'all') q = q.where('code_templates.status', '=', c.status);
        if (c.language) q = q.where('code_templates.language', '=', c.language);
        if (c.category) q = q.where('code_templates.category', '=', c.category);
        if (c.kbEntryId) {
          q = q.where('code_templates.id', 'in', (eb) =>
            eb.selectFrom('template_kb_links').select('template_id').where('kb_entry_id', '=', c.kbEntryId!),
          );
        }
        const rows = await q
          .orderBy('code_templates.success_rate', 'desc')
          .orderBy('code_templates.usage_count', 'desc')
          .orderBy('code_templates.name')
          .execute();
        // Text and error codes are matched here: they live in text and JSON columns, alike on every dialect.
        const words = (c.text ?? '').toLowerCase().split(/\s+/).filter(Boolean);
        const code = c.errorCode?.toUpperCase();
        const out: Template[] = [];
        for (const r of rows) {
          if (code && !(JSON.parse(r.error_codes) as string[]).some((e) => e.toUpperCase() === code))
            continue;
          if (words.length > 0) {
            const content = (await versionRow(db, r)).content;
            const haystack =
              `${r.name}\n${r.description}\n${r.category}\n${r.tags}\n${content}`.toLowerCase();
            if (!words.every((w) => haystack.includes(w))) continue;
          }
          out.push(await toTemplate(db, r));
          if (out.length >= c.limit) break;
        }
        return out;
      });
    },

    async getTemplate(idOrName) {
      return ctx.read('templates.read', async () => toTemplate(db, await row(db, idOrName)));
    },

    async updateTemplate(idOrName, change) {
      const valid = validateInput(changeSchema, change, 'change');
      return ctx.write('templates.write', async (scope) => {
        const current = await row(scope.trx, idOrName);
        await applyChange(scope, current, valid);
        return toTemplate(scope.trx, await row(scope.trx, current.id));
      });
    },

    async versions(idOrName) {
      return ctx.read('templates.read', async () => {
        const t = await row(db, idOrName);
        const rows = await db
          .selectFrom('template_versions')
          .selectAll()
          .where('template_id', '=', t.id)
          .orderBy('version')
          .execute();
        return rows.map(toVersion);
      });
    },

    async version(idOrName, version) {
      return ctx.read('templates.read', async () =>
        toVersion(await versionRow(db, await row(db, idOrName), version)),
      );
    },

    async diff(idOrName, from, to) {
      return ctx.read('templates.read', async () => {
        const t = await row(db, idOrName);
        const a = await versionRow(db, t, from);
        const b = await versionRow(db, t, to);
        return unifiedDiff(a.content, b.content, [`${t.name} v${from}`, `${t.name} v${to}`]);
      });
    },

    async rollback(idOrName, version, note) {
      const target = await api.version(idOrName, version);
      await api.updateTemplate(idOrName, {
        content: target.content,
        parameters: target.parameters,
        rules: target.rules,
        changeNote: note ?? `rolled back to version ${version}`,
      });
      return api.version(idOrName);
    },

    async render(idOrName, values, options = {}) {
      const o = validateInput(renderOptionsSchema, options, 'options');
      ctx.authorize('templates.render');
      const template = await row(db, idOrName);
      if (template.status === 'retired' && o.version === undefined) {
        throw new StorageError(
          StorageErrorCode.CONFLICT,
          `template ${template.name} is retired; name a version to render it anyway`,
          {
            details: { name: template.name },
          },
        );
      }
      const v = await versionRow(db, template, o.version);
      const rendered = renderChecked(
        v.content_hash,
        v.content,
        JSON.parse(v.parameters),
        JSON.parse(v.validation_rules),
        values,
        template.language,
        o.wrap,
      );
      const analysis = await analyzeWithCode(ctx, template, rendered.text);
      await ctx.write('templates.render', async (scope) => {
        await scope.trx
          .insertInto('template_usage')
          .values({
            id: randomUUID(),
            template_id: template.id,
            version: Number(v.version),
            kind: 'render',
            worked: null,
            parameters_hash: createHash('sha256').update(JSON.stringify(rendered.values)).digest('hex'),
            note: null,
            actor: scope.actor.id,
            created_at: scope.now,
          })
          .execute();
        await scope.trx
          .updateTable('code_templates')
          .set((eb) => ({ usage_count: eb('usage_count', '+', 1) }))
          .where('id', '=', template.id)
          .execute();
        scope.audit({
          action: 'render',
          entity: 'code_template',
          entityId: template.id,
          detail: { version: Number(v.version) },
        });
      });
      return {
        templateId: template.id,
        version: Number(v.version),
        text: rendered.text,
        wrapped: rendered.wrapped,
        problems: [...rendered.problems, ...(analysis?.problems ?? [])],
        ...(analysis ? { analysis: analysis.issues } : {}),
      };
    },

    async recordOutcome(idOrName, outcome) {
      const o = validateInput(outcomeSchema, outcome, 'outcome');
      return ctx.write('templates.outcome', async (scope) => {
        const t = await row(scope.trx, idOrName);
        const v = await versionRow(scope.trx, t, o.version);
        await scope.trx
          .insertInto('template_usage')
          .values({
            id: randomUUID(),
            template_id: t.id,
            version: Number(v.version),
            kind: 'outcome',
            worked: o.worked ? 1 : 0,
            parameters_hash: '',
            note: o.note ?? null,
            actor: scope.actor.id,
            created_at: scope.now,
          })
          .execute();
        const successes = Number(t.success_count) + (o.worked ? 1 : 0);
        const failures = Number(t.failure_count) + (o.worked ? 0 : 1);
        await scope.trx
          .updateTable('code_templates')
          .set({
            success_count: successes,
            failure_count: failures,
            success_rate: bayesianSuccessRate(successes, failures),
            updated_at: scope.now,
          })
          .where('id', '=', t.id)
          .execute();
        scope.audit({
          action: 'outcome',
          entity: 'code_template',
          entityId: t.id,
          detail: { version: Number(v.version), worked: o.worked },
        });
        return toTemplate(scope.trx, await row(scope.trx, t.id));
      });
    },

    async retire(idOrName) {
      return ctx.write('templates.write', async (scope) => {
        const t = await row(scope.trx, idOrName);
        await scope.trx
          .updateTable('code_templates')
          .set({ status: 'retired', updated_at: scope.now })
          .where('id', '=', t.id)
          .execute();
        scope.audit({ action: 'retire', entity: 'code_template', entityId: t.id, detail: { name: t.name } });
        return toTemplate(scope.trx, await row(scope.trx, t.id));
      });
    },

    async deleteTemplate(idOrName) {
      return ctx.write('templates.delete', async (scope) => {
        const t = await scope.trx
          .selectFrom('code_templates')
          .selectAll()
          .where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
          .executeTakeFirst();
        if (!t) return false;
        const used = await scope.trx
          .selectFrom('template_usage')
          .select('id')
          .where('template_id', '=', t.id)
          .where('kind', '=', 'outcome')
          .executeTakeFirst();
        if (used) {
          throw new StorageError(
            StorageErrorCode.CONFLICT,
            `template ${t.name} was used in a recorded outcome: it can be retired, never deleted`,
            {
              details: { name: t.name },
            },
          );
        }
        await scope.trx.deleteFrom('code_templates').where('id', '=', t.id).execute();
        scope.audit({ action: 'delete', entity: 'code_template', entityId: t.id, detail: { name: t.name } });
        return true;
      });
    },

    async linkKbEntry(idOrName, kbEntryId) {
      await ctx.write('templates.write', async (scope) => {
        const t = await row(scope.trx, idOrName);
        await requireKbEntries(scope.trx, [kbEntryId]);
        const exists = await scope.trx
          .selectFrom('template_kb_links')
          .select('template_id')
          .where('template_id', '=', t.id)
          .where('kb_entry_id', '=', kbEntryId)
          .executeTakeFirst();
        if (exists) return;
        await scope.trx
          .insertInto('template_kb_links')
          .values({ template_id: t.id, kb_entry_id: kbEntryId, created_at: scope.now })
          .execute();
        scope.audit({ action: 'link', entity: 'code_template', entityId: t.id, detail: { kbEntryId } });
      });
    },

    async unlinkKbEntry(idOrName, kbEntryId) {
      return ctx.write('templates.write', async (scope) => {
        const t = await row(scope.trx, idOrName);
        const r = await scope.trx
          .deleteFrom('template_kb_links')
          .where('template_id', '=', t.id)
          .where('kb_entry_id', '=', kbEntryId)
          .executeTakeFirst();
        const removed = Number(r.numDeletedRows) > 0;
        if (removed)
          scope.audit({ action: 'unlink', entity: 'code_template', entityId: t.id, detail: { kbEntryId } });
        return removed;
      });
    },

    async exportLibrary(folder, options = {}) {
      ctx.authorize('templates.read');
      const target = resolve(folder);
      const existing = await fs.readdir(target).catch(() => undefined);
      if (existing && existing.length > 0) {
        const message = `${target} is not empty: export a library into a new folder`;
        throw new ValidationError(message, [{ path: 'folder', message }]);
      }
      let query = db.selectFrom('code_templates').selectAll();
      if (!options.includeRetired) query = query.where('status', '=', 'active');
      const rows = await query.orderBy('name').execute();
      await fs.mkdir(join(target, 'templates'), { recursive: true, mode: 0o700 });
      const entries: LibraryEntry[] = [];
      for (const r of rows) {
        const v = await versionRow(db, r);
        const file = fileNameOf(r.name, r.language);
        await fs.writeFile(join(target, 'templates', file), v.content);
        entries.push({
          name: r.name,
          file,
          sha256: createHash('sha256').update(v.content).digest('hex'),
          description: r.description,
          language: r.language,
          category: r.category,
          version: Number(v.version),
          parameters: JSON.parse(v.parameters) as unknown[],
          rules: JSON.parse(v.validation_rules) as unknown[],
          errorCodes: JSON.parse(r.error_codes) as string[],
          tags: JSON.parse(r.tags) as string[],
        });
      }
      const manifest: LibraryManifest = {
        format: LIBRARY_FORMAT,
        formatVersion: LIBRARY_FORMAT_VERSION,
        exportedAt: new Date().toISOString(),
        templates: entries,
      };
      await fs.writeFile(join(target, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      return { templates: entries.length, folder: target };
    },

    async importLibrary(folder) {
      ctx.authorize('templates.write');
      const root = resolve(folder);
      const manifestText = await fs.readFile(join(root, 'manifest.json'), 'utf8').catch(() => {
        throw new NotFoundError('template library manifest', join(root, 'manifest.json'));
      });
      let parsed: unknown;
      try {
        parsed = JSON.parse(manifestText);
      } catch (error) {
        const message = `manifest.json is not JSON: ${(error as Error).message}`;
        throw new ValidationError(message, [{ path: 'manifest.json', message }]);
      }
      const manifest = validateInput(libraryManifestSchema, parsed, 'manifest');
      const names = new Set<string>();
      const texts: string[] = [];
      for (const entry of manifest.templates) {
        if (names.has(entry.name))
          throw new ValidationError(`manifest.json names ${entry.name} twice`, [
            { path: entry.name, message: 'twice' },
          ]);
        names.add(entry.name);
        const bytes = await fs.readFile(join(root, 'templates', entry.file)).catch(() => undefined);
        if (bytes === undefined) throw new NotFoundError('template file', `templates/${entry.file}`);
        if (createHash('sha256').update(bytes).digest('hex') !== entry.sha256) {
          throw new StorageError(
            StorageErrorCode.INTEGRITY,
            `templates/${entry.file} does not match its sha256 in manifest.json`,
            {
              details: { file: entry.file },
            },
          );
        }
        texts.push(bytes.toString('utf8'));
      }
      return ctx.write('templates.write', async (scope) => {
        const counts = { added: 0, updated: 0, unchanged: 0 };
        for (const [i, entry] of manifest.templates.entries()) {
          const fields = {
            description: entry.description,
            language: entry.language,
            category: entry.category,
            content: texts[i]!,
            parameters: entry.parameters,
            rules: entry.rules,
            errorCodes: entry.errorCodes,
            tags: entry.tags,
          };
          const current = await scope.trx
            .selectFrom('code_templates')
            .selectAll()
            .where('name', '=', entry.name)
            .executeTakeFirst();
          if (!current) {
            await insertTemplate(
              scope,
              validateInput(inputSchema, { ...fields, name: entry.name, changeNote: 'imported' }, entry.name),
            );
            counts.added += 1;
          } else if (
            await applyChange(
              scope,
              current,
              validateInput(changeSchema, { ...fields, changeNote: 'imported' }, entry.name),
            )
          ) {
            counts.updated += 1;
          } else {
            counts.unchanged += 1;
          }
        }
        return counts;
      });
    },

    async saveWorkspace(input) {
      const w = validateInput(workspaceSchema, input, 'workspace');
      return ctx.write('templates.write', async (scope) => {
        const existing = await scope.trx
          .selectFrom('project_workspaces')
          .select(['id', 'created_at'])
          .where('name', '=', w.name)
          .executeTakeFirst();
        const row: ProjectWorkspaceRow = {
          id: existing?.id ?? randomUUID(),
          name: w.name,
          idz_project_path: w.idzProjectPath,
          local_path: w.localPath,
          members: JSON.stringify(w.members),
          metadata: JSON.stringify(w.metadata),
          created_at: existing?.created_at ?? scope.now,
          updated_at: scope.now,
        };
        if (existing) {
          const { id: _id, created_at: _created, ...update } = row;
          await scope.trx.updateTable('project_workspaces').set(update).where('id', '=', row.id).execute();
        } else {
          await scope.trx.insertInto('project_workspaces').values(row).execute();
        }
        scope.audit({
          action: existing ? 'update' : 'create',
          entity: 'project_workspace',
          entityId: row.id,
          detail: { name: w.name, members: w.members.length },
        });
        return toWorkspace(row);
      });
    },

    async workspaces() {
      return ctx.read('templates.read', async () =>
        (await db.selectFrom('project_workspaces').selectAll().orderBy('name').execute()).map(toWorkspace),
      );
    },

    async workspace(wsName) {
      return ctx.read('templates.read', async () => {
        const found = await db
          .selectFrom('project_workspaces')
          .selectAll()
          .where('name', '=', wsName)
          .executeTakeFirst();
        if (!found) throw new NotFoundError('workspace', wsName);
        return toWorkspace(found);
      });
    },

    async removeWorkspace(wsName) {
      return ctx.write('templates.write', async (scope) => {
        const found = await scope.trx
          .selectFrom('project_workspaces')
          .select('id')
          .where('name', '=', wsName)
          .executeTakeFirst();
        if (!found) return false;
        await scope.trx.deleteFrom('project_workspaces').where('id', '=', found.id).execute();
        scope.audit({
          action: 'delete',
          entity: 'project_workspace',
          entityId: found.id,
          detail: { name: wsName },
        });
        return true;
      });
    },

    async importWorkspace(folder, options = {}) {
      ctx.authorize('templates.write');
      const root = resolve(folder);
      const model = await readWorkspace(root);
      return api.saveWorkspace({
        name: options.name ?? model.name,
        idzProjectPath: model.idzProjectPath,
        localPath: root,
        members: model.members.map((m) => ({ ...m })),
        metadata: {
          project: {
            ...(model.description === undefined ? {} : { description: model.description }),
            natures: model.natures,
            builders: model.builders,
            propertyGroups: model.propertyGroups,
            metadata: model.metadata,
          },
          issues: model.issues ?? [],
        },
      });
    },

    async exportWorkspace(wsName, folder, options = {}) {
      const stored = await api.workspace(wsName);
      const project = (stored.metadata.project ?? {}) as Partial<WorkspaceModel>;
      const model: WorkspaceModel = {
        name: stored.name,
        ...(project.description === undefined ? {} : { description: project.description }),
        natures: project.natures ?? [],
        builders: project.builders ?? [],
        idzProjectPath: stored.idzProjectPath,
        propertyGroups: project.propertyGroups ?? [],
        members: stored.members as WorkspaceModel['members'],
        metadata: (project.metadata ?? {}) as Record<string, unknown>,
      };
      let membersWritten = 0;
      const source = stored.localPath;
      const contents =
        options.withMembers && source
          ? async (member: WorkspaceModel['members'][number]) => {
              const bytes = await fs.readFile(join(source, ...member.path.split('/'))).catch(() => undefined);
              if (!bytes || createHash('sha256').update(bytes).digest('hex') !== member.sha256)
                return undefined;
              membersWritten += 1;
              return bytes;
            }
          : undefined;
      const target = resolve(folder);
      const written = await writeWorkspace(model, target, contents ? { contents } : {});
      return { folder: target, files: written.files, membersWritten };
    },

    async linkPattern(idOrName, patternId) {
      const id = validateInput(z.string().min(1).max(64), patternId, 'patternId');
      await ctx.write('templates.write', async (scope) => {
        const t = await row(scope.trx, idOrName);
        const exists = await scope.trx
          .selectFrom('template_pattern_links')
          .select('template_id')
          .where('template_id', '=', t.id)
          .where('pattern_id', '=', id)
          .executeTakeFirst();
        if (exists) return;
        await scope.trx
          .insertInto('template_pattern_links')
          .values({ template_id: t.id, pattern_id: id, created_at: scope.now })
          .execute();
        scope.audit({ action: 'link', entity: 'code_template', entityId: t.id, detail: { patternId: id } });
      });
    },
  };
  return api;
}

/** What plugin-code's API offers other plugins (typed here: a plugin builds on core's exports only). */
interface CodeAnalyzer {
  analyze(path: string, content: string, language?: string): Promise<{ issues: AnalysisIssue[] }>;
}

/**
 * Rendered COBOL or JCL analysed by plugin-code when the store has it enabled: its analyser's errors (an EXEC
 * SQL left open, a COPY that cycles …) join the render's problems, its warnings are returned beside them.
 * Without plugin-code, undefined: the column checks stand alone.
 */
async function analyzeWithCode(
  ctx: TemplatesContext,
  template: TemplateRow,
  text: string,
): Promise<{ problems: RenderProblem[]; issues: AnalysisIssue[] } | undefined> {
  if (template.language === 'text' || !ctx.plugins().some((p) => p.id === 'code')) return undefined;
  const code = ctx.storage().plugin('code') as unknown as CodeAnalyzer;
  const extension = template.language === 'jcl' ? 'jcl' : 'cbl';
  const { issues } = await code.analyze(`${template.name}.${extension}`, text, template.language);
  const problems = issues
    .filter((i) => i.severity === 'error')
    .map((i): RenderProblem => ({ line: i.line ?? 1, rule: `code/${i.code}`, message: i.message }));
  return { problems, issues };
}

function toWorkspace(r: ProjectWorkspaceRow): Workspace {
  return {
    id: r.id,
    name: r.name,
    idzProjectPath: r.idz_project_path,
    localPath: r.local_path,
    members: JSON.parse(r.members) as WorkspaceMember[],
    metadata: JSON.parse(r.metadata) as Record<string, unknown>,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toVersion(v: TemplateVersionRow): TemplateVersion {
  return {
    templateId: v.template_id,
    version: Number(v.version),
    content: v.content,
    parameters: JSON.parse(v.parameters) as unknown[],
    rules: JSON.parse(v.validation_rules) as unknown[],
    contentHash: v.content_hash,
    author: v.author,
    changeNote: v.change_note,
    createdAt: v.created_at,
  };
}
