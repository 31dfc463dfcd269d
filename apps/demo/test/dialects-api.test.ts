import type { Storage } from '@mainframe-kb/storage-core';
import { availableTestStores } from '@mainframe-kb/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { createDemoApp, type DemoApp } from '../src/app.js';
import { DEMO_PLUGINS } from '../src/server.js';
import { TokenTable } from '../src/tokens.js';
import { GRANTS, sampleEntry, TOKENS } from './support/demo-fixture.js';

// The API's main path on every dialect this run reaches: SQLite always, PostgreSQL and MySQL when
// KB_TEST_PG_URL / KB_TEST_MYSQL_URL are set (.ci/run sets both).
for (const { dialect, stores, skipped } of availableTestStores()) {
  describe.skipIf(stores === undefined)(`the API on ${dialect}${skipped ? ` (${skipped})` : ''}`, () => {
    let storage: Storage;
    let demo: DemoApp;

    afterAll(async () => {
      await demo?.close();
      await storage?.close();
      await stores?.cleanup();
    });

    const call = (role: keyof typeof TOKENS, method: string, path: string, body?: unknown) =>
      demo.app.request(path, {
        method,
        headers: { authorization: `Bearer ${TOKENS[role]}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });

    it('creates, searches, refuses a viewer write, records feedback and streams the change', async () => {
      storage = await (stores as NonNullable<typeof stores>).open({}, { plugins: [...DEMO_PLUGINS] });
      demo = createDemoApp({ storage, tokens: new TokenTable(GRANTS), events: { pollMs: 50 } });
      const stream = await call('viewer', 'GET', '/api/events');
      const created = await call('editor', 'POST', '/api/entries', sampleEntry);
      expect(created.status).toBe(201);
      const entry = (await created.json()) as { id: string; createdBy: string };
      expect(entry.createdBy).toBe('editor-user');

      const before = await storage.contentHash();
      const refused = await call('viewer', 'PATCH', `/api/entries/${entry.id}`, { title: 'defaced' });
      expect(refused.status).toBe(403);
      expect(await storage.contentHash()).toEqual(before);

      const search = await call('viewer', 'GET', '/api/search?q=packed%20decimal');
      const body = (await search.json()) as { results: { entry: { id: string }; snippet: string }[] };
      expect(body.results[0]?.entry.id).toBe(entry.id);
      expect(body.results[0]?.snippet).toContain('<mark>');

      const feedback = await call('viewer', 'POST', `/api/entries/${entry.id}/feedback`, {
        outcome: 'success',
      });
      expect(await feedback.json()).toMatchObject({ successCount: 1 });

      const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
      let text = '';
      const deadline = Date.now() + 5_000;
      while (!text.includes('event: entry:created') && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      await reader.cancel();
      expect(text).toContain('event: entry:created');
      expect(text).toContain(entry.id);
    });
  });
}
