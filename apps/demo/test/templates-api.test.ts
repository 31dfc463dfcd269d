import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { templatesPlugin } from '@mainframe-kb/plugin-templates';
import { createStorage } from '@mainframe-kb/storage-core';
import { loadSeedTemplateFile, mainframeSamplesDir } from '@mainframe-kb/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDemoApp } from '../src/app.js';
import { TokenTable } from '../src/tokens.js';
import { type Fixture, GRANTS, openFixture, TOKENS } from './support/demo-fixture.js';
import { GUARD, GUARD_PARAMS, REPRO } from './support/template-sources.js';

// The fixes of the seed-anchor KB (cobol-abends.json, vsam-errors.json) turned into templates over HTTP, as
// plugin-templates' own tests build them: an S0C7 guard in fixed-format COBOL and an IDCAMS REPRO in JCL.

const REPRO_PARAMS = [
  { name: 'JOB', kind: 'jobname' },
  { name: 'CLUSTER', kind: 'dataset' },
  { name: 'OUT', kind: 'dataset' },
];
const REPRO_RULES = [{ rule: 'differs', params: ['CLUSTER', 'OUT'] }];
const REPRO_VALUES = {
  JOB: 'payrbkp',
  CLUSTER: 'PROD.PAYROLL.MASTER.KSDS',
  OUT: 'PROD.PAYROLL.MASTER.BACKUP.G0001V00',
};

let f: Fixture;
let s0c7Entry: string;
let vsamEntry: string;

async function seedKb(fixture: Fixture): Promise<{ s0c7: string; vsam: string }> {
  const abends = loadSeedTemplateFile('cobol-abends.json');
  const vsam = loadSeedTemplateFile('vsam-errors.json');
  const ids = await fixture.storage.createEntries([...abends, ...vsam]);
  const s0c7 = ids[abends.findIndex((e) => e.title.startsWith('S0C7'))];
  const status35 = ids[abends.length + vsam.findIndex((e) => e.title.startsWith('VSAM Status 35'))];
  if (s0c7 === undefined || status35 === undefined) throw new Error('seed-anchor entries changed');
  return { s0c7, vsam: status35 };
}

const guardInput = () => ({
  name: 'S0C7-GUARD',
  description: 'IF NUMERIC and ON SIZE ERROR around a COMPUTE',
  language: 'cobol',
  category: 'abend-fix',
  content: GUARD,
  parameters: GUARD_PARAMS,
  errorCodes: ['S0C7'],
  tags: ['packed-decimal'],
  kbEntryIds: [s0c7Entry],
});

const reproInput = () => ({
  name: 'REPRO-VSAM',
  description: 'REPRO a VSAM cluster to a sequential backup with IDCAMS',
  language: 'jcl',
  category: 'vsam',
  content: REPRO,
  parameters: REPRO_PARAMS,
  rules: REPRO_RULES,
  errorCodes: ['VSAM status 35'],
  kbEntryIds: [vsamEntry],
});

async function createBoth(): Promise<void> {
  expect((await f.json('editor', 'POST', '/api/templates', guardInput())).status).toBe(201);
  expect((await f.json('editor', 'POST', '/api/templates', reproInput())).status).toBe(201);
}

const usageOf = async (name: string) =>
  (await f.storage.plugin(templatesPlugin).getTemplate(name)).usageCount;
const issuePaths = (body: { issues?: { path: string }[] }) => (body.issues ?? []).map((i) => i.path);

beforeEach(async () => {
  f = await openFixture();
  ({ s0c7: s0c7Entry, vsam: vsamEntry } = await seedKb(f));
});

afterEach(async () => {
  await f.close();
});

