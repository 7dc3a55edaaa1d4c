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

test('bench/conv-kernels.ts prints direct vs Winograd timings per layer, batch and kernel build as JSON', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench', 'conv-kernels.ts'), '--reps', '1', '--backend', 'wasm'], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const j = lastJson(r.stdout);
  assert.equal(j.backend, 'wasm');
  assert.equal(j.winograd, true);
  const variants = j.variants as string[];
  assert.ok(variants.includes('simd') && variants.includes(j.kernel_variant as string), `builds ${variants.join(', ')}, in use ${j.kernel_variant}`);
  const layers = j.layers as Record<string, number | string>[];
  const shapes = ['32x32 32->32', '16x16 32->64', '8x8 64->128', '32x32 3->32', '32x32 32->3', '28x28 8->8', '14x14 8->16', '28x28 1->8'];
  assert.deepEqual(
    layers.map((l) => `${l.layer} b${l.batch}`),
    shapes.flatMap((l) => [32, 16, 1].map((b) => `${l} b${b}`)),
  );
  for (const l of layers) {
    const timings = [
      'direct_ms',
      'direct_gflops',
      'direct_filter_grad_ms',
      ...variants.flatMap((v) => ['cached_ms', 'uncached_ms', 'filter_grad_ms'].map((k) => `${v}_${k}`)),
    ];
    for (const k of timings) assert.ok((l[k] as number) > 0, `${l.layer} ${k}`);
    for (const k of variants.flatMap((v) => [`${v}_relative_error`, `${v}_filter_grad_relative_error`]))
      assert.ok((l[k] as number) < 1e-4, `${l.layer} b${l.batch} ${k} ${l[k]}`);
  }
  const gemms = j.gemms as Record<string, number | string>[];
  assert.equal(gemms.length, 3);
  for (const g of gemms) for (const k of ['tf_matmul_gflops', ...variants.map((v) => `${v}_gflops`)]) assert.ok((g[k] as number) > 0, `${g.gemm} ${k}`);
});

/** Runs a bench script with `args` and returns its last stdout line as JSON. */
function runBench(script: string, args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench', script), ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  return lastJson(r.stdout);
}

test('bench/paper32.ts prints our seconds per iteration and, same run, the official networks in PyTorch with the ratio', () => {
  const j = runBench('paper32.ts', [
    '--json',
    '--width-factor',
    '0.015625',
    '--batch',
    '2',
    '--steps',
    '1',
    '--iters',
    '1',
    '--warmup',
    '0',
    '--backend',
    'wasm',
    '--profile',
  ]);
  assert.deepEqual([j.model, j.width_factor, j.batch, j.steps], ['paper32', 0.015625, 2, 1]);
  const profile = j.profile as { kernel_calls: number; top_kernels: { name: string; ms: number; calls: number }[] };
  assert.ok(profile.kernel_calls > 0 && profile.top_kernels.length > 0 && profile.top_kernels.every((k) => k.calls > 0));
  assert.ok((j.sec_per_iter as number) > 0);
  if (j.torch === undefined) {
    assert.match(String(j.torch_impl), /^pytorch-/);
    assert.ok((j.torch_sec_per_iter as number) > 0);
    assert.ok(Math.abs((j.ratio_to_torch as number) - (j.sec_per_iter as number) / (j.torch_sec_per_iter as number)) < 1e-9);
  } else assert.match(String(j.torch), /^not run: /);
});

test('bench/energy-accuracy.ts: the WASM kernels match the cpu backend on the paper32 energy, its input gradient and each convolution', () => {
  const j = runBench('energy-accuracy.ts', ['--width-factor', '0.015625', '--batch', '1']);
  const builds = ['relaxed', 'simd'].filter((v) => j[v] !== undefined);
  assert.ok(builds.includes('simd'));
  for (const v of builds) {
    const r = j[v] as {
      energy: { norm_rel: number };
      input_grad: { norm_rel: number };
      input_grad_moved_images: { norm_rel: number };
      layers: { forward: { norm_rel: number }; input_grad: { norm_rel: number } }[];
    };
    // Each convolution alone has no kinks: there the kernels must match outright.
    assert.ok(r.layers.length > 0 && r.layers.every((l) => l.forward.norm_rel < 1e-4 && l.input_grad.norm_rel < 1e-4), v);
    // The whole energy's gradient may differ by as much as it moves when the images move by 1e-6 (leaky ReLUs switching slope).
    const floor = Math.max((j.reference_moved_images as { norm_rel: number }).norm_rel, r.input_grad_moved_images.norm_rel);
    assert.ok(r.energy.norm_rel < 1e-4, `${v} energy ${r.energy.norm_rel}`);
    assert.ok(r.input_grad.norm_rel < Math.max(1e-4, 3 * floor), `${v} input gradient ${r.input_grad.norm_rel}, floor ${floor}`);
  }
});

test('bench/mnist-speed.ts prints warm sampling and restoration speed of the MNIST example without leaking tensors', () => {
  const j = runBench('mnist-speed.ts', ['--n', '16', '--repeats', '1', '--backend', 'wasm']);
  assert.ok((j.sampling_images_per_sec as number) > 0 && (j.restore_seconds as number) > 0);
  assert.equal(j.restore_steps, 50);
  assert.equal(j.tensors_leaked, 0);
});
