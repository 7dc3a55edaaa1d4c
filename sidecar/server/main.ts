/**
 * Entry point of the sidecar process: the extension spawns `node dist/sidecar.js` and
 * speaks JSON-RPC 2.0 over its stdin/stdout. stdout carries protocol messages only;
 * everything else (TF.js notices, logs) goes to stderr, which the extension shows in
 * its output channel.
 *
 * With `--lsp-fd N` the same process also serves the config-file language server (LSP)
 * on file descriptor N, a socket the extension passes as an extra stdio entry. Two
 * channels, one process, because:
 *  - the framing differs: LSP is Content-Length framed and driven by vscode-languageclient,
 *    our protocol is line-delimited json-rpc-2.0; one stream would force one framing on both;
 *  - the lifecycles differ: the language client stops and restarts its session on its own
 *    (`shutdown`/`exit`), which must not end training runs or pending restorations;
 *  - keystroke-driven LSP traffic is not queued behind sample-grid notifications.
 * Both share the engine code (config checks) and the one process that owns the accelerator.
 */
console.log = console.error;
console.info = console.error;
console.warn = console.error;

import { Socket } from 'node:net';
import { serveLanguage } from '../language/server.ts';
import { startServer } from './rpc.ts';

const server = startServer(process.stdin, process.stdout);
void server.closed.then(() => process.exit(0));
process.on('SIGTERM', () => process.stdin.destroy());

const lspFlag = process.argv.indexOf('--lsp-fd');
if (lspFlag > 0) {
  const fd = Number(process.argv[lspFlag + 1]);
  void serveLanguage(new Socket({ fd, readable: true, writable: true }), (m) => console.error(m));
}