describe('templates: create, list, read', () => {
  it('creates a template from a KB fix as editor; viewers find it by error code, text, language and entry', async () => {
    const created = await f.call('editor', 'POST', '/api/templates', guardInput());
    expect(created.status).toBe(201);
    const body = await created.json();
    expect(created.headers.get('location')).toBe(`/api/templates/${body.template.id}`);
    expect(body.template).toMatchObject({
      name: 'S0C7-GUARD',
      language: 'cobol',
      status: 'active',
      currentVersion: 1,
      createdBy: 'editor-user',
      kbEntryIds: [s0c7Entry],
      errorCodes: ['S0C7'],
      usageCount: 0,
    });
    // The parameters as stored: defaults filled in (required: true), the form's source of truth.
    expect(body.version.parameters.map((p: { name: string }) => p.name)).toEqual([
      'PROGRAM',
      'FIELD',
      'TARGET',
      'FACTOR',
      'MESSAGE',
    ]);
    expect(body.version.parameters[0]).toMatchObject({ kind: 'program', required: true });
    expect(body.version.parameters[3]).toMatchObject({ kind: 'integer', default: 100, min: 1, max: 1000 });
    expect(body.version).toMatchObject({ version: 1, content: GUARD, author: 'editor-user', rules: [] });
    expect(body.versions).toHaveLength(1);
    expect((await f.json('editor', 'POST', '/api/templates', reproInput())).status).toBe(201);

    const names = async (query: string) =>
      (await f.json('viewer', 'GET', `/api/templates${query}`)).body.templates.map(
        (t: { name: string }) => t.name,
      );
    expect(await names('')).toEqual(['REPRO-VSAM', 'S0C7-GUARD']);
    expect(await names('?errorCode=s0c7')).toEqual(['S0C7-GUARD']);
    expect(await names('?text=idcams%20indataset')).toEqual(['REPRO-VSAM']);
    expect(await names('?language=jcl')).toEqual(['REPRO-VSAM']);
    expect(await names(`?kbEntryId=${vsamEntry}`)).toEqual(['REPRO-VSAM']);
    expect(await names('?text=nothing-like-this')).toEqual([]);

    const byName = await f.json('viewer', 'GET', '/api/templates/REPRO-VSAM');
    expect(byName.status).toBe(200);
    expect(byName.body.version.rules).toEqual(REPRO_RULES);
    const byId = await f.json('viewer', 'GET', `/api/templates/${byName.body.template.id}`);
    expect(byId.body.template.name).toBe('REPRO-VSAM');
    expect(await f.json('viewer', 'GET', '/api/templates/NO-SUCH')).toMatchObject({
      status: 404,
      body: { code: 'NOT_FOUND' },
    });
  });

  it('refuses a name that is taken (409) and a text using an undeclared parameter (422 on content)', async () => {
    await createBoth();
    const before = await f.storage.contentHash();
    const twice = await f.json('editor', 'POST', '/api/templates', guardInput());
    expect(twice).toMatchObject({ status: 409, body: { code: 'CONFLICT' } });
    const undeclared = await f.json('editor', 'POST', '/api/templates', {
      ...guardInput(),
      name: 'S0C7-GUARD-2',
      content: `${GUARD}      * owner {{OWNER}}\n`,
    });
    expect(undeclared).toMatchObject({ status: 422, body: { code: 'VALIDATION' } });
    expect(issuePaths(undeclared.body)).toContain('content');
    expect(JSON.stringify(undeclared.body.issues)).toContain('OWNER');
    const missingEntry = await f.json('editor', 'POST', '/api/templates', {
      ...guardInput(),
      name: 'S0C7-GUARD-3',
      kbEntryIds: ['no-such-entry'],
    });
    expect(missingEntry).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    expect(await f.storage.contentHash()).toEqual(before);
  });
});

