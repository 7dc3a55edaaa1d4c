/**
 * The layers of the paper's networks (models/paperLayers.ts, ops/convTranspose.ts):
 * values against TF.js's own ops and PyTorch's definitions, gradients against finite
 * differences on the WASM backend (the composed-gradient path), and the buffer updates
 * BatchNorm and spectral norm propose.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { applyBufferUpdates, collectBufferUpdates } from '../../sidecar/engine/models/buffers.ts';
import {
  batchNorm,
  batchNormSpecs,
  convLayer,
  convTransposeLayer,
  denseLayer,
  glu,
  spectralWeight,
  weightSpecs,
} from '../../sidecar/engine/models/paperLayers.ts';
import { convTranspose2d } from '../../sidecar/engine/ops/convTranspose.ts';
import { initParams, type Params } from '../../sidecar/engine/core/params.ts';
import { checkDirectional, randT } from '../gradcheck.ts';
import { assertClose, useBackend } from '../helpers.ts';

const SN = { sn: true };
const PLAIN = { sn: false };

/** Runs training passes of `f` until spectral norm's power iteration has converged, as it has after a few training steps. */
function settle(p: Params, f: (q: Params) => tf.Tensor, passes = 60): void {
  for (let i = 0; i < passes; i++) {
    const { result, updates } = collectBufferUpdates(() => tf.tidy(() => f(p)));
    result.dispose();
    applyBufferUpdates(p, updates);
  }
}

test('convTranspose2d equals TF.js conv2dTranspose (strided, and the 1x1 matrix path) on the cpu backend', async () => {
  await useBackend('cpu');
  for (const [h, k, stride, pad] of [
    [3, 4, 2, 1],
    [1, 4, 1, 0],
    [4, 3, 1, 1],
  ] as const) {
    tf.tidy(() => {
      const x = randT([2, h, h, 3], 1) as tf.Tensor4D;
      const w = randT([k, k, 3, 5], 2) as tf.Tensor4D;
      const out = (h - 1) * stride - 2 * pad + k;
      const ours = convTranspose2d(x, w, tf.zeros([5]), { stride, pad });
      const ref = tf.conv2dTranspose(x, w.transpose([0, 1, 3, 2]) as tf.Tensor4D, [2, out, out, 5], stride, pad);
      assert.deepEqual(ours.shape, ref.shape);
      assertClose(ours.dataSync(), ref.dataSync(), 1e-4, 1e-4, `convT h${h} k${k} s${stride} p${pad}`);
    });
  }
  await useBackend('wasm');
});

test('BatchNorm normalises with batch statistics and proposes PyTorch running statistics (momentum 0.1, unbiased variance)', async () => {
  await useBackend('wasm');
  const p = initParams(batchNormSpecs('bn', 2), 1);
  const x = tf.tensor4d([1, 10, 2, 20, 3, 30, 6, 60], [2, 2, 1, 2]);
  const { result: y, updates } = collectBufferUpdates(() => batchNorm(p, 'bn', x));
  const col = (t: tf.Tensor, c: number): number[] => Array.from(t.dataSync()).filter((_, i) => i % 2 === c);
  const ys = col(y, 0);
  assertClose([ys.reduce((a, b) => a + b) / 4], [0], 0, 1e-6, 'mean after BN');
  assertClose([ys.reduce((a, b) => a + b * b, 0) / 4], [1], 1e-4, 1e-4, 'biased variance after BN');
  // channel 0: values 1,2,3,6: mean 3, unbiased variance 14/3.
  assertClose(col(updates['bn.runningMean']!, 0), [0.9 * 0 + 0.1 * 3], 1e-6, 1e-6, 'running mean');
  assertClose(col(updates['bn.runningVar']!, 0), [0.9 * 1 + (0.1 * 14) / 3], 1e-5, 1e-6, 'running variance');
  // Outside a collection nothing is proposed and nothing leaks.
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    batchNorm(p, 'bn', x);
  });
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([y, x, ...Object.values(updates), ...Object.values(p)]);
});

