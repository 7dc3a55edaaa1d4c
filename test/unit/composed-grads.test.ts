/**
 * Our composed gradients (ops/) must match TF.js's reference gradients: the
 * forward-convolution formulation of conv2d's gradients for every stride/padding the
 * models use (and random shapes), the dense layer, leaky ReLU and 2x2 average pooling —
 * on the cpu backend and on WASM, which lacks Conv2DBackpropFilter.
 */
import { test } from 'node:test';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { clip, leakyRelu } from '../../sidecar/engine/ops/elementwise.ts';
import { avgPool2, spatialMean, upsample2 } from '../../sidecar/engine/ops/resample.ts';
import { conv2d } from '../../sidecar/engine/ops/conv.ts';
import { withFilterCache } from '../../sidecar/engine/ops/filterCache.ts';
import { denseOp } from '../../sidecar/engine/ops/dense.ts';
import { normalStream } from '../../sidecar/engine/core/rng.ts';
import { assertClose, useBackend } from '../helpers.ts';

function rand(shape: number[], seed: number): Float32Array {
  const g = normalStream(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => g());
}

interface Case {
  b: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  k: number;
  stride: number;
  pad: number;
}

/** Loss = sum(conv(x, w) * r) so that dy = r is arbitrary, not all ones. */
async function grads(c: Case, backend: 'cpu' | 'wasm', composed: boolean, seed: number) {
  await useBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(rand([c.b, c.h, c.w, c.cin], seed), [c.b, c.h, c.w, c.cin]);
    const w = tf.tensor4d(rand([c.k, c.k, c.cin, c.cout], seed + 1), [c.k, c.k, c.cin, c.cout]);
    const bias = tf.tensor1d(rand([c.cout], seed + 3));
    const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor): tf.Scalar => {
      const y = composed
        ? conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, bb as tf.Tensor1D, c)
        : tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, c.stride, c.pad).add(bb);
      const r = tf.tensor(rand(y.shape, seed + 2), y.shape);
      return y.mul(r).sum() as tf.Scalar;
    };
    const [dx, dw, db] = tf.grads(f)([x, w, bias]);
    const dxAlone = (): tf.Tensor =>
      tf.grad((xx: tf.Tensor) => {
        const y = conv2d(xx as tf.Tensor4D, w, bias, c);
        return y.mul(tf.tensor(rand(y.shape, seed + 2), y.shape)).sum() as tf.Scalar;
      })(x);
    const dxOnly = composed ? dxAlone().dataSync() : undefined;
    // Within a FilterCache scope, twice: the second pass runs on the first one's derived filters.
    const dxCached = composed ? withFilterCache(() => [dxAlone(), dxAlone()].map((t) => t.dataSync())) : undefined;
    return { dx: dx!.dataSync(), dw: dw!.dataSync(), db: db!.dataSync(), dxOnly, dxCached };
  });
}

const cases: Case[] = [
  { b: 2, h: 8, w: 8, cin: 3, cout: 4, k: 4, stride: 2, pad: 1 }, // encoder conv
  { b: 2, h: 7, w: 7, cin: 2, cout: 5, k: 3, stride: 1, pad: 1 }, // decoder / EBM conv, odd size
  { b: 3, h: 9, w: 6, cin: 4, cout: 2, k: 3, stride: 2, pad: 0 }, // stride 2, windows not covering the edge
  { b: 1, h: 10, w: 10, cin: 1, cout: 3, k: 5, stride: 3, pad: 2 },
  { b: 2, h: 6, w: 6, cin: 3, cout: 3, k: 1, stride: 1, pad: 0 },
  // Narrow-input 3x3 convolutions on WASM (convNarrow.ts): RGB (27 taps, padded to 28; its input gradient too, from 32
  // output channels) and grey, odd sizes.
  { b: 2, h: 7, w: 9, cin: 3, cout: 32, k: 3, stride: 1, pad: 1 },
  { b: 3, h: 5, w: 6, cin: 1, cout: 4, k: 3, stride: 1, pad: 1 },
  { b: 2, h: 5, w: 4, cin: 1, cout: 32, k: 3, stride: 1, pad: 1 }, // the narrow input gradient with 9 taps padded to 12
  { b: 1, h: 4, w: 7, cin: 4, cout: 32, k: 3, stride: 1, pad: 1 }, // 36 taps: no padding
  { b: 2, h: 6, w: 5, cin: 8, cout: 3, k: 3, stride: 1, pad: 1 }, // an RGB output: its input gradient is a narrow-input convolution
  // Strided input gradients by sub-pixel phases (subPixel.ts): k a multiple of the stride.
  { b: 2, h: 6, w: 4, cin: 3, cout: 2, k: 2, stride: 2, pad: 0 },
  { b: 1, h: 10, w: 8, cin: 2, cout: 3, k: 4, stride: 2, pad: 0 }, // the last rows get no gradient
  { b: 1, h: 8, w: 6, cin: 2, cout: 2, k: 4, stride: 2, pad: 3 }, // a phase's window starts past dy's first row (a crop)
  { b: 2, h: 9, w: 6, cin: 2, cout: 3, k: 6, stride: 3, pad: 2 },
];

