/**
 * The paper's 32x32 networks (models/paper32.ts): the official parameter counts at full
 * width, gradients of both objectives and of the energy's input against finite
 * differences at a tiny width, and training iterations that update BatchNorm and spectral
 * norm buffers without leaking tensors; sampling leaves the buffers alone.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { ebmLoss, sumSquaredPerExample, vaeTerms } from '../../sidecar/engine/algorithm/losses.ts';
import { buildModel } from '../../sidecar/engine/models/index.ts';
import { paper32Model } from '../../sidecar/engine/models/paper32.ts';
import { withFilterCache } from '../../sidecar/engine/ops/filterCache.ts';
import { initParams, isBufferName, type ParamSpec, type Params } from '../../sidecar/engine/core/params.ts';
import { disposeTrainState, initTrainState, trainIteration } from '../../sidecar/engine/algorithm/trainer.ts';
import { checkDirectional, defaultInit, randT } from '../gradcheck.ts';
import { useBackend, withDefaults } from '../helpers.ts';

const trainable = (specs: ParamSpec[]): number => specs.filter((s) => !isBufferName(s.name)).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);

test('paper32 at width factor 1 has the official parameter counts (ResNet18Enc 44.9 M, Generator_32 32.5 M, MSResNet 23.8 M)', () => {
  // Counted from the official modules (models/res.py, fastae.py, ebms.py) by their layer shapes: weights
  // and biases, BatchNorm weight and bias; buffers (running statistics, spectral norm's u) are not parameters.
  const m = paper32Model({ channels: 3, latentDim: 128, widthFactor: 1, spectralNorm: ['decoder', 'energy'], temperature: 1 });
  assert.equal(trainable(m.specs.enc), 44_915_072);
  assert.equal(trainable(m.specs.dec), 32_521_728);
  assert.equal(trainable(m.specs.ebm), 23_815_169);
  // Spectral norm adds only buffers: the count is the same without it.
  const plain = paper32Model({ channels: 3, latentDim: 128, widthFactor: 1, spectralNorm: [], temperature: 1 });
  assert.equal(trainable(plain.specs.dec), 32_521_728);
  assert.ok(m.specs.dec.some((s) => s.name.endsWith('.snU')) && !plain.specs.dec.some((s) => s.name.endsWith('.snU')));
});

const tiny = (spectralNorm: ('encoder' | 'decoder' | 'energy')[] = ['decoder', 'energy']) =>
  paper32Model({ channels: 3, latentDim: 4, widthFactor: 1 / 64, spectralNorm, temperature: 0.5 });

test('paper32 shapes: encoder [B, Z] with tanh mean, decoder [B, 32, 32, C] in [-1, 1], energy [B]', async () => {
  await useBackend('wasm');
  const m = tiny();
  const p = initParams([...m.specs.enc, ...m.specs.dec, ...m.specs.ebm], 1);
  tf.tidy(() => {
    const x = randT([2, 32, 32, 3], 1, 0.5).clipByValue(-1, 1);
    const { mu, logvar } = m.encode(p, x);
    assert.deepEqual(
      [mu.shape, logvar.shape],
      [
        [2, 4],
        [2, 4],
      ],
    );
    assert.ok(mu.abs().max().dataSync()[0]! <= 1);
    const y = m.decode(p, mu);
    assert.deepEqual(y.shape, [2, 32, 32, 3]);
    assert.ok(y.abs().max().dataSync()[0]! <= 1);
    assert.deepEqual(m.energy(p, y).shape, [2]);
  });
  tf.dispose(Object.values(p));
});

test('finite differences on paper32: VAE objective, energy loss, and the energy input gradient SGLD follows', async () => {
  await useBackend('wasm');
  const m = tiny(['decoder', 'energy', 'encoder']);
  // At a uniform init: the official layers' small ones make finite differences unreliable (gradcheck.ts defaultInit).
  const vae = initParams(defaultInit([...m.specs.enc, ...m.specs.dec]), 3);
  const ebm = initParams(defaultInit(m.specs.ebm), 4);
  const x = randT([3, 32, 32, 3], 5, 0.5).clipByValue(-1, 1);
  const eps = randT([3, 4], 6) as tf.Tensor2D;
  const n = randT([3, 4], 7) as tf.Tensor2D;
  const target = randT([3, 32, 32, 3], 8, 0.3);
  checkDirectional(
    vae,
    (p) => {
      const { rec, kl } = vaeTerms(m, p, x, eps);
      // Per pixel: a loss of a few units keeps float32 rounding out of the difference.
      return rec
        .add(kl.mul(0.5))
        .add(sumSquaredPerExample(m.decode(p, n), target).mul(2))
        .div(32 * 32) as tf.Scalar;
    },
    'paper32 VAE objective',
  );
  const neg = randT([3, 32, 32, 3], 9, 0.5).clipByValue(-1, 1);
  checkDirectional(ebm, (p) => ebmLoss(m.energy(p, x), m.energy(p, neg), 0.1), 'paper32 energy loss');
  checkDirectional({ x: neg }, (q) => m.energy(ebm, q.x!).sum() as tf.Scalar, 'paper32 d energy / d x');
  // Inside a chain's FilterCache the spectrally normalised weights and their transforms are kept across passes.
  withFilterCache(() => checkDirectional({ x: neg }, (q) => m.energy(ebm, q.x!).sum() as tf.Scalar, 'paper32 d energy / d x (cached weights)'));
  // And the parameters' gradient in a scope (a training pass) goes through the normalisation.
  withFilterCache(() => checkDirectional(ebm, (p) => ebmLoss(m.energy(p, x), m.energy(p, neg), 0.1), 'paper32 energy loss (filter cache)'));
  tf.dispose([...Object.values(vae), ...Object.values(ebm), x, eps, n, target, neg]);
});

// The iterations below get their batch directly; the path only has to exist for the config checks.
const paperConfig = withDefaults({
  data: { kind: 'cifar10', path: import.meta.dirname },
  model: { kind: 'paper32', widthFactor: 1 / 64, latentDim: 4 },
  training: { batchSize: 4, ebmRegularization: 0.1 },
  calibration: { sgldSteps: 2 },
});

const values = (p: Params, names: string[]): Float32Array[] => names.map((k) => (p[k]!.dataSync() as Float32Array).slice());

test('paper32 training: iterations update running statistics and spectral-norm vectors, sampling does not, tensor count flat', async () => {
  await useBackend('wasm');
  const model = buildModel(paperConfig.model, [32, 32, 3]);
  const state = initTrainState(model, paperConfig);
  const buffers = (p: Params): string[] => Object.keys(p).filter(isBufferName);
  const vaeBuffers = buffers(state.vae),
    ebmBuffers = buffers(state.ebm!);
  assert.ok(vaeBuffers.some((k) => k.endsWith('.runningVar')) && vaeBuffers.some((k) => k.endsWith('.snU')) && ebmBuffers.some((k) => k.endsWith('.snU')));
  const before = [...values(state.vae, vaeBuffers), ...values(state.ebm!, ebmBuffers)];
  const x = randT([4, 32, 32, 3], 1, 0.5).clipByValue(-1, 1);
  let count = 0;
  for (let i = 0; i < 3; i++) {
    const metrics = await trainIteration(model, paperConfig, state, x);
    assert.ok(Number.isFinite(metrics.rec) && Number.isFinite(metrics.eNeg!));
    if (i === 0) count = tf.memory().numTensors;
  }
  assert.equal(tf.memory().numTensors, count, 'numTensors flat across iterations');
  const after = [...values(state.vae, vaeBuffers), ...values(state.ebm!, ebmBuffers)];
  const moved = after.filter((v, i) => v.some((a, j) => a !== before[i]![j])).length;
  assert.equal(moved, before.length, 'every buffer was updated by training');
  // A sampling pass (no collection) leaves every buffer as it is.
  tf.tidy(() => model.energy(state.ebm!, model.decode(state.vae, tf.randomNormal([3, 4]) as tf.Tensor2D)));
  assert.deepEqual([...values(state.vae, vaeBuffers), ...values(state.ebm!, ebmBuffers)], after);
  x.dispose();
  disposeTrainState(state);
});
