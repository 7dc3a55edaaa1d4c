/** SGLD on known energies, the proximity term, and the dual update of lambda. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { updateLambda } from '../../sidecar/engine/algorithm/dual.ts';
import { proximity, sgld, sgldChain } from '../../sidecar/engine/algorithm/sgld.ts';
import { deriveSeed, fillNormal, normalStream } from '../../sidecar/engine/core/rng.ts';
import { rowNoise } from '../../sidecar/engine/ops/rowNoise.ts';
import { assertClose, useBackend } from '../helpers.ts';

/** E(x) = 2·||x - c||^2 per example with c = (0.5, -0.25): gradient 4(x - c). */
const quadratic = (x: tf.Tensor): tf.Tensor1D =>
  tf.tidy(
    () =>
      tf
        .squaredDifference(x, tf.tensor2d([[0.5, -0.25]]))
        .sum(1)
        .mul(2) as tf.Tensor1D,
  );

test('SGLD without noise follows the exact gradient steps of a quadratic energy', async () => {
  await useBackend('wasm');
  const start = tf.tensor2d([
    [-0.5, 0.5],
    [0.9, 0.9],
  ]);
  const out = sgld(quadratic, start, start, { steps: 1, stepSize: 0.1, noiseScale: 0, proxThreshold: 0.07, seed: 0 });
  // One step, prox weight (K-0-1)/K = 0: x - (eta/2)·4(x - c) = x - 0.2(x - c).
  const expected = [-0.5 - 0.2 * -1, 0.5 - 0.2 * 0.75, 0.9 - 0.2 * 0.4, 0.9 - 0.2 * 1.15];
  assertClose(out.dataSync(), expected, 1e-5, 1e-6, 'one SGLD step');
});

test('SGLD lowers a quadratic energy on average, with noise', async () => {
  await useBackend('wasm');
  const start = tf.randomNormal([256, 2], 0, 1, 'float32', 3).add(2);
  const before = quadratic(start).mean().dataSync()[0]!;
  const out = sgld(quadratic, start, start, { steps: 30, stepSize: 0.05, noiseScale: 1, proxThreshold: 0.07, seed: 1 });
  const after = quadratic(out).mean().dataSync()[0]!;
  // Stationary mean energy of this Gaussian is d/2 = 1; starting near 2·(2.6^2 + 2.3^2) ≈ 24.
  assert.ok(after < before / 5, `mean energy should fall: before ${before}, after ${after}`);
  assert.ok(after > 0.2 && after < 3, `mean energy should approach the stationary value ~1, got ${after}`);
});

test('proximity is relu(||clip(x)-clip(s)||^2 - t) + t per example', async () => {
  await useBackend('wasm');
  const x = tf.tensor2d([
    [0.1, 0.2],
    [2.0, -3.0],
    [0.0, 0.0],
  ]);
  const s = tf.tensor2d([
    [0.1, 0.25],
    [0.0, 0.0],
    [0.5, 0.5],
  ]);
  // Row 1: d = 0.0025 < t -> t. Row 2: clip -> (1,-1), d = 2 -> 2. Row 3: d = 0.5.
  assertClose(proximity(x, s, 0.07).dataSync(), [0.07, 2, 0.5], 1e-5, 1e-6, 'proximity');
});

test('the annealed proximity term keeps early SGLD steps near the source sample', async () => {
  await useBackend('wasm');
  const flat = (x: tf.Tensor): tf.Tensor1D => x.sum(1).mul(0) as tf.Tensor1D;
  const cond = tf.tensor2d([[0, 0]]);
  const start = tf.tensor2d([[0.8, -0.6]]); // distance^2 = 1 > threshold: the term pulls back
  const opts = { stepSize: 0.2, noiseScale: 0, proxThreshold: 0.07, seed: 0 };
  // K=4: weights 3/4, 2/4, 1/4, 0 -> x shrinks by (1 - 0.1·2·w) per step, last step free.
  const out = sgld(flat, start, cond, { ...opts, steps: 4 }).dataSync();
  const shrink = (1 - 0.2 * 0.75) * (1 - 0.2 * 0.5) * (1 - 0.2 * 0.25);
  assertClose(out, [0.8 * shrink, -0.6 * shrink], 1e-5, 1e-6, 'annealed pull');
  // Inside the threshold the term is constant: no pull at all.
  const near = tf.tensor2d([[0.1, 0.1]]);
  assertClose(sgld(flat, near, cond, { ...opts, steps: 4 }).dataSync(), [0.1, 0.1], 1e-6, 1e-7, 'no pull inside threshold');
});

