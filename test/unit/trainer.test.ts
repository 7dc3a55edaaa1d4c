/** One full EC-VAE iteration on tiny shapes: every parameter moves, nothing leaks. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { buildModel } from '../../sidecar/engine/models/index.ts';
import type { Params } from '../../sidecar/engine/core/params.ts';
import { disposeTrainState, DivergenceError, initTrainState, trainIteration } from '../../sidecar/engine/algorithm/trainer.ts';
import { clipByGlobalNorm } from '../../sidecar/engine/algorithm/adam.ts';
import { assertClose, useBackend, withDefaults } from '../helpers.ts';

const imageConfig = (calibration = true) =>
  withDefaults({
    data: { kind: 'mnist' },
    model: { kind: 'conv', width: 2, levels: 2, latentDim: 3, ebmHidden: 4 },
    // alpha > 0: without it the last bias (and biases whose units keep one slope across the
    // batch) get an exactly zero gradient from mean E(x) - mean E(x-), by construction.
    training: { batchSize: 4, ebmRegularization: 0.1 },
    calibration: { enabled: calibration, sgldSteps: 3 },
  });

const snapshot = (p: Params): Map<string, Float32Array> => new Map(Object.entries(p).map(([k, t]) => [k, (t.dataSync() as Float32Array).slice()]));

function changed(before: Map<string, Float32Array>, after: Params): string[] {
  return [...before].filter(([k, v]) => !after[k]!.dataSync().every((x, i) => x === v[i])).map(([k]) => k);
}

/** The first iteration of `cfg` on a random 28x28 batch: its metrics, the state after it, and the parameters before it. */
async function firstIteration(cfg: ReturnType<typeof imageConfig>) {
  const model = buildModel(cfg.model, [28, 28, 1]);
  const state = initTrainState(model, cfg);
  const vae0 = snapshot(state.vae);
  const ebm0 = snapshot(state.ebm!);
  const x = tf.randomUniform([4, 28, 28, 1], -1, 1, 'float32', 1);
  const m = await trainIteration(model, cfg, state, x);
  x.dispose();
  return { m, state, vae0, ebm0 };
}

test('one iteration changes every VAE and EBM parameter and updates lambda', async () => {
  await useBackend('wasm');
  const { m, state, vae0, ebm0 } = await firstIteration(imageConfig());
  assert.equal(state.iteration, 1);
  assert.deepEqual(changed(vae0, state.vae).sort(), [...vae0.keys()].sort(), 'all VAE params move');
  assert.deepEqual(changed(ebm0, state.ebm!).sort(), [...ebm0.keys()].sort(), 'all EBM params move');
  for (const k of ['rec', 'kl', 'elbo', 'cal', 'calDistance', 'eData', 'eNeg', 'ebmLoss', 'drift', 'noise'] as const)
    assert.ok(Number.isFinite(m[k]), `${k} finite`);
  assert.equal(m.lambda, 30, 'the iteration reports the lambda it used');
  // Default distance "drift": calDistance = cal per dimension, relative dual step.
  assert.ok(Math.abs(m.calDistance! - m.cal! / 784) < 1e-9);
  const expected = Math.min(Math.max(30 + 0.01 * (m.calDistance! / 0.001 - 1), 0), 100);
  assert.ok(Math.abs(state.lambda - expected) < 1e-9, 'lambda follows the dual update');
  assert.equal(state.vaeOpt.t, 1);
  assert.equal(state.ebmOpt!.t, 1);
  disposeTrainState(state);
});

test('training.lrDecay scales the VAE step and leaves the energy step alone', async () => {
  await useBackend('wasm');
  // The schedule's last iteration has factor 0: the VAE holds still, the energy still learns.
  const base = imageConfig();
  const { m, state, vae0, ebm0 } = await firstIteration({ ...base, training: { ...base.training, iterations: 1, lrDecay: 1 } });
  assert.equal(m.vaeLr, 0, 'the metrics log the annealed rate');
  assert.deepEqual(changed(vae0, state.vae), [], 'no VAE parameter moves at factor 0');
  assert.deepEqual(changed(ebm0, state.ebm!).sort(), [...ebm0.keys()].sort(), 'every EBM parameter moves');
  disposeTrainState(state);
});

test('tf.memory().numTensors stays flat across training iterations (conv and mlp)', async () => {
  await useBackend('wasm');
  const cases = [
    { cfg: imageConfig(), shape: [28, 28, 1] },
    {
      cfg: withDefaults({
        data: { kind: 'gaussians25' },
        model: { hidden: 8, depth: 2, latentDim: 2 },
        training: { batchSize: 16 },
        calibration: { sgldSteps: 4 },
      }),
      shape: [2],
    },
  ];
  for (const { cfg, shape } of cases) {
    const model = buildModel(cfg.model, shape);
    const state = initTrainState(model, cfg);
    const counts: number[] = [];
    for (let i = 0; i < 6; i++) {
      const x = tf.randomUniform([cfg.training.batchSize, ...shape], -1, 1, 'float32', i);
      await trainIteration(model, cfg, state, x);
      x.dispose();
      counts.push(tf.memory().numTensors);
    }
    assert.ok(
      counts.every((c) => c === counts[0]),
      `${model.kind}: tensor counts per iteration ${counts.join(', ')}`,
    );
    disposeTrainState(state);
  }
});

