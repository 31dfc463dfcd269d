import { runCli } from './cli.js';

// exitCode rather than exit(): stdout may still be flushing to a pipe when the command finishes.
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  isTTY: process.stdout.isTTY === true,
});
