import { parseArgs } from 'node:util';
import { startDemoCluster } from './cluster.js';
import { type DemoServerOptions, startDemoServer } from './server.js';
import { readTokenFile, type TokenGrant } from './tokens.js';

const USAGE = `kb-demo [--db <path|url>] [--port 8080] [--host 127.0.0.1] [--tokens <file.json>] [--no-sample]
             [--cors <origin>]... [--max-upload-mb 64] [--backup-dir <dir>] [--restore-dir <dir>]
             [--workers 1]

Starts the HTTP API and the web app over the store. Without --tokens, one random token per role is made
and printed with a link that signs the browser in. --db takes a file path, sqlite:, postgres:// or mysql://
(also $KB_DATABASE_URL); the default is ./kb-demo.db, loaded with the sample KB when empty. Backups go to
--backup-dir (default <db>.backups), restores to --restore-dir (default <db>.restores), encrypted with the
passphrase in $KB_BACKUP_PASSPHRASE. --workers N runs N server processes on one port (one per core).`;

/** `pnpm demo`: starts the server and runs until SIGINT/SIGTERM; returns an exit code for usage errors. */
export async function main(argv: readonly string[]): Promise<number | undefined> {
  let values: ReturnType<typeof parse>;
  try {
    values = parse(argv);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const port = Number(values.port ?? process.env.PORT ?? 8080);
  const maxMb = Number(values['max-upload-mb'] ?? 64);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !(maxMb > 0)) {
    console.error(`--port must be 0–65535 and --max-upload-mb a positive number\n\n${USAGE}`);
    return 2;
  }
  const workers = Number(values.workers ?? 1);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
    console.error(`--workers must be 1–64\n\n${USAGE}`);
    return 2;
  }
  const serverOptions: DemoServerOptions = {
    database: values.db ?? process.env.KB_DATABASE_URL ?? './kb-demo.db',
    sample: !values['no-sample'],
    port,
    ...(values.host ? { host: values.host } : {}),
    ...(values.tokens ? { grants: readTokenFile(values.tokens) } : {}),
    ...(values.cors ? { corsOrigins: values.cors } : {}),
    maxUploadBytes: Math.round(maxMb * 1024 * 1024),
    backup: {
      ...(values['backup-dir'] ? { backupDir: values['backup-dir'] } : {}),
      ...(values['restore-dir'] ? { restoreDir: values['restore-dir'] } : {}),
    },
  };
  let server: { url: string; grants: readonly TokenGrant[]; stop(): Promise<void> };
  if (workers > 1) {
    server = await startDemoCluster(serverOptions, workers);
    console.log(`mainframe KB demo on ${server.url} — ${workers} worker processes`);
  } else {
    const single = await startDemoServer(serverOptions);
    server = single;
    const count = await single.storage.countEntries();
    console.log(
      `mainframe KB demo on ${single.url} — ${single.storage.dialectName} ${single.storage.location}, ${count} entries`,
    );
  }
  console.log(`API: ${server.url}/api/openapi.json`);
  if (!values.tokens) {
    for (const grant of server.grants) {
      console.log(`  ${grant.actor.role.padEnd(6)} ${server.url}/#token=${grant.token}`);
    }
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.stop();
  return undefined;
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    options: {
      db: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      tokens: { type: 'string' },
      'no-sample': { type: 'boolean' },
      cors: { type: 'string', multiple: true },
      'max-upload-mb': { type: 'string' },
      'backup-dir': { type: 'string' },
      'restore-dir': { type: 'string' },
      workers: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
}