describe('templates: versions', () => {
  it('makes a new version on a change of text, diffs two versions, and rolls back as a new version', async () => {
    await createBoth();
    const extra = '      * Reviewed for the nightly PAYROLL run';
    const changed = await f.json('editor', 'PATCH', '/api/templates/S0C7-GUARD', {
      content: `${extra}\n${GUARD}`,
      changeNote: 'say who reviewed it',
    });
    expect(changed.status).toBe(200);
    expect(changed.body.template.currentVersion).toBe(2);
    expect(changed.body.versions.map((v: { changeNote: string }) => v.changeNote)).toEqual([
      'created',
      'say who reviewed it',
    ]);
    // A description alone is not a new version.
    const described = await f.json('editor', 'PATCH', '/api/templates/S0C7-GUARD', { description: 'guard' });
    expect(described.body.template).toMatchObject({ currentVersion: 2, description: 'guard' });

    const v1 = await f.json('viewer', 'GET', '/api/templates/S0C7-GUARD?version=1');
    expect(v1.body.version).toMatchObject({ version: 1, content: GUARD });
    expect((await f.json('viewer', 'GET', '/api/templates/S0C7-GUARD?version=9')).status).toBe(404);

    const diff = await f.json('viewer', 'GET', '/api/templates/S0C7-GUARD/diff?from=1&to=2');
    expect(diff.status).toBe(200);
    const lines = diff.body.diff.split('\n');
    expect(lines).toContain(`+${extra}`);
    expect(lines.filter((l: string) => l.startsWith('+') && !l.startsWith('+++'))).toEqual([`+${extra}`]);
    expect(lines.filter((l: string) => l.startsWith('-') && !l.startsWith('---'))).toEqual([]);

    const rolled = await f.json('editor', 'POST', '/api/templates/S0C7-GUARD/rollback', { version: 1 });
    expect(rolled.status).toBe(200);
    expect(rolled.body.template.currentVersion).toBe(3);
    expect(rolled.body.version).toMatchObject({
      version: 3,
      content: GUARD,
      changeNote: 'rolled back to version 1',
    });
    const all = await f.json('viewer', 'GET', '/api/templates/S0C7-GUARD/versions');
    expect(all.body.versions.map((v: { content: string }) => v.content)).toEqual([
      GUARD,
      `${extra}\n${GUARD}`,
      GUARD,
    ]);
    expect((await f.json('viewer', 'GET', '/api/templates/S0C7-GUARD/diff?from=1&to=3')).body.diff).toBe('');
    const badDiff = await f.json('viewer', 'GET', '/api/templates/S0C7-GUARD/diff?from=1&to=zero');
    expect(badDiff.status).toBe(422);
    expect(issuePaths(badDiff.body)).toEqual(['to']);
  });
});