test('calibration disabled trains a plain VAE: no EBM, lambda 0, no calibration metrics', async () => {
  await useBackend('wasm');
  const cfg = imageConfig(false);
  const model = buildModel(cfg.model, [28, 28, 1]);
  const state = initTrainState(model, cfg);
  assert.equal(state.ebm, undefined);
  assert.equal(state.lambda, 0);
  const x = tf.randomUniform([4, 28, 28, 1], -1, 1, 'float32', 2);
  const m = await trainIteration(model, cfg, state, x);
  assert.equal(m.cal, undefined);
  assert.equal(m.eData, undefined);
  assert.equal(state.lambda, 0);
  x.dispose();
  disposeTrainState(state);
});

test('a non-finite loss stops with DivergenceError naming the iteration and the bad terms', async () => {
  await useBackend('wasm');
  const cfg = withDefaults({
    data: { kind: 'gaussians25' },
    model: { hidden: 8, depth: 1, latentDim: 2 },
    training: { batchSize: 8 },
    calibration: { sgldSteps: 2 },
  });
  const model = buildModel(cfg.model, [2]);
  const state = initTrainState(model, cfg);
  const x = tf.tensor2d(Array.from({ length: 8 }, (_, i) => [i === 3 ? NaN : 0.1, 0.2]));
  await assert.rejects(trainIteration(model, cfg, state, x), (err: unknown) => {
    assert.ok(err instanceof DivergenceError);
    assert.match(err.message, /Training diverged at iteration 1: .*rec=NaN/);
    assert.match(err.message, /last good checkpoint/);
    return true;
  });
  x.dispose();
  disposeTrainState(state);
});

test('clipByGlobalNorm scales the gradients to the limit only when their global norm exceeds it, and consumes its input', async () => {
  await useBackend('wasm');
  const before = tf.memory().numTensors;
  for (const [max, expected] of [
    [1, [0.6, 0, 0.8]],
    [10, [3, 0, 4]],
    [undefined, [3, 0, 4]],
  ] as const) {
    const grads = { a: tf.tensor1d([3]), b: tf.tensor2d([[0, 4]]) };
    const r = clipByGlobalNorm(grads, max);
    assert.ok(Math.abs(r.norm.dataSync()[0]! - 5) < 1e-6, 'the norm before clipping');
    assertClose([...r.grads.a!.dataSync(), ...r.grads.b!.dataSync()], expected, 1e-6, 1e-6, `limit ${max}`);
    if (max === undefined) assert.equal(r.grads, grads, 'no clipping: the same tensors, not copies');
    tf.dispose([r.norm, ...Object.values(r.grads)]);
    assert.equal(tf.memory().numTensors, before, `limit ${max}: the input's tensors are disposed or returned`);
  }
});

test('clipByGlobalNorm: the same norm, bit for bit, whatever the order of the map (a resumed run loads its parameters sorted)', async () => {
  await useBackend('wasm');
  // 4096^2 = 2^24 first absorbs each later 1 in float32; the ones first add up to 64 before it.
  const names = ['big', ...Array.from({ length: 64 }, (_, i) => `small${String(i).padStart(2, '0')}`)];
  const norms = [names, [...names.slice(1), names[0]!]].map((order) => {
    const grads = Object.fromEntries(order.map((k) => [k, tf.tensor1d([k === 'big' ? 4096 : 1])]));
    const { norm } = clipByGlobalNorm(grads, undefined);
    const v = norm.dataSync()[0]!;
    tf.dispose([norm, ...Object.values(grads)]);
    return v;
  });
  assert.equal(norms[0], norms[1]);
  // The test can tell: summed in map order, the two orders give different norms.
  const inOrder = tf.tidy(() =>
    [names, [...names.slice(1), names[0]!]].map((o) => tf.addN(o.map((k) => tf.scalar(k === 'big' ? 4096 * 4096 : 1))).dataSync()[0]!),
  );
  assert.notEqual(inOrder[0], inOrder[1]);
});

test('training.gradClipNorm limits the generator step; gradNorm logs the norm before clipping', async () => {
  await useBackend('wasm');
  const config = (gradClipNorm: number | 'off') =>
    withDefaults({
      data: { kind: 'gaussians25' },
      model: { hidden: 8, depth: 1, latentDim: 2 },
      training: { batchSize: 8, gradClipNorm },
      calibration: { enabled: false },
    });
  const step = async (gradClipNorm: number | 'off'): Promise<{ gradNorm: number; largestMove: number }> => {
    const cfg = config(gradClipNorm);
    const model = buildModel(cfg.model, [2]);
    const state = initTrainState(model, cfg);
    const before = snapshot(state.vae);
    const x = tf.randomUniform([8, 2], -1, 1, 'float32', 3);
    const m = await trainIteration(model, cfg, state, x);
    const largestMove = Math.max(...[...before].flatMap(([k, v]) => [...state.vae[k]!.dataSync()].map((y, i) => Math.abs(y - v[i]!))));
    x.dispose();
    disposeTrainState(state);
    return { gradNorm: m.gradNorm!, largestMove };
  };
  const free = await step('off');
  const clipped = await step(1e-11);
  assert.ok(free.gradNorm > 0 && Math.abs(clipped.gradNorm - free.gradNorm) < 1e-6 * free.gradNorm, 'the same unclipped norm is logged');
  // Adam's first step moves a parameter by about lr whatever the gradient's scale, unless the gradient falls below its epsilon (1e-8).
  const lr = config('off').training.vaeLearningRate;
  assert.ok(free.largestMove > 0.5 * lr, `unclipped: moves ${free.largestMove}`);
  assert.ok(clipped.largestMove < 0.01 * lr, `clipped to 1e-11: moves ${clipped.largestMove}`);
});
