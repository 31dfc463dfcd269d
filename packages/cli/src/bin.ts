import { runCli } from './cli.js';

// `kb … | head`: once the reader has gone, writing to it fails with EPIPE. That is the reader's choice, not
// a failure of the command: stop quietly, as a Unix tool stopped by SIGPIPE does, with the command's exit
// code when it has one (a read answered as far as anyone listened) rather than an unhandled-error trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// exitCode rather than exit(): stdout may still be flushing to a pipe when the command finishes.
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  isTTY: process.stdout.isTTY === true,
});