describe('templates: render', () => {
  it("substitutes the form's values, checks and wraps the columns, and counts the use", async () => {
    await createBoth();
    const guard = await f.json('viewer', 'POST', '/api/templates/S0C7-GUARD/render', {
      values: { PROGRAM: 'payr010', FIELD: 'WS-AMOUNT', TARGET: 'WS-TOTAL' },
    });
    expect(guard.status).toBe(200);
    expect(guard.body.problems).toEqual([]);
    expect(guard.body.version).toBe(1);
    expect(guard.body.text).toContain('COMPUTE WS-TOTAL = WS-AMOUNT * 100');
    expect(guard.body.text).toContain('Guard WS-AMOUNT in PAYR010 against'); // program names upper-cased
    expect(guard.body.text).toContain("DISPLAY 'SIZE ERROR'");
    expect(await usageOf('S0C7-GUARD')).toBe(1);

    const repro = await f.json('viewer', 'POST', '/api/templates/REPRO-VSAM/render', {
      values: REPRO_VALUES,
    });
    expect(repro.status).toBe(200);
    expect(repro.body.problems).toEqual([]);
    expect(repro.body.wrapped).toEqual([4]);
    expect(repro.body.text).toContain('//PAYRBKP JOB');
    expect(repro.body.text).toContain('REPRO INDATASET(PROD.PAYROLL.MASTER.KSDS)');
    for (const line of repro.body.text.split('\n')) expect(line.length).toBeLessThanOrEqual(71);

    // Unwrapped, the DD statement runs past column 71: the check names its line and rule.
    const raw = await f.json('viewer', 'POST', '/api/templates/REPRO-VSAM/render', {
      values: REPRO_VALUES,
      wrap: false,
    });
    expect(raw.body.wrapped).toEqual([]);
    expect(raw.body.problems).toContainEqual(
      expect.objectContaining({ line: 4, rule: 'jcl/beyond-column-71' }),
    );
    expect(await usageOf('REPRO-VSAM')).toBe(2);
  });

  it('answers bad values with a 422 problem naming each parameter, and records nothing', async () => {
    await createBoth();
    const before = await f.storage.contentHash();
    const bad = await f.call('viewer', 'POST', '/api/templates/S0C7-GUARD/render', {
      values: { PROGRAM: 'PAYROLL010', FIELD: '1BAD', EXTRA: 'x' },
    });
    expect(bad.status).toBe(422);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
    const problem = await bad.json();
    expect(problem.code).toBe('VALIDATION');
    expect(new Set(issuePaths(problem))).toEqual(new Set(['PROGRAM', 'FIELD', 'TARGET', 'EXTRA']));
    const target = problem.issues.find((i: { path: string }) => i.path === 'TARGET');
    expect(target.message).toMatch(/required parameter TARGET is missing/);

    const same = await f.json('viewer', 'POST', '/api/templates/REPRO-VSAM/render', {
      values: { ...REPRO_VALUES, OUT: REPRO_VALUES.CLUSTER },
    });
    expect(same.status).toBe(422);
    expect(issuePaths(same.body)).toEqual(['rules.0']);

    const shape = await f.json('viewer', 'POST', '/api/templates/S0C7-GUARD/render', {
      values: { PROGRAM: { nested: true } },
    });
    expect(shape.status).toBe(422);
    expect(issuePaths(shape.body)).toEqual(['values.PROGRAM']);
    expect(await usageOf('S0C7-GUARD')).toBe(0);
    expect(await f.storage.contentHash()).toEqual(before);
  });
});

