/**
 * Test-time MCMC in latent space (algorithm/latentChain.ts, the official sgld_z) and the
 * sampler option that runs it (mcmcSpace "latent", algorithm/sample.ts): the chain's
 * steps against a hand computation (look-ahead included), shapes, determinism, the energy
 * it lowers, flat tensor counts (also when cancelled mid-chain), refused values.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { latentChain } from '../../sidecar/engine/algorithm/latentChain.ts';
import { draw, drawAsync, type McmcSpace } from '../../sidecar/engine/algorithm/sample.ts';
import { initParams } from '../../sidecar/engine/core/params.ts';
import { buildModel } from '../../sidecar/engine/models/index.ts';
import type { TrainedModel } from '../../sidecar/engine/store/trainedModel.ts';
import { assertClose, useBackend, withDefaults } from '../helpers.ts';

test('latent chain: two steps as sgld_z computes them, with the look-ahead and the prior term', async () => {
  await useBackend('wasm');
  const w = tf.tensor2d([0.5, -0.3, 0.2, 0.1, 0.4, -0.6], [2, 3]);
  const decode = (z: tf.Tensor2D): tf.Tensor => tf.tanh(tf.matMul(z, w));
  const energy = (x: tf.Tensor): tf.Tensor1D => x.sub(0.3).square().sum(1).mul(2).add(x.sum(1).sin()) as tf.Tensor1D;
  const z0 = tf.tensor2d([0.7, -1.1, 0.2, 0.4], [2, 2]);
  const s = 0.1;
  const r = latentChain(decode, energy, z0, { steps: 2, stepSize: s, noiseScale: 0, seed: 1, prior: true });
  const want = tf.tidy(() => {
    const gx = (x: tf.Tensor): tf.Tensor => tf.grad((v: tf.Tensor) => energy(v).sum() as tf.Scalar)(x);
    const u = (d: tf.Tensor) => (z: tf.Tensor) =>
      energy(decode(z as tf.Tensor2D).add(d))
        .sum()
        .add(z.square().sum().mul(0.5)) as tf.Scalar;
    const z1 = z0.sub(
      tf
        .grad(u(tf.scalar(0)))(z0)
        .mul(s / 2),
    );
    const delta = gx(decode(z0)).mul(-s / 2); // the pixel step from G(z0)
    const z2 = z1.sub(
      tf
        .grad(u(delta))(z1)
        .mul(s / 2),
    );
    return [z2, z2.sub(z0)];
  });
  assertClose(r.x.dataSync(), want[0]!.dataSync(), 1e-5, 1e-6, 'z after two steps');
  assertClose(r.drift.dataSync(), want[1]!.dataSync(), 1e-5, 1e-6, 'drift = z_K - z_0 without noise');
  // Without the look-ahead the second step would differ: the test sees it.
  const plain = tf.tidy(() => {
    const u = (z: tf.Tensor) =>
      energy(decode(z as tf.Tensor2D))
        .sum()
        .add(z.square().sum().mul(0.5)) as tf.Scalar;
    const z1 = z0.sub(
      tf
        .grad(u)(z0)
        .mul(s / 2),
    );
    return z1.sub(
      tf
        .grad(u)(z1)
        .mul(s / 2),
    );
  });
  assert.ok(tf.tidy(() => r.x.sub(plain).abs().max().dataSync()[0]!) > 1e-6, 'the look-ahead changes the second step');
  tf.dispose([w, z0, r.x, r.drift, plain, ...want]);
});

function tinyTrained(): TrainedModel {
  const config = withDefaults({
    data: { kind: 'mnist' },
    model: { kind: 'conv', latentDim: 4, width: 4, ebmHidden: 8, temperature: 0.001 },
    calibration: { sgldStepSize: 0.001, sgldNoiseScale: 0.01 },
  });
  const model = buildModel(config.model, [28, 28, 1]);
  const s = { vae: initParams([...model.specs.enc, ...model.specs.dec], 0), ebm: initParams(model.specs.ebm, 0) };
  return {
    file: 'tiny',
    iteration: 0,
    config,
    model,
    vae: s.vae,
    ebm: s.ebm!,
    dispose: () => tf.dispose([...Object.values(s.vae), ...Object.values(s.ebm!)]),
  };
}

test('latent sampler: shapes, the same samples for a seed, lower energy on average, no leaks, bad values refused', async () => {
  await useBackend('wasm');
  const m = tinyTrained();
  const before = tf.memory().numTensors;
  const o = { n: 6, seed: 3, mcmcSteps: 10, mcmcSpace: 'latent' as McmcSpace };
  const a = draw(m, o);
  assert.deepEqual(a.mcmc!.shape, [6, 28, 28, 1]);
  const b = await drawAsync(m, o, async () => {});
  assertClose(b.mcmc!.dataSync(), a.mcmc!.dataSync(), 1e-5, 1e-6, 'draw and drawAsync give the same latent-MCMC samples');
  const c = draw(m, { ...o, seed: 4 });
  assert.ok(tf.tidy(() => c.mcmc!.sub(a.mcmc!).abs().max().dataSync()[0]!) > 1e-3, 'another seed, other samples');
  const e = (x: tf.Tensor): number => tf.tidy(() => m.model.energy(m.ebm!, x).mean().dataSync()[0]!);
  assert.ok(e(a.mcmc!) < e(a.oneStep) - 1e-4, `energy lowered on average: ${e(a.oneStep)} -> ${e(a.mcmc!)}`);
  // A row's chain does not depend on the other rows: the first two samples drawn alone are the same.
  const first = a.z.slice(0, 2);
  const alone = draw(m, { ...o, n: 2, latents: first });
  tf.tidy(() => assertClose(alone.mcmc!.dataSync(), a.mcmc!.slice(0, 2).dataSync(), 1e-4, 1e-5, 'rows independent of the batch'));
  first.dispose();
  [a, b, c, alone].forEach((d) => d.dispose());
  let pauses = 0;
  const cancel = async (): Promise<void> => {
    if (++pauses === 4) throw new Error('cancelled');
  };
  await assert.rejects(drawAsync(m, o, cancel), /cancelled/);
  assert.equal(tf.memory().numTensors, before, 'no tensors left behind, cancelled mid-chain or not');
  assert.throws(() => draw(m, { ...o, mcmcSpace: 'latnet' as McmcSpace }), /MCMC space must be one of pixel, latent \(got "latnet"\)/);
  const vae = { ...m, ebm: undefined } as unknown as TrainedModel;
  assert.throws(() => draw(vae, o), /needs an energy model/);
  m.dispose();
});
