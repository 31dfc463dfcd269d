import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, openFixture, sampleEntry } from './support/demo-fixture.js';

let f: Fixture;

beforeEach(async () => {
  f = await openFixture();
});

afterEach(async () => {
  await f.close();
});

const problemType = (r: Response) => r.headers.get('content-type');

describe('entries over HTTP', () => {
  it('creates, reads, updates with optimistic concurrency, and deletes an entry as editor', async () => {
    const created = await f.json('editor', 'POST', '/api/entries', sampleEntry);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ title: sampleEntry.title, createdBy: 'editor-user', version: 1 });
    const id = created.body.id as string;

    expect((await f.json('viewer', 'GET', `/api/entries/${id}`)).body.title).toBe(sampleEntry.title);

    const updated = await f.json('editor', 'PATCH', `/api/entries/${id}`, {
      title: 'S0C7 in PAYROLL (fixed)',
      expectedVersion: 1,
    });
    expect(updated).toMatchObject({ status: 200, body: { title: 'S0C7 in PAYROLL (fixed)', version: 2 } });

    const stale = await f.call('editor', 'PATCH', `/api/entries/${id}`, {
      title: 'lost update',
      expectedVersion: 1,
    });
    expect(stale.status).toBe(409);
    expect(problemType(stale)).toBe('application/problem+json');
    expect((await f.storage.getEntry(id)).title).toBe('S0C7 in PAYROLL (fixed)');

    expect((await f.call('editor', 'DELETE', `/api/entries/${id}`)).status).toBe(204);
    const gone = await f.json('viewer', 'GET', `/api/entries/${id}`);
    expect(gone).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
  });

  it('lists entries with filters', async () => {
    await f.storage.createEntries([
      sampleEntry,
      { ...sampleEntry, title: 'VSAM status 35', category: 'vsam' },
    ]);
    const page = await f.json('viewer', 'GET', '/api/entries?category=vsam');
    expect(page.body.total).toBe(1);
    expect(page.body.entries[0].title).toBe('VSAM status 35');
  });
});