describe('templates: preview and column checks (nothing stored)', () => {
  it("previews an editor's draft against the columns, wrapped or not, and names what is wrong with it", async () => {
    const before = await f.storage.contentHash();
    const draft = {
      language: 'jcl',
      content: REPRO,
      parameters: REPRO_PARAMS,
      rules: REPRO_RULES,
      values: REPRO_VALUES,
    };
    const wrapped = await f.json('viewer', 'POST', '/api/templates/preview', draft);
    expect(wrapped.status).toBe(200);
    expect(wrapped.body).toMatchObject({ problems: [], wrapped: [4], unused: [] });
    expect(wrapped.body.variables).toEqual(['JOB', 'OUT', 'CLUSTER']);
    expect(wrapped.body.text).toContain('DSN=PROD.PAYROLL.MASTER.BACKUP.G0001V00,');
    const flat = await f.json('viewer', 'POST', '/api/templates/preview', { ...draft, wrap: false });
    expect(flat.body.problems.map((p: { line: number; rule: string }) => [p.line, p.rule])).toContainEqual([
      4,
      'jcl/beyond-column-71',
    ]);

    const cobol = await f.json('viewer', 'POST', '/api/templates/preview', {
      language: 'cobol',
      content: `           DISPLAY '{{MESSAGE}}'\n`,
      parameters: [
        { name: 'MESSAGE', kind: 'string' },
        { name: 'UNUSED', kind: 'boolean', required: false },
      ],
      values: { MESSAGE: 'X'.repeat(60) },
      wrap: false,
    });
    expect(cobol.body.unused).toEqual(['UNUSED']);
    expect(cobol.body.problems.map((p: { rule: string }) => p.rule)).toContain('cobol/beyond-column-72');

    const unknown = await f.json('viewer', 'POST', '/api/templates/preview', {
      ...draft,
      content: `${REPRO}//* {{OWNER}}\n`,
    });
    expect(unknown.status).toBe(422);
    expect(issuePaths(unknown.body)).toEqual(['content']);
    expect(unknown.body.issues[0].message).toMatch(/^line 8, column 5: .*'OWNER'/);
    const badKind = await f.json('viewer', 'POST', '/api/templates/preview', {
      ...draft,
      parameters: [{ name: 'JOB', kind: 'jobcard' }, ...REPRO_PARAMS.slice(1)],
    });
    expect(badKind.status).toBe(422);
    expect(issuePaths(badKind.body)[0]).toMatch(/^parameters\.0/);
    const badValue = await f.json('viewer', 'POST', '/api/templates/preview', {
      ...draft,
      values: { ...REPRO_VALUES, JOB: 'NOT A JOB' },
    });
    expect(badValue.status).toBe(422);
    expect(new Set(issuePaths(badValue.body))).toEqual(new Set(['JOB'])); // too long, and a space
    expect(await f.storage.contentHash()).toEqual(before);
  });

  it("checks real sources: the OMP course's CBL0001 breaks only the tab rule, its JCL none", async () => {
    const samples = join(mainframeSamplesDir(), 'omp-cobol-course');
    const cobol = readFileSync(join(samples, 'cbl/CBL0001.cobol'), 'utf8');
    const checked = await f.json('viewer', 'POST', '/api/templates/check', {
      language: 'cobol',
      text: cobol,
    });
    expect(checked.status).toBe(200);
    expect(checked.body.problems).toEqual([
      expect.objectContaining({ line: 22, column: 52, rule: 'cobol/tab' }),
    ]);
    const jcl = readFileSync(join(samples, 'jcl/CBL0001J.jcl'), 'utf8');
    const clean = await f.json('viewer', 'POST', '/api/templates/check', {
      language: 'jcl',
      text: jcl,
      wrap: true,
    });
    expect(clean.body).toEqual({ text: jcl, problems: [], wrapped: [] });
    const bad = await f.json('viewer', 'POST', '/api/templates/check', { language: 'pl1', text: jcl });
    expect(bad.status).toBe(422);
    expect(issuePaths(bad.body)).toEqual(['language']);
  });
});

describe('templates: outcomes, retirement, deletion', () => {
  it('ranks templates by the Bayesian success rate of their recorded outcomes', async () => {
    await createBoth();
    const worked = await f.json('editor', 'POST', '/api/templates/S0C7-GUARD/outcome', {
      worked: true,
      note: 'the nightly PAYROLL run completed',
    });
    expect(worked.status).toBe(200);
    expect(worked.body).toMatchObject({ successCount: 1, failureCount: 0 });
    expect(worked.body.successRate).toBeCloseTo(2 / 3, 10);
    const failed = await f.json('editor', 'POST', '/api/templates/REPRO-VSAM/outcome', { worked: false });
    expect(failed.body).toMatchObject({ successCount: 0, failureCount: 1 });
    expect(failed.body.successRate).toBeCloseTo(1 / 3, 10);
    const ranked = await f.json('viewer', 'GET', '/api/templates');
    expect(ranked.body.templates.map((t: { name: string }) => t.name)).toEqual(['S0C7-GUARD', 'REPRO-VSAM']);
    expect(
      (await f.json('editor', 'POST', '/api/templates/S0C7-GUARD/outcome', { worked: true, version: 9 }))
        .status,
    ).toBe(404);
  });

  it('retires a template used in an outcome instead of deleting it; deletes an unused one (admin)', async () => {
    await createBoth();
    await f.json('editor', 'POST', '/api/templates/S0C7-GUARD/outcome', { worked: true });
    expect((await f.json('admin', 'DELETE', '/api/templates/S0C7-GUARD')).body.code).toBe('CONFLICT');
    expect((await f.call('editor', 'DELETE', '/api/templates/REPRO-VSAM')).status).toBe(403);

    const retired = await f.json('editor', 'POST', '/api/templates/S0C7-GUARD/retire');
    expect(retired).toMatchObject({ status: 200, body: { status: 'retired' } });
    const active = await f.json('viewer', 'GET', '/api/templates');
    expect(active.body.templates.map((t: { name: string }) => t.name)).toEqual(['REPRO-VSAM']);
    const all = await f.json('viewer', 'GET', '/api/templates?status=all');
    expect(all.body.templates).toHaveLength(2);
    const values = { PROGRAM: 'PAYR010', FIELD: 'WS-A', TARGET: 'WS-B' };
    expect((await f.json('viewer', 'POST', '/api/templates/S0C7-GUARD/render', { values })).status).toBe(409);
    expect(
      (await f.json('viewer', 'POST', '/api/templates/S0C7-GUARD/render', { values, version: 1 })).status,
    ).toBe(200);

    expect((await f.call('admin', 'DELETE', '/api/templates/REPRO-VSAM')).status).toBe(204);
    expect((await f.json('viewer', 'GET', '/api/templates/REPRO-VSAM')).status).toBe(404);
    expect((await f.json('admin', 'DELETE', '/api/templates/REPRO-VSAM')).status).toBe(404);
  });
});

