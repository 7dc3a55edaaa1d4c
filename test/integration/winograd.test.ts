/**
 * Winograd F(4x4,3x3) convolution on WASM (ops/winograd.ts, our AssemblyScript kernels):
 * the committed binaries are the compiled source, results of both builds (plain and
 * relaxed SIMD) match TF.js's direct convolution and its filter gradient for every
 * padding the conv ops use (including crops and outputs that are not multiples of 4),
 * the conv ops take the Winograd path where it suits and their gradients still match,
 * nothing leaks, other backends are refused clearly, and Identity shares buffers.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { conv2d } from '../../sidecar/engine/ops/conv.ts';
import { withFilterCache } from '../../sidecar/engine/ops/filterCache.ts';
import { kernelsOf, kernelVariant, registerSharingIdentity, useKernelVariant } from '../../sidecar/engine/ops/wasmKernels.ts';
import { winogradAvailable, winogradConv2d, winogradFilter, winogradFilterGrad } from '../../sidecar/engine/ops/winograd.ts';
import { compileVariants, generatedSource, KERNEL_MODULE } from '../../scripts/build-kernels.mjs';
import { assertClose, randomTensor, relativeError, repoRoot, useBackend } from '../helpers.ts';

/** Direct convolution with zero padding [top, bottom, left, right]; negative amounts crop. */
function reference(x: tf.Tensor4D, w: tf.Tensor4D, bias: tf.Tensor1D | null, [pt, pb, pl, pr]: number[]): tf.Tensor4D {
  const [, h, wd] = x.shape;
  const cropped = x.slice(
    [0, Math.max(0, -pt!), Math.max(0, -pl!), 0],
    [-1, h - Math.max(0, -pt!) - Math.max(0, -pb!), wd - Math.max(0, -pl!) - Math.max(0, -pr!), -1],
  );
  const padded = cropped.pad([
    [0, 0],
    [Math.max(0, pt!), Math.max(0, pb!)],
    [Math.max(0, pl!), Math.max(0, pr!)],
    [0, 0],
  ]) as tf.Tensor4D;
  const y = tf.conv2d(padded, w, 1, 'valid');
  return bias ? y.add(bias) : y;
}

test('the committed WASM kernel module is the compiled AssemblyScript source', async () => {
  const binaries = await compileVariants();
  const committed = readFileSync(join(repoRoot, KERNEL_MODULE.out), 'utf8');
  assert.equal(committed, generatedSource(binaries), 'run `npm run build:kernels` after editing sidecar/kernels/assembly/');
  useKernelVariant('relaxed'); // sets the flag Node 20 needs to compile relaxed SIMD
  useKernelVariant('auto');
  for (const binary of binaries) {
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(binary));
    assert.deepEqual(imports, [{ module: 'env', name: 'memory', kind: 'memory' }], 'the kernel imports the backend memory and nothing else');
  }
});

/** Runs `f` once with each kernel build this runtime loads, then goes back to the automatic choice. */
function forEachVariant(f: (variant: string) => void): void {
  try {
    for (const v of ['simd', 'relaxed'] as const) {
      useKernelVariant(v);
      assert.equal(kernelVariant(), v);
      f(v);
    }
  } finally {
    useKernelVariant('auto');
  }
}

