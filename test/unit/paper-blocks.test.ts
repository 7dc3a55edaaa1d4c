/**
 * The layers the 64x64 and 256x256 presets add (models/paperLayers.ts, fastgan.ts, resnetDecoder.ts): nearest
 * upsampling, adaptive average pooling, noise injection, skip-layer excitation, resize
 * convolution and swish, by value against TF.js's own ops and PyTorch's definitions, and
 * by gradient against finite differences on the WASM backend; and latent_ebm
 * (models/latentEbm.ts): its layers, its clamp, its gradients; and data.resize "bilinear"
 * against PIL.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { initParams, isBufferName, type Params } from '../../sidecar/engine/core/params.ts';
import { applyBufferUpdates, collectBufferUpdates } from '../../sidecar/engine/models/buffers.ts';
import { latentEbmModel } from '../../sidecar/engine/models/latentEbm.ts';
import { seBlock } from '../../sidecar/engine/models/fastgan.ts';
import { Net } from '../../sidecar/engine/models/net.ts';
import { adaptiveAvgPool, noiseInjection, swish, upsampleNearest } from '../../sidecar/engine/models/paperLayers.ts';
import { resizeConv } from '../../sidecar/engine/models/resnetDecoder.ts';
import { pilBilinearWeights, resizeImages } from '../../sidecar/engine/data/resize.ts';
import { checkDirectional, randT } from '../gradcheck.ts';
import { assertClose, useBackend } from '../helpers.ts';

/** Training passes until spectral norm's power iteration has settled, as after a few training steps. */
function settle(p: Params, f: (q: Params) => tf.Tensor, passes = 40): void {
  for (let i = 0; i < passes; i++) {
    const { result, updates } = collectBufferUpdates(() => tf.tidy(() => f(p)));
    result.dispose();
    applyBufferUpdates(p, updates);
  }
}

test('nearest upsampling by 2, 3 and 4 equals resizeNearestNeighbor; adaptive pooling to 4 is the mean of each window', async () => {
  await useBackend('wasm');
  tf.tidy(() => {
    const x = randT([2, 3, 3, 2], 1) as tf.Tensor4D;
    for (const s of [2, 3, 4]) {
      const ref = tf.image.resizeNearestNeighbor(x, [3 * s, 3 * s]);
      assertClose(upsampleNearest(x, s).dataSync(), ref.dataSync(), 0, 1e-7, `upsample x${s}`);
    }
    const y = randT([1, 8, 8, 1], 2) as tf.Tensor4D;
    const pooled = adaptiveAvgPool(y, 4).dataSync();
    const v = y.dataSync();
    const window = (i: number, j: number): number =>
      (v[2 * i * 8 + 2 * j]! + v[2 * i * 8 + 2 * j + 1]! + v[(2 * i + 1) * 8 + 2 * j]! + v[(2 * i + 1) * 8 + 2 * j + 1]!) / 4;
    assertClose(
      pooled,
      [0, 1, 2, 3].flatMap((i) => [0, 1, 2, 3].map((j) => window(i, j))),
      1e-6,
      1e-6,
      'adaptive pool 8 -> 4',
    );
    assert.equal(adaptiveAvgPool(y.slice([0, 0, 0, 0], [1, 4, 4, 1]) as tf.Tensor4D, 4).shape[1], 4);
    assert.throws(() => adaptiveAvgPool(randT([1, 6, 6, 1], 3) as tf.Tensor4D, 4), /adaptive pool/);
    // Noise injection: one noise value per pixel, shared by the channels, times the weight.
    const n = randT([2, 3, 3, 1], 4) as tf.Tensor4D;
    const injected = noiseInjection(x, n, 0.1);
    assertClose(injected.sub(x).dataSync(), n.mul(0.1).tile([1, 1, 1, 2]).dataSync(), 1e-6, 1e-7, 'noise injection');
    assertClose(swish(tf.tensor1d([-2, 0, 3])).dataSync(), [-2 / (1 + Math.exp(2)), 0, 3 / (1 + Math.exp(-3))], 1e-6, 1e-7, 'swish');
  });
});

