/**
 * Optional backends resolved from the folders of ECVAE_BACKEND_PATHS (where the VS Code
 * extension installs them), besides the sidecar's own node_modules: a small local package
 * that registers a test backend under the name "tensorflow" is found there, selected by
 * 'auto', named in the report with its folder, and computes; without the variable it is
 * not found and the report says why.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { writeTestBackendPackage } from '../backendPackage.ts';
import { repoRoot, tempDir } from '../helpers.ts';

/** A fresh process (backend selection is once per process): select 'auto', add two tensors, print the report. */
function selectIn(env: Record<string, string>): { backend: string; attempts: { name: string; ok: boolean; detail: string }[]; sum: number[] } {
  const script = [
    `import { selectBackend } from ${JSON.stringify(join(repoRoot, 'sidecar/engine/core/backend.ts'))};`,
    `import * as tf from ${JSON.stringify(join(repoRoot, 'sidecar/engine/core/tf.ts'))};`,
    `const r = await selectBackend('auto');`,
    `const sum = Array.from(await tf.add(tf.tensor([1, 2]), tf.tensor([3, 4])).data());`,
    `process.stdout.write(JSON.stringify({ backend: r.backend, attempts: r.attempts, sum }));`,
  ].join('\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as ReturnType<typeof selectIn>;
}

test('an optional backend installed in an ECVAE_BACKEND_PATHS folder is resolved, selected and computes', () => {
  const empty = tempDir('ecvae-backends-empty-');
  const installed = writeTestBackendPackage(tempDir('ecvae-backends-'), repoRoot);
  const r = selectIn({ ECVAE_BACKEND_PATHS: [empty, installed].join(process.platform === 'win32' ? ';' : ':') });
  assert.equal(r.backend, 'tensorflow');
  assert.deepEqual(r.sum, [4, 6]);
  const attempt = r.attempts.find((a) => a.name === 'tensorflow')!;
  assert.ok(attempt.ok);
  assert.equal(attempt.detail, `native libtensorflow on the CPU (tfjs-node from ${installed})`);
  assert.match(r.attempts.find((a) => a.name === 'tensorflow-gpu')!.detail, /package not installed/);
});

test('without the folder the package is not found, and the report says so before falling through', () => {
  const r = selectIn({ ECVAE_BACKEND_PATHS: '' });
  assert.notEqual(r.backend, 'tensorflow');
  assert.match(r.attempts.find((a) => a.name === 'tensorflow')!.detail, /package not installed/);
});