for (const [i, c] of cases.entries()) {
  test(`conv2d gradients via forward convolutions match reference: ${JSON.stringify(c)}`, async () => {
    const ref = await grads(c, 'cpu', false, 10 * i);
    for (const backend of ['cpu', 'wasm'] as const) {
      const got = await grads(c, backend, true, 10 * i);
      assertClose(got.dx, ref.dx, 1e-4, 1e-4, `${backend} dx`);
      assertClose(got.dw, ref.dw, 1e-4, 1e-4, `${backend} dw`);
      assertClose(got.db, ref.db, 1e-4, 1e-4, `${backend} db`);
      assertClose(got.dxOnly!, ref.dx, 1e-4, 1e-4, `${backend} dx alone`);
      got.dxCached!.forEach((d, i) => assertClose(d, ref.dx, 1e-4, 1e-4, `${backend} dx alone with a filter cache, pass ${i + 1}`));
    }
  });
}

test('conv2d and dense give the parameter gradients alone, and the input gradient alone, as when all are asked for', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    tf.tidy(() => {
      const g = { stride: 2, pad: 1 };
      const x = tf.tensor4d(rand([2, 8, 8, 3], 51), [2, 8, 8, 3]);
      const w = tf.tensor4d(rand([4, 4, 3, 5], 52), [4, 4, 3, 5]);
      const b = tf.tensor1d(rand([5], 53));
      const r = tf.tensor4d(rand([2, 4, 4, 5], 54), [2, 4, 4, 5]);
      const convLoss = (ww: tf.Tensor, bb: tf.Tensor, xx: tf.Tensor = x): tf.Scalar =>
        conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, bb as tf.Tensor1D, g)
          .mul(r)
          .sum() as tf.Scalar;
      const xd = tf.tensor2d(rand([3, 7], 55), [3, 7]);
      const wd = tf.tensor2d(rand([7, 2], 56), [7, 2]);
      const bd = tf.tensor1d(rand([2], 57));
      const rd = tf.tensor2d(rand([3, 2], 58), [3, 2]);
      const denseLoss = (ww: tf.Tensor, bb: tf.Tensor, xx: tf.Tensor = xd): tf.Scalar =>
        denseOp(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D)
          .mul(rd)
          .sum() as tf.Scalar;
      const convAll = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => convLoss(ww, bb, xx))([x, w, b]);
      const denseAll = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => denseLoss(ww, bb, xx))([xd, wd, bd]);
      for (const [what, loss, params, all] of [
        ['conv2d', convLoss, [w, b], convAll],
        ['dense', denseLoss, [wd, bd], denseAll],
      ] as const) {
        const mine = tf.grads((ww: tf.Tensor, bb: tf.Tensor) => loss(ww, bb))([...params]);
        mine.forEach((d, i) => assertClose(d.dataSync(), all[i + 1]!.dataSync(), 1e-6, 1e-6, `${backend} ${what} parameter gradient ${i}`));
      }
      const dx = tf.grad((xx: tf.Tensor) => convLoss(w, b, xx))(x);
      assertClose(dx.dataSync(), convAll[0]!.dataSync(), 1e-6, 1e-6, `${backend} conv2d dx alone`);
      const ddx = tf.grad((xx: tf.Tensor) => denseLoss(wd, bd, xx))(xd);
      assertClose(ddx.dataSync(), denseAll[0]!.dataSync(), 1e-6, 1e-6, `${backend} dense dx alone`);
    });
  }
});

