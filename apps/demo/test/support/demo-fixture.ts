import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createStorage,
  type KBEntryInput,
  type Role,
  type Storage,
  type StorageConfigInput,
} from '@mainframe-kb/storage-core';
import { createDemoApp, type DemoApp, type DemoAppOptions } from '../../src/app.js';
import { DEMO_PLUGINS } from '../../src/server.js';
import { type TokenGrant, TokenTable } from '../../src/tokens.js';

export const TOKENS: Record<Role, string> = {
  viewer: 'test-viewer-token-0123456789',
  editor: 'test-editor-token-0123456789',
  admin: 'test-admin-token-01234567890',
};

export const GRANTS: TokenGrant[] = (Object.keys(TOKENS) as Role[]).map((role) => ({
  token: TOKENS[role],
  actor: { id: `${role}-user`, role },
}));

export interface Fixture extends DemoApp {
  storage: Storage;
  dir: string;
  /** Calls the app in-process as `role` (or with no token when role is null). */
  call(
    role: Role | null,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Response>;
  /** Like call, and parses the JSON body. */
  json<T = any>(
    role: Role | null,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

/** A store in a temporary directory with every demo plugin, and the app over it. */
export async function openFixture(
  options: { config?: StorageConfigInput; app?: Partial<DemoAppOptions> } = {},
): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'kb-demo-'));
  const storage = await createStorage(
    { ...options.config, database: { path: join(dir, 'kb.db'), ...options.config?.database } },
    { plugins: [...DEMO_PLUGINS] },
  );
  const demo = createDemoApp({
    storage,
    tokens: new TokenTable(GRANTS),
    events: { pollMs: 50 },
    ...options.app,
  });
  const call: Fixture['call'] = (role, method, path, body, headers = {}) => {
    const init: RequestInit = { method, headers: { ...headers } };
    const h = init.headers as Record<string, string>;
    if (role !== null) h.authorization = `Bearer ${TOKENS[role]}`;
    if (body !== undefined) {
      if (typeof body === 'string' || body instanceof Uint8Array || body instanceof FormData) {
        init.body = body as BodyInit;
      } else {
        init.body = JSON.stringify(body);
        h['content-type'] ??= 'application/json';
      }
    }
    return Promise.resolve(demo.app.request(path, init));
  };
  return {
    ...demo,
    storage,
    dir,
    call,
    async json(role, method, path, body) {
      const response = await call(role, method, path, body);
      const text = await response.text();
      return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
    },
    async close() {
      await demo.close();
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const sampleEntry: KBEntryInput & { severity: 'high'; tags: string[] } = {
  title: 'S0C7 data exception in PAYROLL',
  problem: 'Program PAYROLL abends S0C7 when adding a packed decimal field that holds spaces.',
  solution: 'Initialise the COMP-3 field with MOVE ZERO and validate input with IF NUMERIC.',
  category: 'cobol',
  severity: 'high',
  tags: ['s0c7', 'payroll'],
};