test('finite differences: skip-layer excitation (spectrally normalised), resize convolution, noise injection, swish', async () => {
  await useBackend('wasm');
  const small = randT([2, 8, 8, 3], 5, 0.8) as tf.Tensor4D;
  const big = randT([2, 16, 16, 2], 6, 0.8) as tf.Tensor4D;
  const target = randT([2, 16, 16, 2], 7, 0.5);
  {
    const net = new Net(true);
    const se = seBlock(net, 'se', 3, 2, 16);
    const p = initParams(net.specs, 1);
    const f = (q: Params): tf.Scalar => se(q, small, big).sub(target).square().sum() as tf.Scalar;
    settle(p, f);
    checkDirectional(p, f, 'skip-layer excitation, parameters');
    // A linear read-out keeps the loss small, so float32 rounding stays below the finite difference's tolerance.
    checkDirectional(
      { small, big },
      (q) =>
        se(p, q.small as tf.Tensor4D, q.big as tf.Tensor4D)
          .mul(target)
          .sum() as tf.Scalar,
      'skip-layer excitation, inputs',
    );
    tf.dispose(Object.values(p));
  }
  {
    const net = new Net(false);
    const rc = resizeConv(net, 'rc', 3, 2, 2, 16);
    const p = initParams(net.specs, 2);
    const f = (q: Params): tf.Scalar => swish(rc(q, small)).sub(target).square().sum() as tf.Scalar;
    checkDirectional(p, f, 'resize convolution x2 + swish, parameters');
    checkDirectional(
      { x: small },
      (q) =>
        swish(rc(p, q.x as tf.Tensor4D))
          .mul(target)
          .sum() as tf.Scalar,
      'resize convolution, input',
    );
    tf.dispose(Object.values(p));
  }
  const noise = randT([2, 16, 16, 1], 8) as tf.Tensor4D;
  checkDirectional(
    { x: big, n: noise },
    (q) =>
      noiseInjection(q.x as tf.Tensor4D, q.n as tf.Tensor4D, 0.1)
        .square()
        .mean() as tf.Scalar,
    'noise injection',
  );
  tf.dispose([small, big, target, noise]);
});

test('latent_ebm: four spectrally normalised linears (Z-512-512-512-1), N(0, 0.02²) init, output clamped to [-1, 1]', async () => {
  await useBackend('wasm');
  const m = latentEbmModel({ latentDim: 128 });
  const trainable = m.specs.filter((s) => !isBufferName(s.name)).reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  // 128·512 + 512 + 2·(512·512 + 512) + 512 + 1, what PyTorch's latent_ebm(num_latent=128).parameters() counts.
  assert.equal(trainable, 591_873);
  assert.equal(m.specs.filter((s) => s.name.endsWith('.snU')).length, 4);
  const small = latentEbmModel({ latentDim: 6, widthFactor: 1 / 32 });
  const p = initParams(small.specs, 3);
  const z = randT([5, 6], 4) as tf.Tensor2D;
  settle(p, (q) => small.energy(q, z));
  const e = tf.tidy(() => small.energy(p, z));
  assert.deepEqual(e.shape, [5]);
  const values = Array.from(e.dataSync());
  assert.ok(
    values.every((v) => Math.abs(v) < 1),
    `init energies inside the clamp: ${values}`,
  );
  checkDirectional(p, (q) => small.energy(q, z).sum() as tf.Scalar, 'latent_ebm, parameters');
  checkDirectional({ z }, (q) => small.energy(p, q.z as tf.Tensor2D).sum() as tf.Scalar, 'latent_ebm, latent (what the sampler follows)');
  // Scaled up, the output saturates at the clamp and passes no gradient there, as torch.clamp.
  const loud: Params = { ...p, 'lebm.3.b': tf.fill([1], 5) };
  const clamped = tf.tidy(() => small.energy(loud, z));
  assert.deepEqual(Array.from(clamped.dataSync()), [1, 1, 1, 1, 1]);
  const g = tf.tidy(() => tf.grad((v: tf.Tensor) => small.energy(loud, v as tf.Tensor2D).sum())(z));
  assert.equal(g.abs().max().dataSync()[0], 0);
  tf.dispose([e, clamped, g, z, loud['lebm.3.b']!, ...Object.values(p)]);
});

test('data.resize "bilinear" is PIL\'s antialiased bilinear (torchvision Resize on PIL images): within one grey level of PIL 9.4', async () => {
  await useBackend('wasm');
  // A 9x9 grey ramp, (37·i) mod 256, resized by PIL 9.4 Image.resize((s, s), BILINEAR).
  const src = Float32Array.from({ length: 81 }, (_, i) => (37 * i) % 256);
  const pil: Record<number, number[]> = {
    3: [110, 123, 106, 126, 127, 128, 126, 145, 134],
    4: [95, 133, 113, 92, 122, 110, 133, 127, 141, 138, 119, 138, 112, 147, 151, 123],
    5: [65, 117, 148, 109, 72, 145, 123, 92, 125, 143, 103, 131, 154, 116, 101, 160, 123, 107, 148, 171, 98, 142, 178, 128, 105],
  };
  for (const s of [3, 4, 5]) {
    const ours = tf.tidy(() => resizeImages(tf.tensor3d(src, [9, 9, 1]), s, 'bilinear').dataSync());
    // PIL rounds to 8 bits between its two passes; this resizes in float.
    assertClose(ours, pil[s]!, 0, 1, `9 -> ${s}`);
  }
  // Each output row of the weights sums to 1; upscaling interpolates between neighbours only.
  const w = pilBilinearWeights(96, 32);
  for (let o = 0; o < 32; o++) assertClose([w.subarray(o * 96, (o + 1) * 96).reduce((a, b) => a + b, 0)], [1], 1e-6, 1e-6, `row ${o}`);
  assert.equal(pilBilinearWeights(4, 8).filter((v) => v > 0).length, 8 * 2 - 2);
});
