/**
 * RealNVP (models/realnvp.ts) and the models built on it (models/prior.ts): the inverse
 * undoes the forward map, log|det| agrees with a finite-difference Jacobian, the
 * likelihood's gradients agree with finite differences, and training iterations of a
 * flow-prior VAE (with and without the calibrated prior) and of a calibrated flow move
 * the right parameters without leaking tensors.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { sampleRangeWarning } from '../../sidecar/engine/algorithm/health.ts';
import { buildModel } from '../../sidecar/engine/models/index.ts';
import { realNvp, type FlowArch } from '../../sidecar/engine/models/realnvp.ts';
import { objectiveGrads } from '../../sidecar/engine/algorithm/objectives.ts';
import { initParams, type Params } from '../../sidecar/engine/core/params.ts';
import { disposeTrainState, initTrainState, trainIteration } from '../../sidecar/engine/algorithm/trainer.ts';
import { checkDirectional, randT } from '../gradcheck.ts';
import { assertClose, useBackend, withDefaults } from '../helpers.ts';

/** A flow with every parameter random (a new flow is the identity: its last layers start at zero). */
function randomFlow(a: FlowArch, seed: number, prefix = 'f'): Params {
  const p = initParams(realNvp(prefix, a).specs, seed);
  for (const [k, t] of Object.entries(p))
    if (/\.l2\.[wb]$/.test(k)) {
      p[k] = randT(t.shape, seed + k.length, 0.3);
      t.dispose();
    }
  return p;
}

/** Determinant by Gaussian elimination with partial pivoting. */
function determinant(m: number[][]): number {
  const a = m.map((r) => [...r]);
  let det = 1;
  for (let c = 0; c < a.length; c++) {
    const pivot = a.reduce((best, r, i) => (i >= c && Math.abs(r[c]!) > Math.abs(a[best]![c]!) ? i : best), c);
    if (pivot !== c) {
      [a[c], a[pivot]] = [a[pivot]!, a[c]!];
      det = -det;
    }
    det *= a[c]![c]!;
    for (let r = c + 1; r < a.length; r++) {
      const f = a[r]![c]! / a[c]![c]!;
      for (let k = c; k < a.length; k++) a[r]![k]! -= f * a[c]![k]!;
    }
  }
  return det;
}

const archs: FlowArch[] = [
  { dim: 2, blocks: 3, hidden: 8, batchNorm: false },
  { dim: 5, blocks: 2, hidden: 6, batchNorm: true },
];

test('RealNVP: F⁻¹(F(x)) = x and F(F⁻¹(y)) = y, odd and even dimensions, with and without BatchNorm', async () => {
  await useBackend('wasm');
  for (const a of archs) {
    const p = randomFlow(a, 1);
    const flow = realNvp('f', a);
    tf.tidy(() => {
      const x = randT([6, a.dim], 2) as tf.Tensor2D;
      const { y } = flow.forward(p, x);
      assert.ok(tf.squaredDifference(y, x).max().dataSync()[0]! > 1e-3, 'the random flow is not the identity');
      assertClose(flow.inverse(p, y).dataSync(), x.dataSync(), 1e-4, 1e-4, `F⁻¹(F(x)), dim ${a.dim}`);
      assertClose(flow.forward(p, flow.inverse(p, x)).y.dataSync(), x.dataSync(), 1e-4, 1e-4, `F(F⁻¹(y)), dim ${a.dim}`);
    });
    tf.dispose(Object.values(p));
  }
});

test('RealNVP: log|det dF/dx| equals the log-determinant of a finite-difference Jacobian', async () => {
  await useBackend('cpu'); // float32 central differences need the plain kernels' exact arithmetic order
  const a: FlowArch = { dim: 4, blocks: 2, hidden: 8, batchNorm: false };
  const p = randomFlow(a, 3);
  const flow = realNvp('f', a);
  const x = randT([1, a.dim], 4).dataSync();
  const h = 1e-2;
  const at = (v: Float32Array): Float32Array => tf.tidy(() => flow.forward(p, tf.tensor2d(v, [1, a.dim])).y.dataSync() as Float32Array);
  const jac: number[][] = [];
  for (let j = 0; j < a.dim; j++) {
    const plus = Float32Array.from(x),
      minus = Float32Array.from(x);
    plus[j]! += h;
    minus[j]! -= h;
    const fp = at(plus),
      fm = at(minus);
    jac.push(Array.from(fp, (v, i) => (v - fm[i]!) / (2 * h)));
  }
  const logdetNumeric = Math.log(Math.abs(determinant(jac)));
  const logdet = tf.tidy(() => flow.forward(p, tf.tensor2d(x, [1, a.dim])).logdet.dataSync()[0]!);
  assert.ok(Math.abs(logdet - logdetNumeric) < 2e-2, `log|det| ${logdet} vs finite differences ${logdetNumeric}`);
  tf.dispose(Object.values(p));
  await useBackend('wasm');
});

test('finite differences: the flow negative log-likelihood with respect to every parameter', async () => {
  await useBackend('wasm');
  for (const a of archs) {
    const p = randomFlow(a, 5);
    const x = randT([7, a.dim], 6) as tf.Tensor2D;
    const flow = realNvp('f', a);
    checkDirectional(p, (q) => flow.nll(q, x).mean() as tf.Scalar, `flow NLL, dim ${a.dim}${a.batchNorm ? ', BatchNorm' : ''}`);
    tf.dispose([x, ...Object.values(p)]);
  }
});