test('SGLD is reproducible for a seed and leaks no tensors', async () => {
  await useBackend('wasm');
  const start = tf.tensor2d([
    [0.3, 0.1],
    [0.2, -0.4],
  ]);
  const o = { steps: 5, stepSize: 0.01, noiseScale: 1, proxThreshold: 0.07, seed: 42 };
  const a = sgld(quadratic, start, start, o);
  const before = tf.memory().numTensors;
  const b = sgld(quadratic, start, start, o);
  assert.equal(tf.memory().numTensors, before + 1, 'only the result tensor remains');
  assertClose(a.dataSync(), b.dataSync(), 0, 0, 'same seed, same chain');
  const c = sgld(quadratic, start, start, { ...o, seed: 43 });
  assert.notDeepEqual(Array.from(a.dataSync()), Array.from(c.dataSync()));
});

test('lambda dual ascent: step, lower clip at 0, upper clip at max', () => {
  const o = { learningRate: 0.01, epsilon: 0.05, max: 100 };
  assert.equal(updateLambda(30, 0.05, o), 30);
  assert.ok(Math.abs(updateLambda(30, 1.05, o) - 30.01) < 1e-12);
  assert.ok(Math.abs(updateLambda(30, 0.0, o) - (30 - 0.0005)) < 1e-12);
  assert.equal(updateLambda(0.0001, 0, o), 0);
  assert.equal(updateLambda(99.99, 50, o), 100);
  assert.equal(updateLambda(100, 1e9, o), 100);
});

test("fillNormal writes normalStream's values times std, odd counts and offsets included", () => {
  const out = new Float32Array(12).fill(7);
  fillNormal(out, 2, 9, 1234, 0.5);
  const g = normalStream(1234);
  const want = Array.from({ length: 9 }, () => Math.fround(0.5 * g()));
  assert.deepEqual(Array.from(out.subarray(2, 11)), want);
  assert.deepEqual([out[0], out[1], out[11]], [7, 7, 7], 'nothing outside [start, start + count) is written');
});

test('SGLD noise is keyed by batch row: a chain on rows 3.. of a batch equals those rows of the whole-batch chain', async () => {
  await useBackend('wasm');
  const energy = (x: tf.Tensor): tf.Tensor1D => x.square().sum(1).mul(0.5) as tf.Tensor1D;
  const start = tf.randomNormal([7, 5], 0, 1, 'float32', 3);
  const o = { steps: 4, stepSize: 0.1, noiseScale: 1, proxThreshold: 0.07, seed: 99 };
  const whole = sgld(energy, start, start, o);
  const tail = start.slice(3);
  const part = sgld(energy, tail, tail, { ...o, rowOffset: 3 });
  assertClose(part.dataSync(), whole.slice(3).dataSync(), 1e-6, 1e-6, 'rows 3..6');
  // Rows of 5 values (not a multiple of 4) take the TF.js formulation, with the noise kernel, not the fused step.
  const kernels = new Set((await tf.profile(() => void sgld(energy, start, start, o).dispose())).kernels.map((k) => k.name));
  assert.ok(kernels.has('EcvaeRowNoise') && !kernels.has('EcvaeLangevinStep'), [...kernels].join(', '));
  tf.dispose([start, whole, tail, part]);
});

