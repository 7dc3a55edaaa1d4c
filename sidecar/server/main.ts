/**
 * Entry point of the sidecar process: the extension spawns `node dist/sidecar.js` and
 * speaks JSON-RPC 2.0 over its stdin/stdout. stdout carries protocol messages only;
 * everything else (TF.js notices, logs) goes to stderr, which the extension shows in
 * its output channel.
 */
console.log = console.error;
console.info = console.error;
console.warn = console.error;

import { startServer } from './rpc.ts';

const server = startServer(process.stdin, process.stdout);
void server.closed.then(() => process.exit(0));
process.on('SIGTERM', () => process.stdin.destroy());
