/**
 * The forward-convolution formulation of conv2d's gradients (ops/conv.ts) must match
 * TF.js's reference gradient kernels (cpu backend) for every stride/padding the models
 * use and for random shapes, and must run on the WASM backend, which lacks them.
 */
import { test } from 'node:test';
import * as tf from '../sidecar/engine/tf.ts';
import { conv2d } from '../sidecar/engine/ops/conv.ts';
import { normalStream } from '../sidecar/engine/rng.ts';
import { assertClose, useBackend } from './helpers.ts';

function rand(shape: number[], seed: number): Float32Array {
  const g = normalStream(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => g());
}

interface Case { b: number; h: number; w: number; cin: number; cout: number; k: number; stride: number; pad: number }

/** Loss = sum(conv(x, w) * r) so that dy = r is arbitrary, not all ones. */
async function grads(c: Case, backend: 'cpu' | 'wasm', composed: boolean, seed: number) {
  await useBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(rand([c.b, c.h, c.w, c.cin], seed), [c.b, c.h, c.w, c.cin]);
    const w = tf.tensor4d(rand([c.k, c.k, c.cin, c.cout], seed + 1), [c.k, c.k, c.cin, c.cout]);
    const bias = tf.zeros([c.cout]) as tf.Tensor1D;
    const f = (xx: tf.Tensor, ww: tf.Tensor): tf.Scalar => {
      const y = composed ? conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, bias, c) : tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, c.stride, c.pad);
      const r = tf.tensor(rand(y.shape, seed + 2), y.shape);
      return y.mul(r).sum() as tf.Scalar;
    };
    const [dx, dw] = tf.grads(f)([x, w]);
    const dxFrozen = composed ? tf.grad((xx: tf.Tensor) => {
      const y = conv2d(xx as tf.Tensor4D, w, bias, c, true);
      return y.mul(tf.tensor(rand(y.shape, seed + 2), y.shape)).sum() as tf.Scalar;
    })(x).dataSync() : undefined;
    return { dx: dx!.dataSync(), dw: dw!.dataSync(), dxFrozen };
  });
}

const cases: Case[] = [
  { b: 2, h: 8, w: 8, cin: 3, cout: 4, k: 4, stride: 2, pad: 1 }, // encoder conv
  { b: 2, h: 7, w: 7, cin: 2, cout: 5, k: 3, stride: 1, pad: 1 }, // decoder / EBM conv, odd size
  { b: 3, h: 9, w: 6, cin: 4, cout: 2, k: 3, stride: 2, pad: 0 }, // stride 2, windows not covering the edge
  { b: 1, h: 10, w: 10, cin: 1, cout: 3, k: 5, stride: 3, pad: 2 },
  { b: 2, h: 6, w: 6, cin: 3, cout: 3, k: 1, stride: 1, pad: 0 },
];

for (const [i, c] of cases.entries()) {
  test(`conv2d gradients via forward convolutions match reference: ${JSON.stringify(c)}`, async () => {
    const ref = await grads(c, 'cpu', false, 10 * i);
    for (const backend of ['cpu', 'wasm'] as const) {
      const got = await grads(c, backend, true, 10 * i);
      assertClose(got.dx, ref.dx, 1e-4, 1e-4, `${backend} dx`);
      assertClose(got.dw, ref.dw, 1e-4, 1e-4, `${backend} dw`);
      assertClose(got.dxFrozen!, ref.dx, 1e-4, 1e-4, `${backend} frozen dx`);
    }
  });
}
