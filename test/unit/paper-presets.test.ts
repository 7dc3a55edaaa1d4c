/**
 * The paper's 64x64 and 256x256 networks (models/paper64.ts, paper256.ts): the official
 * trainable parameter counts at width factor 1 (measured by instantiating the official
 * modules with Debian's PyTorch 1.13, bench/official/export_official.py), shapes and
 * ranges, and gradients of both objectives and of the energy's input against finite
 * differences at a tiny width.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { initParams, isBufferName, type ParamSpec } from '../../sidecar/engine/core/params.ts';
import { ebmLoss, sumSquaredPerExample, vaeTerms } from '../../sidecar/engine/algorithm/losses.ts';
import type { PaperArch } from '../../sidecar/engine/models/paper32.ts';
import { paper64Model } from '../../sidecar/engine/models/paper64.ts';
import { paper256Model } from '../../sidecar/engine/models/paper256.ts';
import { NOISE_SIZES, NOISE_WEIGHT } from '../../sidecar/engine/models/resnetDecoder.ts';
import type { EcvaeModel } from '../../sidecar/engine/models/types.ts';
import { checkDirectional, defaultInit, randT } from '../gradcheck.ts';
import { useBackend } from '../helpers.ts';

const trainable = (specs: ParamSpec[]): number => specs.filter((s) => !isBufferName(s.name)).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
const full = (spectralNorm: PaperArch['spectralNorm']): PaperArch => ({ channels: 3, latentDim: 128, widthFactor: 1, spectralNorm, temperature: 1 });

test('paper64 and paper256 at width factor 1 have the official parameter counts', () => {
  // PyTorch's sum(p.numel() for p in net.parameters()) of ResNet18Enc(z_dim=128, use_vae=True),
  // ResNet18Dec(dataset "celeba", z_dim=128), MSResNet(train_demo's stages) with apply_sn,
  // Discriminator(ndf=64, im_size=256, num_latent=128) and Generator(ngf=64, nz=128, im_size=256).
  const m64 = paper64Model(full(['energy']));
  assert.deepEqual([trainable(m64.specs.enc), trainable(m64.specs.dec), trainable(m64.specs.ebm)], [44_915_072, 12_610_115, 23_815_169]);
  const m256 = paper256Model(full(['encoder', 'decoder', 'energy']));
  // The official Generator also holds to_128 (64 x 3 weights) that its single-output forward never uses; ours leaves it out.
  assert.deepEqual([trainable(m256.specs.enc), trainable(m256.specs.dec) + 64 * 3, trainable(m256.specs.ebm)], [9_134_064, 24_933_536, 23_815_169]);
  // Spectral norm adds only buffers: the counts do not depend on it.
  assert.equal(trainable(paper256Model(full([])).specs.enc), 9_134_064);
  // paper256's encoder heads are plain linears, as the official Discriminator's: no u vector for them.
  assert.ok(!m256.specs.enc.some((s) => /enc\.(mu|logvar)\.snU/.test(s.name)) && m256.specs.enc.some((s) => s.name === 'enc.fromBig.snU'));
});

/**
 * Small widths for the finite differences, taken at PyTorch's default init (gradcheck.ts
 * defaultInit). ReLU kinks make them unreliable where a layer has very few channels on
 * large maps (a pre-activation within the step of zero flips slope): paper64's ResNet
 * encoder at 2 channels on 32x32 maps does that, at 8 it does not.
 */
const tiny = (f: (a: PaperArch) => EcvaeModel, widthFactor: number): EcvaeModel =>
  f({ channels: 3, latentDim: 4, widthFactor, spectralNorm: ['encoder', 'decoder', 'energy'], temperature: 0.5 });

