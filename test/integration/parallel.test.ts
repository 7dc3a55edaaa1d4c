/** Data-parallel SGLD and gradients (parallel/pool.ts): same results as one thread, no leaks, clear failures. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { buildModel } from '../../sidecar/engine/models/index.ts';
import { localRunner, Pool } from '../../sidecar/engine/parallel/pool.ts';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { sgldChain } from '../../sidecar/engine/algorithm/sgld.ts';
import { disposeTrainState, initTrainState, trainIteration } from '../../sidecar/engine/algorithm/trainer.ts';
import { assertClose, useBackend, withDefaults } from '../helpers.ts';

const cfg = withDefaults({
  data: { kind: 'mnist' },
  model: { kind: 'conv', width: 4, latentDim: 4, ebmHidden: 8 },
  training: { batchSize: 7 },
  calibration: { sgldSteps: 3 },
});

test('training iterations on 3 threads equal the single-thread run', async () => {
  await useBackend('wasm');
  const model = buildModel(cfg.model, [28, 28, 1]);
  const pool = await Pool.create(model, cfg.model, 'wasm', 3);
  assert.equal(pool.threads, 3);
  try {
    const a = initTrainState(model, cfg);
    const b = initTrainState(model, cfg);
    for (let i = 0; i < 3; i++) {
      const x = tf.randomUniform([7, 28, 28, 1], -1, 1, 'float32', i); // 7 rows: uneven split 2/3/2
      const ma = await trainIteration(model, cfg, a, x);
      const mb = await trainIteration(model, cfg, b, x, pool);
      x.dispose();
      for (const k of ['rec', 'kl', 'cal', 'calDistance', 'eData', 'eNeg', 'lambda', 'drift', 'noise'] as const)
        assert.ok(Math.abs(ma[k]! - mb[k]!) <= 1e-5 * Math.max(1, Math.abs(ma[k]!)), `iteration ${i + 1} ${k}: ${ma[k]} vs ${mb[k]}`);
    }
    for (const k of Object.keys(a.ebm!)) assertClose(b.ebm![k]!.dataSync(), a.ebm![k]!.dataSync(), 1e-4, 1e-6, `ebm ${k}`);
    const before = tf.memory().numTensors;
    const s = tf.randomUniform([5, 28, 28, 1], -1, 1, 'float32', 9);
    const { x: out, drift: outDrift } = await pool.sgld(a.ebm!, s, { steps: 2, stepSize: 0.01, noiseScale: 1, proxThreshold: 0.07, seed: 4 });
    const { x: ref, drift: refDrift } = sgldChain((v) => model.energy(a.ebm!, v), s, s, {
      steps: 2,
      stepSize: 0.01,
      noiseScale: 1,
      proxThreshold: 0.07,
      seed: 4,
    });
    assertClose(out.dataSync(), ref.dataSync(), 1e-5, 1e-6, 'chains');
    assertClose(outDrift.dataSync(), refDrift.dataSync(), 1e-5, 1e-6, 'drifts');
    // Chains from the decoder's samples, each thread decoding its own rows.
    const n5 = tf.randomNormal([5, 4], 0, 1, 'float32', 5) as tf.Tensor2D;
    const o5 = { steps: 2, stepSize: 0.01, noiseScale: 1, proxThreshold: 0.07, seed: 6 };
    const fromPrior = [await pool.sgldFromPrior(a.ebm!, a.vae, n5, o5), await localRunner(model).sgldFromPrior(a.ebm!, a.vae, n5, o5)];
    for (const k of ['start', 'x', 'drift'] as const) assertClose(fromPrior[0]![k].dataSync(), fromPrior[1]![k].dataSync(), 1e-5, 1e-6, `from the prior: ${k}`);
    fromPrior.forEach((r) => tf.dispose([r.start, r.x, r.drift]));
    // A decoder with buffers (BatchNorm's batch statistics) decodes the whole batch here, then splits the chains.
    const withBuffers = {
      ...model,
      specs: { ...model.specs, dec: [...model.specs.dec, { name: 'dec.bn.runningMean', shape: [1], fanIn: 1, init: 0, buffer: true }] },
    };
    const bufferPool = await Pool.create(withBuffers, cfg.model, 'wasm', 2);
    try {
      const whole = [await bufferPool.sgldFromPrior(a.ebm!, a.vae, n5, o5), await localRunner(withBuffers).sgldFromPrior(a.ebm!, a.vae, n5, o5)];
      for (const k of ['start', 'x', 'drift'] as const) assertClose(whole[0]![k].dataSync(), whole[1]![k].dataSync(), 1e-5, 1e-6, `decoded whole: ${k}`);
      whole.forEach((r) => tf.dispose([r.start, r.x, r.drift]));
    } finally {
      await bufferPool.close();
    }
    n5.dispose();
    // Gradients of both objectives: the shards' sum is the batch gradient.
    const inputs = { x: s, eps: tf.randomNormal([5, 4], 0, 1, 'float32', 1), n: tf.randomNormal([5, 4], 0, 1, 'float32', 2), target: ref };
    const o = { lambda: 2, beta: 0.5, regularization: 0.1 };
    for (const [kind, params, inp] of [
      ['vae', a.vae, inputs],
      ['ebm', a.ebm!, { x: s, neg: out }],
    ] as const) {
      const split = await pool.grads(kind, params, inp, o);
      const whole = await localRunner(model).grads(kind, params, inp, o);
      assertClose(split.terms.dataSync(), whole.terms.dataSync(), 1e-5, 1e-6, `${kind} terms`);
      for (const k of Object.keys(whole.grads)) assertClose(split.grads[k]!.dataSync(), whole.grads[k]!.dataSync(), 1e-4, 1e-5, `${kind} grad ${k}`);
      for (const r of [split, whole]) [...Object.values(r.grads), r.terms].forEach((t) => t.dispose());
    }
    [s, out, ref, outDrift, refDrift, inputs.eps, inputs.n].forEach((t) => t.dispose());
    assert.equal(tf.memory().numTensors, before, 'the pool leaves no tensors behind');
    disposeTrainState(a);
    disposeTrainState(b);
  } finally {
    await pool.close();
  }
});

test('a pool whose worker is gone fails the run with a clear error instead of hanging', async () => {
  await useBackend('wasm');
  const model = buildModel(cfg.model, [28, 28, 1]);
  const pool = await Pool.create(model, cfg.model, 'wasm', 2);
  const state = initTrainState(model, cfg);
  await pool.close(); // the worker is terminated
  const x = tf.randomUniform([4, 28, 28, 1], -1, 1, 'float32', 1);
  await assert.rejects(trainIteration(model, cfg, state, x, pool), /pool worker/);
  x.dispose();
  disposeTrainState(state);
});