test('rowNoise draws row i from deriveSeed(seed, step, rowOffset + i): exactly fillNormal on cpu, within float32 rounding by the WASM kernel', async () => {
  const shape = [3, 5, 7]; // rows of 35: the kernel's last group of 8 values is partial
  const want = new Float32Array(3 * 35);
  for (let i = 0; i < 3; i++) fillNormal(want, i * 35, 35, deriveSeed(11, 4, 2 + i), 0.3);
  for (const backend of ['wasm', 'cpu'] as const) {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    const t = rowNoise(shape, 0.3, 11, 4, 2);
    assert.deepEqual(t.shape, shape);
    // The kernel computes in float32 with polynomial ln, sin, cos (kernels/assembly/noise.ts): ~1e-5 of std at most.
    if (backend === 'wasm') assertClose(t.dataSync(), want, 0, 1e-5, backend);
    else assert.deepEqual(t.dataSync(), want, backend);
    t.dispose();
    assert.equal(tf.memory().numTensors, before);
  }
  // Many draws (tails of the radius, every quarter turn of the angle), unit std.
  await useBackend('wasm');
  const many = new Float32Array(8 * 4096);
  for (let i = 0; i < 8; i++) fillNormal(many, i * 4096, 4096, deriveSeed(5, 9, i), 1);
  const t = rowNoise([8, 4096], 1, 5, 9, 0);
  assertClose(t.dataSync(), many, 0, 3e-5, 'wasm, 32768 draws');
  t.dispose();
});

test('the fused WASM SGLD step (ops/langevin.ts) equals the TF.js formulation on cpu: proximity on and off, clip ends, split rows', async () => {
  const energy = (x: tf.Tensor): tf.Tensor1D => x.square().sum([1, 2, 3]).mul(0.7) as tf.Tensor1D;
  const make = (): { start: tf.Tensor; cond: tf.Tensor } => {
    // Values past the clip range and exactly at its ends; rows 3.. start far from their source (d > t from the first step).
    const base = tf.randomUniform([6, 4, 4, 3], -1.5, 1.5, 'float32', 8);
    const ends = tf.tensor([1, -1, 1, -1]).reshape([1, 1, 4, 1]).tile([6, 4, 1, 3]);
    const start = tf.where(tf.randomUniform([6, 4, 4, 3], 0, 1, 'float32', 9).less(0.2), ends, base);
    const offset = tf.concat([tf.zeros([3, 4, 4, 3]), tf.fill([3, 4, 4, 3], 0.3)]);
    return { start, cond: start.add(offset) };
  };
  for (const [proximity, noiseScale] of [
    [true, 1],
    [false, 1],
    [true, 0],
  ] as const) {
    const o = { steps: 5, stepSize: 0.05, noiseScale, proxThreshold: 0.5, seed: 4, proximity };
    const runs: Record<string, Float32Array[]> = {};
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      const chain = (): Float32Array[] =>
        tf.tidy(() => {
          const { start, cond } = make();
          const r = sgldChain(energy, start, cond, o);
          return [r.x.dataSync() as Float32Array, r.drift.dataSync() as Float32Array];
        });
      runs[backend] = chain();
      if (backend === 'wasm') {
        const kernels = (await tf.profile(() => void chain())).kernels.map((k) => k.name);
        assert.equal(kernels.filter((k) => k === 'EcvaeLangevinStep').length, o.steps, 'one fused kernel per step');
      }
    }
    const what = `proximity ${proximity}, noise ${noiseScale}`;
    assertClose(runs.wasm![0]!, runs.cpu![0]!, 1e-4, 1e-4, `x, ${what}`);
    assertClose(runs.wasm![1]!, runs.cpu![1]!, 1e-4, 1e-4, `drift, ${what}`);
  }
  await useBackend('wasm');
  tf.tidy(() => {
    const { start, cond } = make();
    const o = { steps: 3, stepSize: 0.05, noiseScale: 1, proxThreshold: 0.5, seed: 4 };
    const whole = sgldChain(energy, start, cond, o);
    const part = sgldChain(energy, start.slice(2), cond.slice(2), { ...o, rowOffset: 2 });
    assertClose(part.x.dataSync(), whole.x.slice(2).dataSync(), 1e-6, 1e-6, 'rows 2.. of a split chain');
  });
});
