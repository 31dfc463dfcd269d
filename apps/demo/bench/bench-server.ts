/**
 * The server side of `pnpm bench:http`, in its own process(es) so that the load generator does not share
 * their event loops: starts the demo server (or `workers` of them on one port) on the database given,
 * prints `{ "url": … }` and runs until killed.
 */
import { startDemoCluster } from '../src/cluster.js';
import { type DemoServerOptions, startDemoServer } from '../src/server.js';

const [database, grantsJson, workersArg = '1', configJson = '{}'] = process.argv.slice(2);
if (!database || !grantsJson)
  throw new Error('usage: bench-server <database> <grants json> [workers] [store config json]');
const config = JSON.parse(configJson);
const options: DemoServerOptions = {
  database,
  sample: false,
  port: 0,
  grants: JSON.parse(grantsJson),
  // A benchmark measures the engine, not the cache: 1,000 clients repeating 200 queries would hit it.
  config: { ...config, performance: { caching: { enabled: false } } },
};
const workers = Number(workersArg);
const server = workers > 1 ? await startDemoCluster(options, workers) : await startDemoServer(options);
process.stdout.write(`${JSON.stringify({ url: server.url, workers })}\n`);
process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