test('Winograd convolution matches direct convolution for every padding, odd sizes and channel counts', async () => {
  await useBackend('wasm');
  assert.ok(winogradAvailable());
  const cases = [
    { shape: [2, 8, 8, 4], co: 8, pads: [1, 1, 1, 1] }, // same
    { shape: [3, 7, 9, 8], co: 4, pads: [1, 1, 1, 1] }, // output not a multiple of 4
    { shape: [1, 10, 6, 12], co: 16, pads: [0, 0, 0, 0] }, // valid
    { shape: [2, 9, 9, 4], co: 4, pads: [1, 2, 1, 2] }, // input gradient of a stride-1 conv with extra rows
    { shape: [2, 9, 11, 8], co: 8, pads: [-1, 1, 0, -2] }, // crops
    { shape: [1, 5, 5, 4], co: 4, pads: [2, 2, 2, 2] }, // full correlation
    { shape: [2, 8, 8, 3], co: 8, pads: [1, 1, 1, 1] }, // RGB in: channels padded to 4
    { shape: [2, 8, 8, 8], co: 3, pads: [1, 1, 1, 1] }, // RGB out: the 4th channel is dropped
  ];
  forEachVariant((v) => {
    for (const [i, c] of cases.entries()) {
      tf.tidy(() => {
        const x = randomTensor(c.shape, 10 * i) as tf.Tensor4D;
        const w = randomTensor([3, 3, c.shape[3]!, c.co], 10 * i + 1, 0.3) as tf.Tensor4D;
        const bias = i % 2 ? null : (randomTensor([c.co], 10 * i + 2) as tf.Tensor1D);
        const want = reference(x, w, bias, c.pads);
        const got = winogradConv2d(x, winogradFilter(w), bias, c.pads as [number, number, number, number], c.co);
        assert.deepEqual(got.shape, want.shape, `case ${i} shape`);
        const err = relativeError(got, want);
        assert.ok(err < 2e-5, `${v} case ${i} ${JSON.stringify(c)}: relative error ${err}`);
      });
    }
  });
});

test("the Winograd filter gradient matches TF.js's for same and valid padding, odd sizes, RGB channels and block edges", async () => {
  // 40 images of 9x9 are 360 tiles: several blocks and a partial one. 3 channels are padded to 4.
  const cases: { shape: [number, number, number, number]; co: number; pad: number }[] = [
    { shape: [2, 8, 8, 4], co: 8, pad: 1 },
    { shape: [3, 7, 9, 8], co: 12, pad: 1 },
    { shape: [1, 10, 6, 12], co: 16, pad: 0 },
    { shape: [40, 9, 9, 16], co: 4, pad: 1 },
    { shape: [2, 8, 8, 3], co: 8, pad: 1 },
    { shape: [2, 8, 8, 8], co: 3, pad: 1 },
  ];
  const values = (shape: number[], seed: number): Float32Array => randomTensor(shape, seed).dataSync() as Float32Array;
  // Reference on cpu (wasm has no Conv2DBackpropFilter kernel).
  await useBackend('cpu');
  const want = cases.map((c, i) =>
    tf.tidy(() => {
      const x = tf.tensor(values(c.shape, 20 * i), c.shape) as tf.Tensor4D;
      const conv = (w: tf.Tensor): tf.Tensor4D => tf.conv2d(x, w as tf.Tensor4D, 1, c.pad ? 'same' : 'valid');
      const w0 = tf.zeros([3, 3, c.shape[3], c.co]);
      const dy = randomTensor(conv(w0).shape, 20 * i + 1);
      const dw = tf.grad((w: tf.Tensor) => conv(w).mul(dy).sum() as tf.Scalar)(w0);
      return { x: x.dataSync(), dy: dy.dataSync(), dyShape: dy.shape, dw: dw.dataSync() };
    }),
  );
  await useBackend('wasm');
  forEachVariant((v) => {
    for (const [i, c] of cases.entries()) {
      tf.tidy(() => {
        const x = tf.tensor(want[i]!.x, c.shape) as tf.Tensor4D;
        const dy = tf.tensor(want[i]!.dy, want[i]!.dyShape as [number, number, number, number]) as tf.Tensor4D;
        const got = winogradFilterGrad(x, dy, c.pad);
        assert.deepEqual(got.shape, [3, 3, c.shape[3], c.co]);
        const err = relativeError(got, tf.tensor(want[i]!.dw, got.shape));
        assert.ok(err < 5e-5, `${v} case ${i} ${JSON.stringify(c)}: relative error ${err}`);
      });
    }
  });
});