test('spectral norm: the power iteration converges to the largest singular value, and W/sigma has norm 1', async () => {
  await useBackend('wasm');
  const p = initParams(weightSpecs('l', [6, 4], 6, { bias: true, sn: true }), 3);
  settle(p, (q) => spectralWeight(q, 'l'));
  const ws = tf.tidy(() => spectralWeight(p, 'l'));
  // ||W/sigma||_2 = 1: the largest eigenvalue of (W/sigma)^T (W/sigma) by many power iterations from a fixed vector.
  const g = tf.tidy(() => tf.matMul(ws as tf.Tensor2D, ws as tf.Tensor2D, true, false));
  let v = tf.ones([4, 1]);
  for (let i = 0; i < 200; i++) {
    const next = tf.tidy(() => {
      const mv = tf.matMul(g, v);
      return mv.div(mv.norm());
    });
    v.dispose();
    v = next;
  }
  const top = tf.tidy(() => tf.matMul(v, tf.matMul(g, v), true, false).dataSync()[0]!);
  assertClose([top], [1], 1e-3, 1e-3, 'largest squared singular value of W/sigma');
  tf.dispose([ws, g, v, ...Object.values(p)]);
});

test('finite differences: BatchNorm + GLU, spectrally normalised conv and dense, transposed conv (both paths), residual block', async () => {
  await useBackend('wasm');
  const x = randT([3, 4, 4, 2], 5, 0.7) as tf.Tensor4D;
  const target = randT([3, 4, 4, 3], 6, 0.5);
  const cases: [string, Params, (q: Params) => tf.Scalar][] = [];
  {
    const p = initParams([...weightSpecs('c', [3, 3, 2, 6], 18, { bias: false, sn: false }), ...batchNormSpecs('bn', 6)], 1);
    cases.push([
      'conv, BatchNorm, GLU',
      p,
      (q) =>
        glu(batchNorm(q, 'bn', convLayer(q, 'c', x, { stride: 1, pad: 1 }, PLAIN)))
          .sub(target)
          .square()
          .sum() as tf.Scalar,
    ]);
  }
  {
    const p = initParams([...weightSpecs('c', [3, 3, 2, 3], 18, { bias: true, sn: true }), ...weightSpecs('d', [12, 2], 12, { bias: true, sn: true })], 2);
    const f = (q: Params): tf.Scalar => {
      const h = convLayer(q, 'c', x, { stride: 2, pad: 1 }, SN).reshape([3, 12]) as tf.Tensor2D;
      return denseLayer(q, 'd', h, SN).square().sum() as tf.Scalar;
    };
    settle(p, f);
    cases.push(['spectrally normalised conv (stride 2) and dense', p, f]);
  }
  {
    const p = initParams(
      [...weightSpecs('t', [4, 4, 2, 3], 32, { bias: false, sn: true }), ...weightSpecs('u', [4, 4, 2, 3], 32, { bias: true, sn: false })],
      3,
    );
    const z = randT([3, 1, 1, 2], 7) as tf.Tensor4D;
    const f = (q: Params): tf.Scalar =>
      convTransposeLayer(q, 't', z, { stride: 1, pad: 0 }, SN)
        .sub(target)
        .square()
        .sum()
        .add(convTransposeLayer(q, 'u', x, { stride: 2, pad: 1 }, PLAIN).square().mean()) as tf.Scalar;
    settle(p, f);
    cases.push(['transposed conv: 1x1 input (matrix path) with spectral norm; strided', p, f]);
  }
  {
    // A pre-activation residual block as the energy's: x + conv2(lrelu(conv1(lrelu(x)))) with a 1x1 shortcut.
    const p = initParams(
      [
        ...weightSpecs('r1', [3, 3, 2, 3], 18, { bias: true, sn: false }),
        ...weightSpecs('r2', [3, 3, 3, 3], 27, { bias: true, sn: false }),
        ...weightSpecs('sc', [1, 1, 2, 3], 2, { bias: false, sn: false }),
      ],
      4,
    );
    const act = (t: tf.Tensor4D): tf.Tensor4D => tf.leakyRelu(t, 0.2);
    cases.push([
      'residual block',
      p,
      (q) =>
        convLayer(q, 'r2', act(convLayer(q, 'r1', act(x), { stride: 1, pad: 1 }, PLAIN)), { stride: 1, pad: 1 }, PLAIN)
          .add(convLayer(q, 'sc', x, { stride: 1, pad: 0 }, PLAIN))
          .sub(target)
          .square()
          .sum() as tf.Scalar,
    ]);
  }
  for (const [what, p, f] of cases) checkDirectional(p, f, what);
  // Input gradient through BatchNorm + GLU (what restoration's chains follow through the decoder).
  const p = initParams([...weightSpecs('c', [3, 3, 2, 6], 18, { bias: false, sn: false }), ...batchNormSpecs('bn', 6)], 9);
  checkDirectional(
    { x },
    (q) =>
      glu(batchNorm(p, 'bn', convLayer(p, 'c', q.x as tf.Tensor4D, { stride: 1, pad: 1 }, PLAIN)))
        .square()
        .sum() as tf.Scalar,
    'd/dx BatchNorm + GLU',
  );
});
