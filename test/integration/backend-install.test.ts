/**
 * Installing an optional backend into the extension's storage (extension/backendInstall.ts),
 * with stand-ins for npm: npm's own failure output as it happens on a machine that
 * reaches the npm registry but not libtensorflow's download host, a package whose native
 * binding cannot load (no CUDA), a missing npm, a cancelled install, and a good one. Each
 * failure names the reason and the next step and leaves nothing in the backends folder;
 * the good one lands in place and is listed for the sidecar. (The real npm, as it fails
 * here: test/electron/suite.ts.)
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { explainFailure, installBackend, installedBackendFolders } from '../../extension/backendInstall.ts';
import { writeTestBackendPackage } from '../backendPackage.ts';
import { repoRoot, tempDir } from '../helpers.ts';

const offlineLog = readFileSync(join(repoRoot, 'test', 'fixtures', 'npm-tfjs-node-gpu-offline.log'), 'utf8');

/** An executable stand-in for npm: a Node script run in the install folder with npm's arguments. */
function fakeNpm(body: string): string {
  const file = join(tempDir('ecvae-fake-npm-'), 'npm');
  writeFileSync(file, `#!${process.execPath}\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

const leftovers = (root: string): string[] => readdirSync(root).filter((d) => d.startsWith('.install-'));

test("npm's failure as it happens here (libtensorflow's host unreachable): the reason, the next step, nothing left", async () => {
  const root = tempDir('ecvae-backends-');
  const npm = fakeNpm(`process.stderr.write(${JSON.stringify(offlineLog)}); process.exit(1);`);
  const lines: string[] = [];
  const r = await installBackend({ root, variant: 'gpu', version: '4.22.0', npm, onLine: (l) => lines.push(l) });
  assert.ok(!r.ok && 'reason' in r);
  assert.equal(
    r.reason,
    'npm fetched @tensorflow/tfjs-node-gpu, but its install script could not download the TensorFlow C library (libtensorflow) from storage.googleapis.com (ENOTFOUND).',
  );
  assert.match(r.next, /^Allow downloads from storage\.googleapis\.com, or point TFJS_NODE_CDN_STORAGE at a mirror .* Or install the native CPU backend/);
  assert.ok(
    lines.some((l) => /Downloading libtensorflow/.test(l)),
    'npm output reaches the log line by line',
  );
  assert.deepEqual(readdirSync(root), [], 'nothing half-installed');
});

test('a package whose native binding cannot load (no CUDA) is not kept; an earlier install stays as it was', async () => {
  const root = tempDir('ecvae-backends-');
  writeTestBackendPackage(join(root, 'tfjs-node-gpu'), repoRoot, '@tensorflow/tfjs-node-gpu');
  const npm = fakeNpm(
    [
      `const fs = require('fs'), p = require('path');`,
      `const d = p.join(process.cwd(), 'node_modules', '@tensorflow', 'tfjs-node-gpu');`,
      `fs.mkdirSync(d, { recursive: true });`,
      `fs.writeFileSync(p.join(d, 'package.json'), '{"name":"@tensorflow/tfjs-node-gpu","main":"index.js"}');`,
      `fs.writeFileSync(p.join(d, 'index.js'), "throw new Error('libcudart.so.11.0: cannot open shared object file: No such file or directory')");`,
    ].join('\n'),
  );
  const r = await installBackend({ root, variant: 'gpu', version: '4.22.0', npm });
  assert.ok(!r.ok && 'reason' in r);
  assert.match(r.reason, /CUDA's libcudart\.so\.11\.0 is missing: libtensorflow 2\.9 needs CUDA 11\.2 and cuDNN 8\.1/);
  assert.deepEqual(leftovers(root), []);
  assert.equal(readFileSync(join(root, 'tfjs-node-gpu', 'node_modules', '@tensorflow', 'tfjs-node-gpu', 'package.json'), 'utf8').includes('0.0.0-test'), true);
});

test('no npm on PATH, and a cancelled install: said plainly, nothing left', async () => {
  const root = tempDir('ecvae-backends-');
  const missing = await installBackend({ root, variant: 'cpu', version: '4.22.0', npm: join(root, 'no-such-npm') });
  assert.ok(!missing.ok && 'reason' in missing);
  assert.equal(missing.reason, 'npm was not found on PATH.');
  const abort = new AbortController();
  const slow = fakeNpm(`console.log('npm http fetch GET 200 https://registry.npmjs.org/@tensorflow%2ftfjs-node'); setTimeout(() => {}, 60_000);`);
  const running = installBackend({ root, variant: 'cpu', version: '4.22.0', npm: slow, signal: abort.signal, onLine: () => abort.abort() });
  assert.deepEqual(await running, { ok: false, cancelled: true });
  assert.deepEqual(readdirSync(root), []);
});

test('a good install lands in <root>/<package> and is what the sidecar is pointed at', async () => {
  const root = tempDir('ecvae-backends-');
  const source = writeTestBackendPackage(tempDir('ecvae-pkg-'), repoRoot);
  const npm = fakeNpm(
    `require('fs').cpSync(${JSON.stringify(join(source, 'node_modules'))}, require('path').join(process.cwd(), 'node_modules'), { recursive: true });`,
  );
  const r = await installBackend({ root, variant: 'cpu', version: '4.22.0', npm });
  assert.deepEqual(r, { ok: true, folder: join(root, 'tfjs-node') });
  assert.deepEqual(installedBackendFolders(root), [join(root, 'tfjs-node')]);
  assert.deepEqual(leftovers(root), []);
});

test('a registry that cannot be reached is told apart from the binary download', () => {
  const r = explainFailure(
    'cpu',
    'npm error code ENOTFOUND\nnpm error request to https://registry.npmjs.org/@tensorflow%2ftfjs-node failed, reason: getaddrinfo ENOTFOUND registry.npmjs.org',
  );
  assert.match(r.reason, /could not reach the package registry/);
});