test('the flipped Winograd filter is the transform of the spatially flipped, in/out-swapped filter', async () => {
  await useBackend('wasm');
  tf.tidy(() => {
    const w = randomTensor([3, 3, 8, 12], 5) as tf.Tensor4D;
    const direct = winogradFilter(w.reverse([0, 1]).transpose([0, 1, 3, 2]) as tf.Tensor4D);
    const flipped = winogradFilter(w, true);
    assert.equal(flipped.length, 36);
    flipped.forEach((u, p) => {
      assert.deepEqual(u.shape, [12, 8]);
      assertClose(u.dataSync(), direct[p]!.dataSync(), 1e-5, 1e-6, `position ${p}`);
    });
  });
});

/** Kernel names run by `f`. */
async function kernelsRun(f: () => void): Promise<Set<string>> {
  const info = await tf.profile(f);
  return new Set(info.kernels.map((k) => k.name));
}

test('conv ops take the Winograd path where it pays, and their gradients still match the reference', async () => {
  // Large enough for Winograd with and without a filter cache (>= 2^25 multiply-adds).
  const shapes = { x: [16, 16, 16, 32], w: [3, 3, 32, 32] };
  const g = { stride: 1, pad: 1 };
  const inputs = (): tf.Tensor[] => [randomTensor(shapes.x, 1), randomTensor(shapes.w, 2, 0.1), randomTensor([32], 3), randomTensor(shapes.x, 4)];
  // Reference on cpu: TF.js's own conv2d and its gradient kernels (wasm has no Conv2DBackpropFilter).
  await useBackend('cpu');
  const ref = tf.tidy(() => {
    const [x, w, b, r] = inputs() as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.Tensor];
    const [dx, dw] = tf.grads(
      (xx: tf.Tensor, ww: tf.Tensor) =>
        tf
          .conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 1, 'same')
          .add(b)
          .mul(r)
          .sum() as tf.Scalar,
    )([x, w]);
    return { y: tf.conv2d(x, w, 1, 'same').add(b).dataSync(), dx: dx!.dataSync(), dw: dw!.dataSync() };
  });
  await useBackend('wasm');
  const [x, w, b, r] = inputs() as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D, tf.Tensor];
  const loss = (y: tf.Tensor): tf.Scalar => y.mul(r).sum() as tf.Scalar;
  const close = (got: tf.Tensor, want: Float32Array | Int32Array | Uint8Array, what: string): void => {
    const err = relativeError(got, tf.tensor(want, got.shape));
    assert.ok(err < 2e-5, `${what}: relative error ${err}`);
  };
  const run = await kernelsRun(() =>
    tf.tidy(() => {
      tf.grad((xx: tf.Tensor) => loss(conv2d(xx as tf.Tensor4D, w, b, g)))(x);
    }),
  );
  assert.ok(run.has('EcvaeWinogradConv') && run.has('EcvaeWinogradFilterTransform'), `Winograd kernels run: ${[...run].join(', ')}`);
  const trained = await kernelsRun(() =>
    tf.tidy(() => {
      tf.grad((ww: tf.Tensor) => loss(conv2d(x, ww as tf.Tensor4D, b, g)))(w);
    }),
  );
  assert.ok(trained.has('EcvaeWinogradFilterGrad'), `the filter gradient runs through Winograd: ${[...trained].join(', ')}`);
  tf.tidy(() => {
    close(conv2d(x, w, b, g), ref.y, 'forward');
    const [dx, dw] = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => loss(conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, b, g)))([x, w]);
    close(dx!, ref.dx, 'dx');
    close(dw!, ref.dw, 'dw');
    close(
      withFilterCache(() => tf.grad((xx: tf.Tensor) => loss(conv2d(xx as tf.Tensor4D, w, b, g)))(x)),
      ref.dx,
      'dx alone with the filter cache',
    );
  });
  tf.dispose([x, w, b, r]);

  // Small, thin or RGB convolutions keep the direct kernel.
  const small = await kernelsRun(() =>
    tf.tidy(() => {
      conv2d(tf.ones([1, 8, 8, 32]) as tf.Tensor4D, tf.ones([3, 3, 32, 32]) as tf.Tensor4D, tf.zeros([32]) as tf.Tensor1D, g);
    }),
  );
  const thin = await kernelsRun(() =>
    tf.tidy(() => {
      conv2d(tf.ones([32, 32, 32, 4]) as tf.Tensor4D, tf.ones([3, 3, 4, 4]) as tf.Tensor4D, tf.zeros([4]) as tf.Tensor1D, g);
    }),
  );
  const rgb = await kernelsRun(() =>
    tf.tidy(() => {
      conv2d(tf.ones([32, 32, 32, 3]) as tf.Tensor4D, tf.ones([3, 3, 3, 32]) as tf.Tensor4D, tf.zeros([32]) as tf.Tensor1D, g);
    }),
  );
  assert.ok(![small, thin, rgb].some((k) => k.has('EcvaeWinogradConv')), 'direct convolution below the thresholds');
});