describe('refusals leave the store unchanged', () => {
  it("refuses a viewer's write with 403 problem+json before the store", async () => {
    const before = await f.storage.contentHash();
    for (const [method, path, body] of [
      ['POST', '/api/entries', sampleEntry],
      ['PATCH', '/api/entries/some-id', { title: 'x' }],
      ['DELETE', '/api/entries/some-id', undefined],
    ] as const) {
      const response = await f.call('viewer', method, path, body);
      expect(response.status).toBe(403);
      expect(problemType(response)).toBe('application/problem+json');
      expect(await response.json()).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    }
    expect(await f.storage.contentHash()).toEqual(before);
    // Nothing reached the store: no audit row was written for the refused calls.
    expect(await f.storage.auditRows()).toEqual([]);
  });

  it('refuses a request without a token, or with a wrong one, as 401', async () => {
    const none = await f.call(null, 'GET', '/api/entries');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await f.call(null, 'GET', '/api/entries', undefined, {
      authorization: 'Bearer not-a-real-token-000000',
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('refuses what the schema rejects, naming the fields, and the store is unchanged', async () => {
    const before = await f.storage.contentHash();
    const missing = await f.json('editor', 'POST', '/api/entries', { title: 'only a title' });
    expect(missing.status).toBe(422);
    expect(missing.body.code).toBe('VALIDATION');
    expect(missing.body.issues.map((i: { path: string }) => i.path).sort()).toEqual([
      'category',
      'problem',
      'solution',
    ]);
    const extra = await f.json('editor', 'POST', '/api/entries', { ...sampleEntry, admin: true });
    expect(extra.status).toBe(422);
    // The store's own rules (here: an empty title) answer the same way.
    const empty = await f.json('editor', 'POST', '/api/entries', { ...sampleEntry, title: '   ' });
    expect(empty).toMatchObject({ status: 422, body: { code: 'VALIDATION' } });
    const malformed = await f.call('editor', 'POST', '/api/entries', '{"title": ', {
      'content-type': 'application/json',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.clone().json()).toMatchObject({ code: 'MALFORMED_REQUEST' });
    expect(problemType(malformed)).toBe('application/problem+json');
    const notJson = await f.call('editor', 'POST', '/api/entries', JSON.stringify(sampleEntry), {
      'content-type': 'text/plain',
    });
    expect(notJson.status).toBe(415);
    expect(await notJson.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(await f.storage.contentHash()).toEqual(before);
  });

  it('refuses a body over the JSON limit with 413', async () => {
    const big = { ...sampleEntry, problem: 'x'.repeat(2 * 1024 * 1024) };
    const response = await f.call('editor', 'POST', '/api/entries', big);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(await f.storage.countEntries()).toBe(0);
  });

  it('answers an unknown route with a problem, and serves the OpenAPI document without a token', async () => {
    const unknown = await f.json('viewer', 'GET', '/api/nothing-here');
    expect(unknown).toMatchObject({ status: 404, body: { code: 'ROUTE_NOT_FOUND' } });
    const doc = await f.json(null, 'GET', '/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/api/search', '/api/entries/{id}', '/api/events']),
    );
    expect(doc.body.components.schemas.Problem).toBeDefined();
  });
});

describe('search', () => {
  it('returns ranked results with marked snippets, facets and corrections', async () => {
    await f.storage.createEntries([
      sampleEntry,
      {
        ...sampleEntry,
        title: 'VSAM status 35 on OPEN',
        problem: 'The VSAM cluster is not defined.',
        category: 'vsam',
        tags: ['vsam'],
      },
    ]);
    const r = await f.json('viewer', 'GET', '/api/search?q=packed%20decmal&limit=5');
    expect(r.status).toBe(200);
    expect(r.body.results[0].entry.title).toBe(sampleEntry.title);
    expect(r.body.results[0].snippet).toContain('<mark>');
    expect(r.body.corrections).toEqual([
      { from: 'decmal', to: 'decimal', confidence: expect.any(Number), applied: true },
    ]);
    expect(r.body.facets.category).toEqual([{ value: 'COBOL', count: 1 }]);
    const filtered = await f.json('viewer', 'GET', '/api/search?q=category:vsam');
    expect(filtered.body.results.map((x: { entry: { category: string } }) => x.entry.category)).toEqual([
      'VSAM',
    ]);
  });

  it('records who searched', async () => {
    await f.storage.createEntry(sampleEntry);
    await f.call('viewer', 'GET', '/api/search?q=S0C7');
    await f.storage.flushSearchHistory();
    const [last] = await f.storage.getSearchHistory({ limit: 1 });
    expect(last).toMatchObject({ query: 'S0C7', userId: 'viewer-user' });
  });
});

describe('feedback, history and audit', () => {
  it('lets a viewer give feedback; the history shows who did what to the entry', async () => {
    const id = await f.storage.runAs({ id: 'editor-user', role: 'editor' }, () =>
      f.storage.createEntry(sampleEntry),
    );
    const fb = await f.json('viewer', 'POST', `/api/entries/${id}/feedback`, {
      outcome: 'success',
      rating: 5,
    });
    expect(fb).toMatchObject({ status: 200, body: { successCount: 1 } });
    const history = await f.json('admin', 'GET', `/api/entries/${id}/history`);
    expect(history.status).toBe(200);
    expect(history.body.rows.map((r: { actor: string }) => r.actor)).toEqual(['editor-user', 'viewer-user']);
    expect((await f.call('viewer', 'GET', `/api/entries/${id}/history`)).status).toBe(403);
    const verify = await f.json('admin', 'POST', '/api/audit/verify');
    expect(verify.body.ok).toBe(true);
  });
});

describe('cross-origin calls', () => {
  const preflight = (app: Fixture['app'], origin: string) =>
    app.request('/api/entries', {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization',
      },
    });

  it('allows no other origin by default', async () => {
    const response = await preflight(f.app, 'https://evil.example');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const read = await f.call('viewer', 'GET', '/api/entries', undefined, { origin: 'https://evil.example' });
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows exactly the origins it is given', async () => {
    const g = await openFixture({ app: { corsOrigins: ['https://assistant.example'] } });
    try {
      const allowed = await preflight(g.app, 'https://assistant.example');
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://assistant.example');
      expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
      const other = await preflight(g.app, 'https://evil.example');
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await g.close();
    }
  });
});