/** Reference gradients of `ref(x)` vs our op `mine(x)` for loss sum(f(x)·r), on the given backend. */
async function compareOp(
  backend: 'cpu' | 'wasm',
  shape: number[],
  mine: (x: tf.Tensor) => tf.Tensor,
  ref: (x: tf.Tensor) => tf.Tensor,
  what: string,
): Promise<void> {
  await useBackend(backend);
  tf.tidy(() => {
    const x = tf.tensor(rand(shape, 31), shape);
    const y = ref(x);
    const r = tf.tensor(rand(y.shape, 32), y.shape);
    assertClose(mine(x).dataSync(), y.dataSync(), 1e-6, 1e-6, `${what} value`);
    const gMine = tf
      .grad((v: tf.Tensor) => mine(v).mul(r).sum() as tf.Scalar)(x)
      .dataSync();
    const gRef = tf
      .grad((v: tf.Tensor) => ref(v).mul(r).sum() as tf.Scalar)(x)
      .dataSync();
    assertClose(gMine, gRef, 1e-5, 1e-6, `${backend} ${what} gradient`);
  });
}

test('leaky ReLU, clipping, 2x2 average pooling, 2x upsampling and the spatial mean with composed gradients match TF.js', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await compareOp(
      backend,
      [2, 6, 6, 3],
      (x) => leakyRelu(x, 0.2),
      (x) => tf.leakyRelu(x, 0.2),
      'leakyRelu',
    );
    // Values of 0 and the clip ends exactly: TF.js passes the gradient at both ends.
    const withEnds = (x: tf.Tensor): tf.Tensor =>
      x.mul(0.8).concat(tf.tensor([-1, 1, 0, -0.5, 0.5, 1, -1, 0, 2, -2, 1, -1]).reshape([1, 2, 2, 3]).tile([2, 1, 1, 1]), 1);
    await compareOp(
      backend,
      [2, 4, 2, 3],
      (x) => clip(withEnds(x), -1, 1),
      (x) => withEnds(x).clipByValue(-1, 1),
      'clip',
    );
    // TF.js's cpu ResizeNearestNeighborGrad mixes up the images of a batch > 1 (its wasm
    // kernel is right), so the cpu reference upsamples through gathers instead.
    const up2Ref =
      backend === 'cpu'
        ? (x: tf.Tensor): tf.Tensor => tf.gather(tf.gather(x, [0, 0, 1, 1, 2, 2], 1), [0, 0, 1, 1, 2, 2, 3, 3], 2)
        : (x: tf.Tensor): tf.Tensor => tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [6, 8]);
    await compareOp(backend, [2, 3, 4, 3], (x) => upsample2(x as tf.Tensor4D), up2Ref, 'upsample2');
    await compareOp(
      backend,
      [3, 5, 4, 2],
      (x) => spatialMean(x as tf.Tensor4D),
      (x) => x.mean([1, 2]),
      'spatialMean',
    );
    await compareOp(
      backend,
      [2, 8, 6, 3],
      (x) => avgPool2(x as tf.Tensor4D),
      (x) => tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'),
      'avgPool2',
    );
    await compareOp(
      backend,
      [1, 7, 5, 2],
      (x) => avgPool2(x as tf.Tensor4D),
      (x) => tf.avgPool(x as tf.Tensor4D, 2, 2, 'valid'),
      'avgPool2 (odd size, fallback)',
    );
  }
});

test('dense layer with composed gradients matches TF.js (all gradients, and dx alone)', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    tf.tidy(() => {
      const x = tf.tensor2d(rand([5, 7], 41), [5, 7]);
      const w = tf.tensor2d(rand([7, 4], 42), [7, 4]);
      const b = tf.tensor1d(rand([4], 43));
      const r = tf.tensor2d(rand([5, 4], 44), [5, 4]);
      const ours = tf.grads(
        (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
          denseOp(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D)
            .mul(r)
            .sum() as tf.Scalar,
      )([x, w, b]);
      const ref = tf.grads(
        (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
          tf
            .matMul(xx as tf.Tensor2D, ww as tf.Tensor2D)
            .add(bb)
            .mul(r)
            .sum() as tf.Scalar,
      )([x, w, b]);
      ['dx', 'dw', 'db'].forEach((k, i) => assertClose(ours[i]!.dataSync(), ref[i]!.dataSync(), 1e-5, 1e-6, `${backend} dense ${k}`));
      const dxAlone = tf.grad(
        (xx: tf.Tensor) =>
          denseOp(xx as tf.Tensor2D, w, b)
            .mul(r)
            .sum() as tf.Scalar,
      )(x);
      assertClose(dxAlone.dataSync(), ref[0]!.dataSync(), 1e-5, 1e-6, `${backend} dense dx alone`);
    });
  }
});
