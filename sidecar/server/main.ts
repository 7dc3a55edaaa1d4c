/**
 * Entry point of the sidecar process: the extension spawns `node dist/sidecar.js` and
 * speaks JSON-RPC 2.0 over its stdin/stdout. stdout carries protocol messages only;
 * everything else (TF.js notices, logs) goes to stderr, which the extension shows in
 * its output channel.
 *
 * The config language server is a process of its own (sidecar/language/main.ts).
 */
console.log = console.error;
console.info = console.error;
console.warn = console.error;

import { startServer } from './methods.ts';

const server = startServer(process.stdin, process.stdout);
void server.closed.then(() => process.exit(0));

/**
 * SIGTERM, SIGINT, SIGHUP (and stdin EOF, through `closed`): every active run stops after
 * its current iteration, writes a checkpoint and says "stopped"; the process exits at
 * the latest 10 s later, whatever is still running.
 */
const SHUTDOWN_DEADLINE_MS = 10_000;
let shuttingDown = false;
function shutdown(why: string): void {
  if (shuttingDown) return;
  shuttingDown = true;
  console.error(`sidecar: ${why}: stopping active runs after their current iteration`);
  setTimeout(() => {
    console.error(`sidecar: runs did not stop within ${SHUTDOWN_DEADLINE_MS / 1000} s; exiting`);
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS).unref();
  void server.stop().then(() => process.exit(0));
}
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));
// A client that stops reading (its end of stdout closed: EPIPE) is gone like one that closed stdin:
// runs stop with a checkpoint and status "stopped", locks released. A broken stderr only loses logs.
process.stdout.on('error', (err: NodeJS.ErrnoException) => shutdown(`stdout failed (${err.code ?? err.message})`));
process.stderr.on('error', () => {});
// A rejected promise nobody awaited is a bug to report, not a reason to kill a training run.
process.on('unhandledRejection', (reason) => console.error(`sidecar: unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}`));
