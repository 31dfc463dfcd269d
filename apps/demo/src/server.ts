import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import backupPlugin from '@mainframe-kb/backup';
import { loadSampleKb } from '@mainframe-kb/cli';
import ioFormatsPlugin from '@mainframe-kb/io-formats';
import analyticsPlugin from '@mainframe-kb/plugin-analytics';
import codePlugin from '@mainframe-kb/plugin-code';
import patternsPlugin from '@mainframe-kb/plugin-patterns';
import templatesPlugin from '@mainframe-kb/plugin-templates';
import {
  createStorage,
  type PluginDefinition,
  parseDatabaseUrl,
  type Storage,
  type StorageConfigInput,
} from '@mainframe-kb/storage-core';
import { createDemoApp, type DemoApp } from './app.js';
import type { BackupRouteSettings } from './routes/backup-routes.js';
import { demoGrants, type TokenGrant, TokenTable } from './tokens.js';

/** Every extension of this project: the demo shows each MVP, so it enables them all. */
export const DEMO_PLUGINS: readonly PluginDefinition[] = [
  ioFormatsPlugin,
  patternsPlugin,
  backupPlugin,
  codePlugin,
  templatesPlugin,
  analyticsPlugin,
] as PluginDefinition[];

/** The web app's files, built next to the server. */
export const UI_DIR = fileURLToPath(new URL('../public/', import.meta.url));

export interface DemoServerOptions {
  /** A file path, `sqlite:…`, `postgres://…` or `mysql://…` (default `./kb-demo.db`). */
  database?: string;
  /** More of the store's config (performance, audit…); `database` above wins. */
  config?: StorageConfigInput;
  /** Load the bundled sample KB when the store holds no entry (default true). */
  sample?: boolean;
  /** The token table; default one fresh random token per role. */
  grants?: readonly TokenGrant[];
  port?: number;
  /** Default 127.0.0.1: the demo is not exposed beyond this machine unless asked. */
  host?: string;
  corsOrigins?: readonly string[];
  maxUploadBytes?: number;
  /** The backup repository and restore folder (default beside the SQLite file); passphrase from the env. */
  backup?: BackupRouteSettings;
}

export interface DemoServer extends DemoApp {
  storage: Storage;
  grants: readonly TokenGrant[];
  url: string;
  /** Stops accepting connections, ends the event streams and closes the store. */
  stop(): Promise<void>;
}

/**
 * Opens the store the options name with every demo plugin (migrating it), and loads the sample KB into it
 * when it holds no entry and `sample` is not false.
 */
export async function openDemoStore(options: DemoServerOptions): Promise<Storage> {
  const target = parseDatabaseUrl(options.database ?? './kb-demo.db');
  const storage = await createStorage(
    { ...options.config, database: { ...options.config?.database, ...target } },
    { plugins: [...DEMO_PLUGINS] },
  );
  try {
    if ((options.sample ?? true) && (await storage.countEntries({ includeArchived: true })) === 0) {
      await storage.createEntries(loadSampleKb());
    }
    return storage;
  } catch (error) {
    await storage.close().catch(() => undefined);
    throw error;
  }
}

export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const storage = await openDemoStore(options);
  try {
    const grants = options.grants ?? demoGrants();
    const demo = createDemoApp({
      storage,
      tokens: new TokenTable(grants),
      uiDir: UI_DIR,
      ...(options.corsOrigins ? { corsOrigins: options.corsOrigins } : {}),
      ...(options.maxUploadBytes ? { maxUploadBytes: options.maxUploadBytes } : {}),
      ...(options.backup ? { backup: options.backup } : {}),
    });
    const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
      const s = serve(
        { fetch: demo.app.fetch, port: options.port ?? 8080, hostname: options.host ?? '127.0.0.1' },
        () => resolve(s),
      );
      s.once('error', reject);
    });
    // 1,000 keep-alive clients: let idle connections live longer than a client's pause between searches.
    const http = server as unknown as { keepAliveTimeout: number; headersTimeout: number };
    http.keepAliveTimeout = 65_000;
    http.headersTimeout = 66_000;
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return {
      ...demo,
      storage,
      grants,
      url: `http://${host}:${address.port}`,
      async stop() {
        await demo.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        });
        await storage.close();
      },
    };
  } catch (error) {
    await storage.close().catch(() => undefined);
    throw error;
  }
}
