// One worker of startDemoCluster: runs the server with the options the primary passed, reports its URL.
import { WORKER_OPTIONS_ENV } from './cluster.js';
import { startDemoServer } from './server.js';

const options = JSON.parse(process.env[WORKER_OPTIONS_ENV] ?? '{}');
try {
  const server = await startDemoServer(options);
  process.send?.({ url: server.url });
  process.once('SIGTERM', () => void server.stop().finally(() => process.exit(0)));
} catch (error) {
  process.send?.({ error: String((error as Error).message ?? error) });
  process.exit(1);
}