test('Winograd convolutions leak neither tensors nor backend memory, with or without the filter cache', async () => {
  await useBackend('wasm');
  const x = randomTensor([16, 16, 16, 32], 1) as tf.Tensor4D;
  const w = randomTensor([3, 3, 32, 32], 2, 0.1) as tf.Tensor4D;
  const b = randomTensor([32], 3) as tf.Tensor1D;
  const pass = (): void => {
    tf.tidy(() => {
      tf.grad((xx: tf.Tensor) => conv2d(xx as tf.Tensor4D, w, b, { stride: 1, pad: 1 }).sum() as tf.Scalar)(x);
    });
  };
  const chain = (): void =>
    withFilterCache(() => {
      for (let k = 0; k < 3; k++) pass();
    });
  chain();
  pass();
  const before = { ...tf.memory(), dataIds: tf.backend().numDataIds() };
  for (let i = 0; i < 3; i++) {
    chain();
    pass();
  }
  const after = { ...tf.memory(), dataIds: tf.backend().numDataIds() };
  assert.equal(after.numTensors, before.numTensors, 'tensor count');
  assert.equal(after.numBytes, before.numBytes, 'bytes held by tensors');
  assert.equal(after.dataIds, before.dataIds, "backend buffers (the kernels' address tables and scratch are freed)");
  tf.dispose([x, w, b]);
});

test('on a backend other than wasm, Winograd is unavailable and says why when called', async () => {
  await useBackend('cpu');
  assert.equal(winogradAvailable(), false);
  tf.tidy(() => {
    assert.throws(() => winogradFilter(tf.zeros([3, 3, 4, 4]) as tf.Tensor4D), /needs the wasm backend.*cpu/);
    // The conv ops fall back to direct convolution.
    const y = conv2d(tf.ones([16, 16, 16, 32]) as tf.Tensor4D, tf.ones([3, 3, 32, 32]) as tf.Tensor4D, tf.zeros([32]) as tf.Tensor1D, { stride: 1, pad: 1 });
    assert.equal(y.dataSync()[17 * 32], 9 * 32, 'an interior output sums 9 taps x 32 channels');
  });
});

test('a backend whose memory the kernels cannot use (none exported, or shared) keeps the direct convolution', () => {
  assert.equal(kernelsOf({ wasm: {} }), null);
  assert.equal(kernelsOf({ wasm: { asm: { memory: new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }) } } }), null);
  assert.notEqual(kernelsOf({ wasm: { asm: { memory: new WebAssembly.Memory({ initial: 1 }) } } }), null);
});

test('Identity on wasm shares the input buffer instead of copying it; the clone outlives its original', async () => {
  await useBackend('wasm');
  registerSharingIdentity(); // what selectBackend does when it loads the wasm backend
  registerSharingIdentity(); // and a second time changes nothing
  const before = tf.backend().numDataIds();
  const x = tf.tensor([1, 2, 3]);
  const y = tf.clone(x); // tf.clone runs the Identity kernel, as the gradient tape does for saved tensors
  assert.equal(tf.backend().numDataIds(), before + 1, 'one buffer for both tensors');
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3]);
  y.dispose();
  assert.equal(tf.backend().numDataIds(), before, 'the buffer is freed with its last tensor');
});
