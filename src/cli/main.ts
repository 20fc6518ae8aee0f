#!/usr/bin/env node
import { runCli } from './commands.js';
import { EXIT } from '../report/exit-codes.js';

/**
 * The entrypoint, as PID 1 in the container: the first SIGTERM/SIGINT stops the run at a batch
 * boundary (banner printed, exit 130); a second one exits at once.
 */
const controller = new AbortController();
let signals = 0;
const onSignal = (name: NodeJS.Signals) => {
  signals++;
  if (signals > 1) process.exit(EXIT.INTERRUPTED);
  process.stderr.write(`received ${name}: stopping after the batch in flight (send again to exit at once)\n`);
  controller.abort(new Error(name));
};
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);
// A failure nothing caught is a bug: say so without its message (it may quote data) and exit 1.
// The table lock is then stale at once for the next attempt on this host (its PID is gone).
const onFatal = (err: unknown) => {
  const name = err instanceof Error ? err.name : typeof err;
  const code = (err as { code?: unknown } | null)?.code;
  process.stderr.write(`✗ internal error (${name}${typeof code === 'string' ? ` ${code}` : ''}) [INTERNAL]\n`);
  process.exit(EXIT.INTERNAL);
};
process.on('uncaughtException', onFatal);
process.on('unhandledRejection', onFatal);

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
});
process.exitCode = code;