for (const [name, build, size, widthFactor] of [
  ['paper64', paper64Model, 64, 1 / 16],
  ['paper256', paper256Model, 256, 1 / 64],
] as const) {
  test(`${name}: shapes and ranges, and finite differences of the VAE objective, the energy loss and d energy / d x`, async () => {
    await useBackend('wasm');
    const m = tiny(build, widthFactor);
    assert.deepEqual(m.dataShape, [size, size, 3]);
    const vae = initParams(defaultInit([...m.specs.enc, ...m.specs.dec]), 3);
    const ebm = initParams(defaultInit(m.specs.ebm), 4);
    const x = randT([2, size, size, 3], 5, 0.5).clipByValue(-1, 1);
    tf.tidy(() => {
      const { mu, logvar } = m.encode(vae, x);
      assert.deepEqual(
        [mu.shape, logvar.shape],
        [
          [2, 4],
          [2, 4],
        ],
      );
      const y = m.decode(vae, mu);
      assert.deepEqual(y.shape, [2, size, size, 3]);
      assert.ok(y.abs().max().dataSync()[0]! <= 1, 'decoder output in [-1, 1]');
      assert.deepEqual(m.energy(ebm, y).shape, [2]);
    });
    const eps = randT([2, 4], 6) as tf.Tensor2D;
    const n = randT([2, 4], 7) as tf.Tensor2D;
    const target = randT([2, size, size, 3], 8, 0.3);
    // Means, not sums, keep the losses small enough for float32 finite differences on 256x256 maps.
    checkDirectional(
      vae,
      (p) => {
        const { rec, kl } = vaeTerms(m, p, x, eps);
        return rec
          .add(kl.mul(0.5))
          .add(sumSquaredPerExample(m.decode(p, n), target).mul(2))
          .div(size * size) as tf.Scalar;
      },
      `${name} VAE objective`,
    );
    const neg = randT([2, size, size, 3], 9, 0.5).clipByValue(-1, 1);
    checkDirectional(ebm, (p) => ebmLoss(m.energy(p, x), m.energy(p, neg), 0.1), `${name} energy loss`);
    checkDirectional({ x: neg }, (q) => m.energy(ebm, q.x!).sum() as tf.Scalar, `${name} d energy / d x`);
    tf.dispose([...Object.values(vae), ...Object.values(ebm), x, eps, n, target, neg]);
  });
}

test('paper64 decoder: the official noise injection as an explicit input (0.1 · noise at 4, 8, 16, 32 pixels)', async () => {
  await useBackend('wasm');
  const m = paper64Model({ channels: 3, latentDim: 4, widthFactor: 1 / 64, spectralNorm: [], temperature: 1 });
  const p = initParams(m.specs.dec, 1);
  const z = randT([2, 4], 2) as tf.Tensor2D;
  const zeros = NOISE_SIZES.map((s) => tf.zeros([2, s, s, 1]) as tf.Tensor4D);
  const noise = NOISE_SIZES.map((s, i) => randT([2, s, s, 1], 10 + i) as tf.Tensor4D);
  tf.tidy(() => {
    const plain = m.decode(p, z);
    assert.equal(m.decode(p, z, zeros).sub(plain).abs().max().dataSync()[0], 0, 'zero noise is the plain decoder');
    assert.ok(m.decode(p, z, noise).sub(plain).abs().max().dataSync()[0]! > 1e-4, 'noise changes the image');
  });
  assert.equal(NOISE_WEIGHT, 0.1);
  assert.deepEqual(m.decoderNoise, [
    [4, 4, 1],
    [8, 8, 1],
    [16, 16, 1],
    [32, 32, 1],
  ]);
  checkDirectional(
    { z, ...Object.fromEntries(noise.map((t, i) => [`n${i}`, t])) },
    (q) =>
      m
        .decode(
          p,
          q.z as tf.Tensor2D,
          noise.map((_, i) => q[`n${i}`] as tf.Tensor4D),
        )
        .mean() as tf.Scalar,
    'paper64 decoder, latent and noise',
  );
  tf.dispose([...Object.values(p), z, ...zeros, ...noise]);
});
