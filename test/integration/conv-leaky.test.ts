/**
 * The leaky ReLU fused into Winograd convolutions (ops/convLeaky.ts, LeakyFusion in
 * ops/winograd.ts): conv2d(lrelu(x)) and its gradients with respect to x, w and b equal
 * the unfused lrelu-then-conv2d, together and each alone, with and without a filter cache;
 * the fused path runs no elementwise lrelu kernels; the output gate also handles an
 * output whose channels end inside a group of 4; nothing leaks. Likewise with a 2x2
 * average pool after the convolution (PoolFusion), also on sizes that end inside a tile.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { conv2d } from '../../sidecar/engine/ops/conv.ts';
import { withFilterCache } from '../../sidecar/engine/ops/filterCache.ts';
import { conv2dAfterLeaky } from '../../sidecar/engine/ops/convLeaky.ts';
import { leakyRelu } from '../../sidecar/engine/ops/elementwise.ts';
import { winogradConv2d, winogradFilter } from '../../sidecar/engine/ops/winograd.ts';
import { randomTensor, relativeError, useBackend } from '../helpers.ts';

const LEAK = 0.2;
const g = { stride: 1, pad: 1 };

/** y, dx, dw, db of sum(r · conv(x)) for a conv op f(x, w, b). */
function valueAndGrads(
  f: (x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D) => tf.Tensor4D,
  x: tf.Tensor,
  w: tf.Tensor,
  b: tf.Tensor,
  r: tf.Tensor,
): tf.Tensor[] {
  const y = f(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D);
  const grads = tf.grads(
    (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
      f(xx as tf.Tensor4D, ww as tf.Tensor4D, bb as tf.Tensor1D)
        .mul(r)
        .sum() as tf.Scalar,
  )([x, w, b]);
  return [y, ...grads];
}

for (const [pool, shape, geometry] of [
  [false, [8, 16, 16, 32], g],
  [true, [8, 16, 16, 32], g],
  [true, [8, 14, 10, 32], g], // 14x10: the last row and column of tiles are half tiles
  [true, [8, 18, 14, 32], { stride: 1, pad: 0 }], // input-gradient tiles start at even rows of up2(dy), not odd
] as const) {
  const g = geometry;
  test(`conv2d(lrelu(x))${pool ? ' then a 2x2 average pool' : ''} fused into Winograd equals the unfused ops on ${shape.join('x')} (pad ${g.pad}), with every gradient, together or alone, cached or not`, async () => {
    await useBackend('wasm');
    tf.tidy(() => {
      const x = randomTensor([...shape], 1);
      const w = randomTensor([3, 3, 32, 32], 2, 0.1);
      const b = randomTensor([32], 3);
      const [n, h, wd] = [shape[0], shape[1] - 2 + 2 * g.pad, shape[2] - 2 + 2 * g.pad];
      const out = pool ? [n, h / 2, wd / 2, 32] : [n, h, wd, 32];
      const r = randomTensor(out, 4);
      const unfused = (xx: tf.Tensor4D, ww: tf.Tensor4D, bb: tf.Tensor1D): tf.Tensor4D => {
        const y = conv2d(leakyRelu(xx, LEAK), ww, bb, g);
        return pool ? tf.avgPool(y, 2, 2, 'valid') : y;
      };
      const want = valueAndGrads(unfused, x, w, b, r);
      const got = valueAndGrads((xx, ww, bb) => conv2dAfterLeaky(xx, ww, bb, g, LEAK, pool), x, w, b, r);
      ['y', 'dx', 'dw', 'db'].forEach((what, i) => {
        assert.deepEqual(got[i]!.shape, want[i]!.shape, what);
        const err = relativeError(got[i]!, want[i]!);
        assert.ok(err < 2e-5, `${what}: relative error ${err}`);
      });
      const dxAlone = withFilterCache(() =>
        tf.grad(
          (xx: tf.Tensor) =>
            conv2dAfterLeaky(xx as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D, g, LEAK, pool)
              .mul(r)
              .sum() as tf.Scalar,
        )(x),
      );
      const err = relativeError(dxAlone, want[1]!);
      assert.ok(err < 2e-5, `dx alone with a filter cache: relative error ${err}`);
    });
  });
}

test('the fused path (dx alone, dw alone) runs no elementwise lrelu kernels and leaks nothing', async () => {
  await useBackend('wasm');
  const x = randomTensor([8, 16, 16, 32], 1) as tf.Tensor4D;
  const w = randomTensor([3, 3, 32, 32], 2, 0.1) as tf.Tensor4D;
  const b = randomTensor([32], 3) as tf.Tensor1D;
  const pass = (): void => {
    withFilterCache(() =>
      tf.tidy(() => {
        tf.grad((xx: tf.Tensor) => conv2dAfterLeaky(xx as tf.Tensor4D, w, b, g, LEAK).sum() as tf.Scalar)(x);
        tf.grad((ww: tf.Tensor) => conv2dAfterLeaky(x, ww as tf.Tensor4D, b, g, LEAK).sum() as tf.Scalar)(w);
      }),
    );
  };
  const info = await tf.profile(pass);
  const kernels = new Set(info.kernels.map((k) => k.name));
  assert.ok(kernels.has('EcvaeWinogradConv') && kernels.has('EcvaeWinogradFilterGrad'), [...kernels].join(', '));
  assert.ok(!kernels.has('Step') && !kernels.has('LeakyRelu'), `no lrelu pass: ${[...kernels].join(', ')}`);
  // With the pool fused too, the pool and its gradient run no kernels of their own either.
  const pooled = await tf.profile(() =>
    withFilterCache(() =>
      tf.tidy(() => {
        tf.grad((xx: tf.Tensor) => conv2dAfterLeaky(xx as tf.Tensor4D, w, b, g, LEAK, true).sum() as tf.Scalar)(x);
      }),
    ),
  );
  // (The unfused pool's gradient is a Multiply broadcasting over rank-6 shapes, resample.ts; sum's gradient is a Multiply too.)
  const pooling = pooled.kernels.filter((k) => k.name === 'AvgPool' || (k.name === 'Multiply' && k.inputShapes.some((s) => s.length === 6)));
  assert.deepEqual(
    pooling.map((k) => k.name),
    [],
    'no pooling pass',
  );
  pass();
  const before = { ...tf.memory(), dataIds: tf.backend().numDataIds() };
  for (let i = 0; i < 3; i++) pass();
  assert.deepEqual({ ...tf.memory(), dataIds: tf.backend().numDataIds() }, before);
  tf.dispose([x, w, b]);
});

test('the output gate multiplies by lrelu slope, also where the channels end inside a group of 4', async () => {
  await useBackend('wasm');
  tf.tidy(() => {
    for (const co of [8, 3]) {
      const x = randomTensor([2, 9, 7, 16], 5);
      const w = randomTensor([3, 3, 16, co], 6, 0.2);
      const gate = randomTensor([2, 9, 7, co], 7);
      const want = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same').mul(tf.step(gate, LEAK));
      const got = winogradConv2d(x as tf.Tensor4D, winogradFilter(w as tf.Tensor4D), null, [1, 1, 1, 1], co, { leak: LEAK, gate: gate as tf.Tensor4D });
      const err = relativeError(got, want);
      assert.ok(err < 2e-5, `${co} output channels: relative error ${err}`);
    }
  });
});

test('a fused pool on an odd output falls back to conv then avgPool2; the kernels refuse the combinations they do not implement', async () => {
  await useBackend('wasm');
  tf.tidy(() => {
    const x = randomTensor([8, 15, 17, 32], 8);
    const w = randomTensor([3, 3, 32, 32], 9, 0.1);
    const b = randomTensor([32], 10);
    const want = tf.avgPool(conv2d(leakyRelu(x as tf.Tensor4D, LEAK), w as tf.Tensor4D, b as tf.Tensor1D, g), 2, 2, 'valid');
    const got = conv2dAfterLeaky(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D, g, LEAK, true);
    assert.deepEqual(got.shape, [8, 7, 8, 32]);
    assert.ok(relativeError(got, want) < 2e-5);
    const u = winogradFilter(w as tf.Tensor4D);
    assert.throws(() => winogradConv2d(x as tf.Tensor4D, u, null, [1, 1, 1, 1], 32, undefined, { pool: true }), /even output size/);
    const even = x.slice([0, 0, 0, 0], [-1, 14, 16, -1]) as tf.Tensor4D;
    assert.throws(() => winogradConv2d(even, u, null, [1, 1, 1, 1], 32, { leak: LEAK, gate: even }, { pool: true }), /no gate/);
    assert.throws(() => winogradConv2d(even, u, null, [1, 1, 1, 1], 32, { leak: LEAK, input: true }, { unpool: true }), /no input lrelu/);
  });
});

test('the filter and bias gradients alone (an objective, whose data is not differentiated) equal the unfused ones', async () => {
  await useBackend('wasm');
  tf.tidy(() => {
    const x = randomTensor([8, 16, 16, 32], 11) as tf.Tensor4D;
    const w = randomTensor([3, 3, 32, 32], 12, 0.1);
    const b = randomTensor([32], 13);
    for (const pool of [false, true]) {
      const r = randomTensor(pool ? [8, 8, 8, 32] : [8, 16, 16, 32], 14);
      const loss =
        (fused: boolean) =>
        (ww: tf.Tensor, bb: tf.Tensor): tf.Scalar => {
          const y = fused
            ? conv2dAfterLeaky(x, ww as tf.Tensor4D, bb as tf.Tensor1D, g, LEAK, pool)
            : conv2d(leakyRelu(x, LEAK), ww as tf.Tensor4D, bb as tf.Tensor1D, g);
          return (pool && !fused ? tf.avgPool(y, 2, 2, 'valid') : y).mul(r).sum() as tf.Scalar;
        };
      const want = tf.grads(loss(false))([w, b]);
      const got = tf.grads(loss(true))([w, b]);
      got.forEach((d, i) => assert.ok(relativeError(d, want[i]!) < 2e-5, `pool ${pool}, gradient ${i}`));
    }
  });
});