describe('templates: a library as JSON', () => {
  it('exports the library with its hashes and imports it into another store; a changed file is refused', async () => {
    await createBoth();
    const exported = await f.json('viewer', 'GET', '/api/templates/library/export');
    expect(exported.status).toBe(200);
    const { manifest, files } = exported.body;
    expect(manifest.templates.map((t: { name: string }) => t.name)).toEqual(['REPRO-VSAM', 'S0C7-GUARD']);
    expect(files).toEqual({ 'REPRO-VSAM.jcl': REPRO, 'S0C7-GUARD.cbl': GUARD });

    const other = await openFixture();
    try {
      const imported = await other.json('editor', 'POST', '/api/templates/library/import', {
        manifest,
        files,
      });
      expect(imported).toMatchObject({ status: 200, body: { added: 2, updated: 0, unchanged: 0 } });
      const rendered = await other.json('viewer', 'POST', '/api/templates/REPRO-VSAM/render', {
        values: REPRO_VALUES,
      });
      const original = await f.json('viewer', 'POST', '/api/templates/REPRO-VSAM/render', {
        values: REPRO_VALUES,
      });
      expect(rendered.body.text).toBe(original.body.text);
    } finally {
      await other.close();
    }

    const before = await f.storage.contentHash();
    const tampered = { ...files, 'S0C7-GUARD.cbl': GUARD.replace('MOVE ZERO', 'MOVE SPACES') };
    const refused = await f.json('editor', 'POST', '/api/templates/library/import', {
      manifest,
      files: tampered,
    });
    expect(refused.status).toBe(422);
    expect(issuePaths(refused.body)).toEqual(['files.S0C7-GUARD.cbl']);
    expect(await f.storage.contentHash()).toEqual(before);

    // The same change with its hash updated is a new version of that template, the other left unchanged.
    const text = tampered['S0C7-GUARD.cbl'];
    const rehashed = {
      ...manifest,
      templates: manifest.templates.map((t: { name: string }) =>
        t.name === 'S0C7-GUARD' ? { ...t, sha256: createHash('sha256').update(text).digest('hex') } : t,
      ),
    };
    const updated = await f.json('editor', 'POST', '/api/templates/library/import', {
      manifest: rehashed,
      files: tampered,
    });
    expect(updated.body).toEqual({ added: 0, updated: 1, unchanged: 1 });
    expect((await f.json('viewer', 'GET', '/api/templates/S0C7-GUARD')).body.version.content).toBe(text);
  });
});

