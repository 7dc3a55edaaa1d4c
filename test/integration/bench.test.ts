/** The benchmarks run and print one JSON line (tiny sizes here; real numbers come from `npm run bench`). */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { lastJson, repoRoot } from '../helpers.ts';

test('bench/train-iteration.ts prints seconds per iteration, peak memory and the PyTorch ratio as JSON', () => {
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'bench', 'train-iteration.ts'),
      '--batch',
      '2',
      '--size',
      '8',
      '--width',
      '2',
      '--steps',
      '2',
      '--iters',
      '1',
      '--backend',
      'wasm',
      '--warmup',
      '0',
    ],
    { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const j = lastJson(r.stdout);
  assert.equal(j.backend, 'wasm');
  assert.ok((j.sec_per_iter as number) > 0);
  assert.deepEqual([j.batch, j.size, j.width, j.steps], [2, 8, 2, 2]);
  for (const k of ['gflop_per_iter', 'gflops', 'sampling_images_per_sec', 'restore_seconds_per_image', 'peak_rss_mb']) assert.ok((j[k] as number) > 0, k);
  // The PyTorch figure of the same run where Debian's PyTorch is installed, else a plain "not run".
  if (j.torch === undefined) {
    assert.match(String(j.torch_impl), /^pytorch-/);
    assert.ok(Math.abs((j.ratio_to_torch as number) - (j.sec_per_iter as number) / (j.torch_sec_per_iter as number)) < 1e-9);
  } else assert.equal(j.torch, 'not run');
});

test('bench/conv-kernels.ts prints direct vs Winograd timings per layer and batch as JSON', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench', 'conv-kernels.ts'), '--reps', '1', '--backend', 'wasm'], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const j = lastJson(r.stdout);
  assert.equal(j.backend, 'wasm');
  assert.equal(j.winograd, true);
  const layers = j.layers as Record<string, number | string>[];
  assert.deepEqual(
    layers.map((l) => `${l.layer} b${l.batch}`),
    ['32x32 32->32', '16x16 32->64', '8x8 64->128'].flatMap((l) => [32, 16, 1].map((b) => `${l} b${b}`)),
  );
  for (const l of layers) {
    for (const k of ['direct_ms', 'direct_gflops', 'winograd_cached_ms', 'winograd_uncached_ms']) assert.ok((l[k] as number) > 0, `${l.layer} ${k}`);
    assert.ok((l.winograd_relative_error as number) < 1e-4, `${l.layer} b${l.batch} error ${l.winograd_relative_error}`);
  }
});
