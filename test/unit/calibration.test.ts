/**
 * The pieces that make calibration measurable (docs/calibration.md): the chain's drift
 * apart from its noise, the drift target and distance, the relative dual step, fixed
 * Fourier features, the held-out probe and the inactive-calibration verdict.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { adamInit, adamStep } from '../../sidecar/engine/algorithm/adam.ts';
import { loadDataset, loadProbe } from '../../sidecar/engine/data/index.ts';
import { updateLambda } from '../../sidecar/engine/algorithm/dual.ts';
import { calibrationHealth, HEALTH_DEFAULTS, lambdaCeilingWarning, type HealthInput } from '../../sidecar/engine/algorithm/health.ts';
import { buildModel, resolveFourier } from '../../sidecar/engine/models/index.ts';
import { initParams } from '../../sidecar/engine/core/params.ts';
import { sgldChain, sgldOptions } from '../../sidecar/engine/algorithm/sgld.ts';
import { deriveSeed, Stream } from '../../sidecar/engine/core/rng.ts';
import { disposeTrainState, initTrainState, trainIteration } from '../../sidecar/engine/algorithm/trainer.ts';
import { assertClose, useBackend, withDefaults } from '../helpers.ts';

const quadratic = (x: tf.Tensor): tf.Tensor1D =>
  tf.tidy(
    () =>
      tf
        .squaredDifference(x, tf.tensor2d([[0.5, -0.25]]))
        .sum(1)
        .mul(2) as tf.Tensor1D,
  );

test('an SGLD chain ends at start + drift + noise; without noise, at start + drift exactly', async () => {
  await useBackend('wasm');
  const start = tf.tensor2d([
    [-0.5, 0.5],
    [0.9, 0.9],
    [0.1, -0.3],
  ]);
  const noisy = sgldChain(quadratic, start, start, { steps: 6, stepSize: 0.05, noiseScale: 1, proxThreshold: 0.07, seed: 3 });
  const noise = noisy.x.sub(start).sub(noisy.drift);
  // The injected noise has std sqrt(K·eta) per coordinate: clearly there, and not the drift.
  const rms = Math.sqrt(noise.square().mean().dataSync()[0]!);
  assert.ok(rms > 0.2 && rms < 1.2, `noise rms ${rms} vs sqrt(K·eta) = ${Math.sqrt(0.3).toFixed(3)}`);
  const quiet = sgldChain(quadratic, start, start, { steps: 6, stepSize: 0.05, noiseScale: 0, proxThreshold: 0.07, seed: 3 });
  assertClose(quiet.x.dataSync(), start.add(quiet.drift).dataSync(), 1e-5, 1e-6, 'noise-free chain');
  // The drift moves each row toward the minimum c = (0.5, -0.25).
  const before = quadratic(start).dataSync(),
    after = quadratic(quiet.x).dataSync();
  for (let i = 0; i < 3; i++) assert.ok(after[i]! < before[i]!, `row ${i}: energy ${before[i]} -> ${after[i]}`);
  [start, noisy.x, noisy.drift, noise, quiet.x, quiet.drift].forEach((t) => t.dispose());
});

test('dual step: relative to epsilon for the drift distance, absolute (the paper) for the chain', () => {
  const o = { learningRate: 0.01, epsilon: 0.001, max: 100, relative: true };
  assert.ok(Math.abs(updateLambda(30, 0.003, o) - 30.02) < 1e-12, 'three times epsilon: +2·lr');
  assert.ok(Math.abs(updateLambda(30, 0, o) - 29.99) < 1e-12, 'no distance at all: -lr');
  assert.equal(updateLambda(30, 0.001, o), 30);
  // The same relative violation moves lambda equally whatever the units (points vs images).
  assert.equal(updateLambda(30, 3, { ...o, epsilon: 1 }), updateLambda(30, 0.003, o));
  assert.ok(Math.abs(updateLambda(30, 1.05, { ...o, epsilon: 0.05, relative: false }) - 30.01) < 1e-12);
});

test('trainer: the drift target leaves the noise out of cal; calDistance is cal per dimension; "chain" keeps the paper', async () => {
  await useBackend('wasm');
  const base = { data: { kind: 'gaussians25' }, model: { hidden: 8, depth: 2, latentDim: 2 }, training: { batchSize: 16 } };
  // A huge noise scale: with the chain distance, cal is dominated by the noise floor K·D·eta·s^2.
  const calibration = { sgldSteps: 4, sgldStepSize: 0.01, sgldNoiseScale: 5, epsilon: 0.001 };
  const floor = 4 * 2 * 0.01 * 25;
  const results: Record<string, { cal: number; calDistance: number; noise: number; lambda: number }> = {};
  for (const distance of ['drift', 'chain'] as const) {
    const cfg = withDefaults({ ...base, calibration: { ...calibration, distance } });
    const model = buildModel(cfg.model, [2]);
    const state = initTrainState(model, cfg);
    const x = tf.randomUniform([16, 2], -0.8, 0.8, 'float32', 1);
    const m = await trainIteration(model, cfg, state, x);
    results[distance] = { cal: m.cal!, calDistance: m.calDistance!, noise: m.noise!, lambda: state.lambda };
    x.dispose();
    disposeTrainState(state);
  }
  const { drift, chain } = results as Record<'drift' | 'chain', (typeof results)[string]>;
  assert.ok(chain.cal > 0.5 * floor, `chain: cal ${chain.cal} carries the noise floor ${floor}`);
  assert.ok(drift.cal < 0.01 * floor, `drift: cal ${drift.cal} has no noise in it`);
  assert.ok(Math.abs(drift.calDistance - drift.cal / 2) < 1e-9, 'calDistance = cal / D');
  assert.equal(chain.calDistance, chain.cal);
  assert.ok(Math.abs(drift.noise - chain.noise) < 1e-6, 'the same chains, the same measured noise');
  assert.ok(drift.noise > 0.5 * Math.sqrt(floor), `noise ${drift.noise} vs sqrt(floor) ${Math.sqrt(floor)}`);
  assert.ok(Math.abs(drift.lambda - updateLambda(30, drift.calDistance, { learningRate: 0.01, epsilon: 0.001, max: 100, relative: true })) < 1e-9);
  assert.ok(Math.abs(chain.lambda - updateLambda(30, chain.cal, { learningRate: 0.01, epsilon: 0.001, max: 100 })) < 1e-9);
});

test('Fourier features: fixed frequencies stay exactly as initialised while every other parameter trains', async () => {
  await useBackend('wasm');
  const cfg = withDefaults({
    data: { kind: 'gaussians25' },
    model: { hidden: 8, depth: 1, latentDim: 2, energyFourier: { count: 4 }, decoderFourier: { count: 3 } },
    training: { batchSize: 8, ebmRegularization: 0.1 },
    calibration: { sgldSteps: 2 },
  });
  const model = buildModel(cfg.model, [2]);
  assert.deepEqual(model.specs.ebm[0], { name: 'ebm.rff.B', shape: [2, 4], fanIn: 2, normalStd: 1, fixed: true });
  assert.deepEqual(model.specs.dec.find((s) => s.fixed)?.shape, [2, 3]);
  const state = initTrainState(model, cfg);
  const snap = (p: Record<string, tf.Tensor>) => Object.fromEntries(Object.entries(p).map(([k, t]) => [k, Array.from(t.dataSync())]));
  const vae0 = snap(state.vae),
    ebm0 = snap(state.ebm!);
  for (let i = 0; i < 3; i++) {
    const x = tf.randomUniform([8, 2], -0.8, 0.8, 'float32', i);
    await trainIteration(model, cfg, state, x);
    x.dispose();
  }
  for (const [before, after] of [
    [vae0, state.vae],
    [ebm0, state.ebm!],
  ] as const) {
    for (const [k, v] of Object.entries(before)) {
      const same = Array.from(after[k]!.dataSync()).every((a, i) => a === v[i]);
      assert.equal(same, k.endsWith('.rff.B'), `${k} ${same ? 'unchanged' : 'changed'}`);
    }
  }
  disposeTrainState(state);
});

test('a fixed parameter gets a zero gradient, so an Adam step leaves it bit for bit', async () => {
  await useBackend('wasm');
  const model = buildModel(withDefaults({ data: { kind: 'gaussians25' }, model: { hidden: 4, depth: 1, energyFourier: { count: 2 } } }).model, [2]);
  const p = initParams(model.specs.ebm, 1);
  const x = tf.tensor2d([
    [0.1, 0.2],
    [-0.3, 0.4],
  ]);
  const g = tf.grads((b: tf.Tensor) => model.energy({ ...p, 'ebm.rff.B': b }, x).sum())([p['ebm.rff.B']!])[0]!;
  assert.deepEqual(Array.from(g.dataSync()), [0, 0, 0, 0]);
  const B0 = Array.from(p['ebm.rff.B']!.dataSync());
  const grads = Object.fromEntries(Object.entries(p).map(([k, t]) => [k, k === 'ebm.rff.B' ? g : tf.onesLike(t)]));
  const next = adamStep(p, grads, adamInit(p), { lr: 0.1, beta1: 0.5, beta2: 0.9 });
  assert.deepEqual(Array.from(next.params['ebm.rff.B']!.dataSync()), B0);
});

test('Fourier "auto": on for low-dimensional vector data, off for images; absent (old checkpoints) is off', () => {
  const auto = { count: 'auto' as const, sigma: 0.5 };
  assert.deepEqual(resolveFourier(auto, [2]), { count: 64, sigma: 0.5 });
  assert.deepEqual(resolveFourier(auto, [784]), { count: 0, sigma: 0.5 });
  assert.deepEqual(resolveFourier(auto, [28, 28, 1]), { count: 0, sigma: 0.5 });
  assert.deepEqual(resolveFourier({ count: 8, sigma: 2 }, [784]), { count: 8, sigma: 2 });
  assert.equal(resolveFourier(undefined, [2]).count, 0);
});

test('the energy probe is held out: fresh points for gaussians25, the other split for mnist, training data for split "all"', () => {
  const g = withDefaults({ data: { kind: 'gaussians25', count: 500 } }).data;
  const train = loadDataset(g, 0);
  const probe = loadProbe(g, 0, 64, train);
  assert.equal(probe.heldOut, true);
  assert.equal(probe.size, 64);
  assert.notDeepEqual(Array.from(probe.x.subarray(0, 8)), Array.from(train.x.subarray(0, 8)));
  const m = withDefaults({ data: { kind: 'mnist', limit: 50 } }).data;
  const mProbe = loadProbe(m, 0, 32, loadDataset(m, 0));
  assert.equal(mProbe.heldOut, true);
  assert.equal(mProbe.x.length, 32 * 784);
  const all = { ...m, split: 'all' as const };
  assert.equal(loadProbe(all, 0, 32, loadDataset(all, 0)).heldOut, false);
});

test('inactive calibration is recognised from the logged metrics, with the reason and what to change', () => {
  const rec = (i: number, r: Partial<HealthInput>): HealthInput => ({ iteration: 25 * i, gap: 0.5, drift: 0.05, noise: 0.02, ...r });
  const healthy = Array.from({ length: 10 }, (_, i) => rec(i + 1, {}));
  assert.deepEqual(calibrationHealth(healthy), { active: true });
  assert.equal(calibrationHealth(healthy.slice(0, HEALTH_DEFAULTS.window - 1)), undefined, 'no verdict before a full window');
  assert.equal(calibrationHealth([{ iteration: 1 }, { iteration: 2 }]), undefined, 'a plain VAE gets no verdict');
  // The toy without Fourier features (measured): gap ~0, drift 0.002 against noise 0.02.
  const flat = Array.from({ length: 8 }, (_, i) => rec(i + 1, { gap: i % 2 ? 0.01 : -0.02, drift: 0.002 }));
  const v = calibrationHealth(flat)!;
  assert.equal(v.active, false);
  assert.match(
    v.reason!,
    /^calibration inactive \(iterations 25–200\): the energy does not separate held-out data from samples \(mean gap E\(neg\) - E\(data\) = -0\.0050 < 0\.05\), so the Langevin chains are mostly noise \(mean drift 0\.0020 vs injected noise 0\.020\)/,
  );
  assert.match(v.reason!, /energyFourier/);
  // MNIST with noise scale 0.1 (measured): the energy knows (gap 20), the noise drowns its pull.
  const noisy = Array.from({ length: 8 }, (_, i) => rec(i + 1, { gap: 20, drift: 0.15, noise: 0.63 }));
  assert.match(
    calibrationHealth(noisy)!.reason!,
    /the energy separates data from samples \(gap 20\), but the chains are mostly noise \(mean drift 0\.15 vs injected noise 0\.63\).*sgldNoiseScale/,
  );
  // A calibrated toy decoder (measured at 3000 iterations): samples look like data, so the
  // gap is ~0, but the chains still pull harder than the noise: not a warning.
  assert.deepEqual(calibrationHealth(Array.from({ length: 8 }, (_, i) => rec(i + 1, { gap: 0.004, drift: 0.025 }))), { active: true });
  assert.deepEqual(
    calibrationHealth(Array.from({ length: 8 }, (_, i) => rec(i + 1, { gap: 0, drift: 0, noise: 0 }))),
    { active: true },
    'noise-free chains: no ratio to judge',
  );
  // One bad batch in a healthy window does not trip it: the verdict averages.
  assert.equal(calibrationHealth([...healthy.slice(0, 7), rec(8, { drift: 0.001 })])!.active, true);
});

test('lambda held at lambdaMax by the dual ascent over a full window is a warning; a held lambda or a dip below is not', () => {
  const free = { lambdaMax: 100, lambdaLearningRate: 0.01 };
  const at = (lambdas: number[]): { iteration: number; lambda: number }[] => lambdas.map((lambda, i) => ({ iteration: 1500 + 25 * i, lambda }));
  const full = at(Array.from({ length: HEALTH_DEFAULTS.window }, () => 100));
  assert.match(
    lambdaCeilingWarning(full, free)!,
    /^lambda at its ceiling \(iterations 1500–1675\): calibration\.lambdaMax 100 caps the dual ascent .*calibration\.lambdaLearningRate 0 .*calibration\.epsilon\.$/,
  );
  assert.equal(lambdaCeilingWarning(full.slice(1), free), undefined, 'no verdict before a full window');
  assert.equal(lambdaCeilingWarning([...full.slice(0, -1), { iteration: 1700, lambda: 99.9 }], free), undefined, 'below the ceiling at the last record');
  assert.equal(lambdaCeilingWarning([...full.slice(0, 3), { iteration: 1575, lambda: 98 }, ...full.slice(4)], free), undefined, 'a dip inside the window');
  assert.equal(lambdaCeilingWarning(full, { lambdaMax: 100, lambdaLearningRate: 0 }), undefined, 'lambda held by the config');
  // Only the last window counts: a run that left the ceiling is not warned about.
  assert.equal(lambdaCeilingWarning([...full, ...at([90, 80])], free), undefined);
});

test("calibration.shareChain: the energy learns from the calibration chain's end, and no second chain runs", async () => {
  await useBackend('wasm');
  const cfg = withDefaults({
    data: { kind: 'gaussians25' },
    model: { hidden: 8, depth: 2, latentDim: 2 },
    training: { batchSize: 16 },
    calibration: { sgldSteps: 3, sgldStepSize: 0.01, sgldNoiseScale: 0.5, shareChain: true },
  });
  const model = buildModel(cfg.model, [2]);
  const state = initTrainState(model, cfg);
  // The chain the trainer runs first: from G(n) with the iteration's prior draw and chain seed.
  const n = tf.randomNormal([16, 2], 0, 1, 'float32', deriveSeed(cfg.seed, 1, Stream.prior)) as tf.Tensor2D;
  const start = model.decode(state.vae, n);
  const chain = sgldChain((v) => model.energy(state.ebm!, v), start, start, sgldOptions(cfg, 3, deriveSeed(cfg.seed, 1, Stream.sgldVae)));
  const want = model.energy(state.ebm!, chain.x).mean().dataSync()[0]!;
  const fresh = model.energy(state.ebm!, start).mean().dataSync()[0]!;
  const x = tf.randomUniform([16, 2], -0.8, 0.8, 'float32', 1);
  const before = tf.memory().numTensors;
  const m = await trainIteration(model, cfg, state, x);
  assert.ok(Math.abs(m.eNeg! - want) < 1e-5, `eNeg ${m.eNeg} is the energy of the calibration chain's end ${want}`);
  assert.ok(Math.abs(want - fresh) > 1e-4, 'the chain moved its start, so the check can tell them apart');
  assert.equal(tf.memory().numTensors, before, 'no tensor kept from the shared chain');
  // Without sharing, the negatives come from a second chain with its own noise.
  const own = withDefaults({ ...cfg, calibration: { ...cfg.calibration, shareChain: false } });
  const state2 = initTrainState(model, own);
  const m2 = await trainIteration(model, own, state2, x);
  assert.ok(Math.abs(m2.eNeg! - want) > 1e-5, `a second chain gives other negatives (${m2.eNeg})`);
  tf.dispose([n, start, chain.x, chain.drift, x]);
  disposeTrainState(state);
  disposeTrainState(state2);
});