describe('templates: refusals leave the store unchanged', () => {
  it("refuses a viewer's writes with 403 before the store", async () => {
    await createBoth();
    const before = await f.storage.contentHash();
    for (const [method, path, body] of [
      ['POST', '/api/templates', { ...guardInput(), name: 'OTHER' }],
      ['PATCH', '/api/templates/S0C7-GUARD', { description: 'x' }],
      ['DELETE', '/api/templates/S0C7-GUARD', undefined],
      ['POST', '/api/templates/S0C7-GUARD/rollback', { version: 1 }],
      ['POST', '/api/templates/S0C7-GUARD/outcome', { worked: true }],
      ['POST', '/api/templates/S0C7-GUARD/retire', undefined],
      ['POST', '/api/templates/library/import', { manifest: {}, files: {} }],
    ] as const) {
      const response = await f.call('viewer', method, path, body);
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(await response.json()).toMatchObject({ code: 'FORBIDDEN' });
    }
    expect(await f.storage.contentHash()).toEqual(before);
  });

  it('refuses a malformed template naming its fields, and the store is unchanged', async () => {
    const before = await f.storage.contentHash();
    const missing = await f.json('editor', 'POST', '/api/templates', { name: 'ONLY-A-NAME' });
    expect(missing.status).toBe(422);
    expect(issuePaths(missing.body).sort()).toEqual(['category', 'content', 'description', 'language']);
    const language = await f.json('editor', 'POST', '/api/templates', { ...guardInput(), language: 'pl1' });
    expect(issuePaths(language.body)).toEqual(['language']);
    const param = await f.json('editor', 'POST', '/api/templates', {
      ...guardInput(),
      parameters: [{ ...GUARD_PARAMS[0], maxlength: 8 }, ...GUARD_PARAMS.slice(1)],
    });
    expect(param.status).toBe(422);
    expect(issuePaths(param.body)[0]).toMatch(/^parameters\.0/);
    const name = await f.json('editor', 'POST', '/api/templates', { ...guardInput(), name: 'has spaces' });
    expect(name).toMatchObject({ status: 422, body: { code: 'VALIDATION' } });
    expect(issuePaths(name.body)).toEqual(['template.name']);
    expect(await f.storage.contentHash()).toEqual(before);
  });

  it('publishes the routes and the parameter schema in the OpenAPI document', async () => {
    const doc = await f.json(null, 'GET', '/api/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/templates',
        '/api/templates/{name}',
        '/api/templates/{name}/render',
        '/api/templates/{name}/diff',
        '/api/templates/preview',
        '/api/templates/library/import',
      ]),
    );
    expect(doc.body.paths['/api/templates/{name}/render'].post.tags).toEqual(['templates']);
    const kinds = doc.body.components.schemas.TemplateParameter.oneOf.map(
      (s: { properties: { kind: { const?: string; enum?: string[] } } }) =>
        s.properties.kind.const ?? s.properties.kind.enum?.[0],
    );
    expect(kinds).toEqual(expect.arrayContaining(['string', 'integer', 'dataset', 'jobname']));
  });

  it('answers 501 EXTENSION_NOT_ENABLED when the store runs without plugin-templates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kb-demo-bare-'));
    const storage = await createStorage({ database: { path: join(dir, 'kb.db') } }, { plugins: [] });
    const demo = createDemoApp({ storage, tokens: new TokenTable(GRANTS), events: { pollMs: 50 } });
    try {
      const call = (method: string, path: string, body?: unknown) =>
        demo.app.request(path, {
          method,
          headers: { authorization: `Bearer ${TOKENS.editor}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      for (const response of [
        await call('GET', '/api/templates'),
        await call('POST', '/api/templates/S0C7-GUARD/render', { values: {} }),
        await call('POST', '/api/templates/check', { language: 'jcl', text: '//X JOB\n' }),
      ]) {
        expect(response.status).toBe(501);
        expect(await response.json()).toMatchObject({ code: 'EXTENSION_NOT_ENABLED', status: 501 });
      }
    } finally {
      await demo.close();
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