const toy = (model: Record<string, unknown>, calibration: Record<string, unknown> = {}) =>
  withDefaults({
    data: { kind: 'gaussians25' },
    model: { hidden: 8, depth: 2, latentDim: 2, flow: { blocks: 2, hidden: 8 }, ...model },
    training: { batchSize: 16 },
    calibration: { sgldSteps: 3, ...calibration },
  });

const snapshot = (p: Params): Map<string, Float32Array> => new Map(Object.entries(p).map(([k, t]) => [k, (t.dataSync() as Float32Array).slice()]));
const moved = (before: Map<string, Float32Array>, after: Params, names: string[]): string[] =>
  names.filter((k) => after[k]!.dataSync().some((v, i) => v !== before.get(k)![i]));

test('flow prior and calibrated flow: iterations train the right parameters, report their terms, and leak nothing', async () => {
  await useBackend('wasm');
  const cases = [
    { what: 'VAE + flow prior', cfg: toy({ prior: 'realnvp' }, { enabled: false }), expect: ['priorNll'] },
    { what: 'EC-VAE + calibrated flow prior', cfg: toy({ prior: 'realnvp' }, { latentPrior: true }), expect: ['priorNll', 'latentCal', 'cal'] },
    { what: 'calibrated flow', cfg: toy({ kind: 'flow' }), expect: ['cal'] },
  ];
  for (const c of cases) {
    const model = buildModel(c.cfg.model, [2]);
    const state = initTrainState(model, c.cfg);
    const names = Object.keys(state.vae);
    const flowNames = names.filter((k) => /^(prior|flow)\./.test(k));
    assert.ok(flowNames.length > 0, `${c.what}: flow parameters exist`);
    const before = snapshot(state.vae);
    const x = randT([16, 2], 7, 0.4);
    let count = 0;
    for (let i = 0; i < 3; i++) {
      const m = await trainIteration(model, c.cfg, state, x);
      for (const k of c.expect) assert.ok(Number.isFinite(m[k as keyof typeof m]), `${c.what}: ${k} is reported`);
      // The latent chain moves the prior's samples, so the flow is pulled by a non-zero distance.
      if (c.expect.includes('latentCal')) assert.ok(m.latentCal! > 0, `${c.what}: latentCal ${m.latentCal} > 0`);
      if (i === 0) count = tf.memory().numTensors;
    }
    assert.equal(tf.memory().numTensors, count, `${c.what}: numTensors flat`);
    // Every flow parameter trains: the last layers start at zero and leave it.
    assert.deepEqual(moved(before, state.vae, flowNames), flowNames, `${c.what}: every flow parameter moves`);
    x.dispose();
    disposeTrainState(state);
  }
});

test('the flow prior is fitted on the encoder means held fixed: encoder and decoder gradients are those of the plain VAE', async () => {
  await useBackend('wasm');
  const withPrior = toy({ prior: 'realnvp' }, { enabled: false });
  const plain = toy({}, { enabled: false });
  const mp = buildModel(withPrior.model, [2]),
    m0 = buildModel(plain.model, [2]);
  // Values depend only on (seed, name), so both models start from the same encoder and decoder.
  const p = initParams([...mp.specs.enc, ...mp.specs.dec], 2);
  const inputs = { x: randT([6, 2], 3, 0.4), eps: randT([6, 2], 4), n: randT([6, 2], 5) };
  const o = { lambda: 0, beta: 0.1, regularization: 0, scale: 1 };
  const a = objectiveGrads(mp, 'vae', p, inputs, o);
  const base = Object.fromEntries(Object.entries(p).filter(([k]) => !k.startsWith('prior.')));
  const b = objectiveGrads(m0, 'vae', base, inputs, o);
  for (const k of Object.keys(base)) assertClose(a.grads[k]!.dataSync(), b.grads[k]!.dataSync(), 1e-6, 1e-7, `gradient of ${k}`);
  assert.ok(
    Object.keys(a.grads).some((k) => k.startsWith('prior.') && a.grads[k]!.abs().sum().dataSync()[0]! > 0),
    'the prior gets a gradient',
  );
  tf.dispose([...Object.values(a.grads), ...Object.values(b.grads), a.terms, b.terms, ...Object.values(inputs), ...Object.values(p)]);
});

test("a flow's samples are F⁻¹(n) clipped to the data range [-1, 1], where every decoder's tanh puts its samples", async () => {
  await useBackend('wasm');
  const cfg = toy({ kind: 'flow' });
  const model = buildModel(cfg.model, [2]);
  const arch = { dim: 2, ...cfg.model.flow };
  const p = randomFlow(arch, 4, 'flow');
  const n = randT([64, 2], 9, 2) as tf.Tensor2D;
  const raw = realNvp('flow', arch).inverse(p, n);
  assert.ok(raw.abs().max().dataSync()[0]! > 1.5, 'the unclipped flow leaves the range');
  const x = model.decode(p, n);
  assertClose(x.dataSync(), raw.clipByValue(-1, 1).dataSync(), 0, 0, 'decode = clip(F⁻¹(n), -1, 1)');
  tf.dispose([n, raw, x, ...Object.values(p)]);
});

test('samples far outside the data range are reported as a divergence the losses did not show', () => {
  assert.equal(sampleRangeWarning(0.9, 100, 'one-step'), undefined, 'a healthy flow samples at mean |x| about 0.9 (MNIST, measured)');
  assert.match(
    sampleRangeWarning(1.8e7, 2000, 'MCMC-refined')!,
    /MCMC-refined samples at iteration 2000 have left the data's range \(mean \|x\| = 1\.80e\+7.*diverged although its losses are finite/,
  );
  assert.ok(sampleRangeWarning(Number.NaN, 5, 'one-step'));
});
