/**
 * The server side of `pnpm bench:http`, in its own process so that the load generator does not share its
 * event loop: starts the demo server on the database given, prints `{ "url": … }` and runs until killed.
 */
import { startDemoServer } from '../src/server.js';

const [database, grantsJson, schema] = process.argv.slice(2);
if (!database || !grantsJson) throw new Error('usage: bench-server <database> <grants json> [pg schema]');
const server = await startDemoServer({
  database,
  sample: false,
  port: 0,
  grants: JSON.parse(grantsJson),
  // A benchmark measures the engine, not the cache: 1,000 clients repeating 200 queries would hit it.
  config: { performance: { caching: { enabled: false } }, ...(schema ? { database: { schema } } : {}) },
});
process.stdout.write(
  `${JSON.stringify({ url: server.url, entries: await server.storage.countEntries() })}\n`,
);
process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
