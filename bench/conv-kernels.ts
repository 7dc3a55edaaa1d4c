/**
 * Benchmark: direct vs Winograd F(4x4,3x3) convolution for the reference model's 3x3
 * layers on the selected backend (WASM: XNNPACK's direct kernel vs ops/winograd.ts),
 * per layer at batch 32 (one thread's whole batch) and 16 (its half on 2 threads) and 1
 * (restoration): milliseconds with the filter transform cached (an SGLD chain, a
 * restoration) and without (a training step), the filter gradient (direct: a dilated
 * forward convolution; Winograd), and the errors relative to the output's scale; each
 * Winograd figure for both kernel builds (plain SIMD, and relaxed SIMD where it loads);
 * for layers of at most 4 input channels, our narrow kernels (ops/convNarrow.ts): the
 * forward pass, and the input gradient against Winograd's; then the GEMMs alone
 * (tf.matMul against our gemm.ts). Prints one JSON line.
 *   npm run bench:kernels -- [--backend wasm] [--reps 10]
 */
import { parseArgs } from 'node:util';
import { selectBackend } from '../sidecar/engine/core/backend.ts';
import type { BackendName } from '../sidecar/engine/config/config.ts';
import { directFilterGrad } from '../sidecar/engine/ops/conv.ts';
import { narrowConv2d, narrowConvInputGrad, narrowSuits } from '../sidecar/engine/ops/convNarrow.ts';
import { kernelsOf, kernelVariant, offsetOf, useKernelVariant, type WasmBackendLike } from '../sidecar/engine/ops/wasmKernels.ts';
import { winogradAvailable, winogradConv2d, winogradFilter, winogradFilterGrad } from '../sidecar/engine/ops/winograd.ts';
import * as tf from '../sidecar/engine/core/tf.ts';
import { medianMs } from './medianMs.ts';

console.log = console.error; // keep stdout for the JSON result

const { values } = parseArgs({ options: { backend: { type: 'string', default: 'auto' }, reps: { type: 'string', default: '10' } } });
const reps = Number(values.reps);
const report = await selectBackend(values.backend as 'auto' | BackendName);

const ms = (f: () => tf.Tensor): number => medianMs(f, reps);

/** Largest error of `got` relative to the scale of `want` (disposes both). */
function relativeError(got: tf.Tensor, want: tf.Tensor): number {
  const e = tf.tidy(() => got.sub(want).abs().max().div(want.abs().max()).dataSync()[0]!);
  tf.dispose([got, want]);
  return e;
}

/** The kernel builds this runtime loads: plain SIMD, and relaxed SIMD where it can. */
const variants = (['simd', 'relaxed'] as const).filter((v) => {
  try {
    useKernelVariant(v);
    return true;
  } catch {
    return false;
  }
});
useKernelVariant('auto');
const layers: Record<string, unknown>[] = [];
// The reference model's 3x3 layers (its RGB stem and output among them), and the
// MNIST example's (width 8, 28x28).
for (const [H, C, K] of [
  [32, 32, 32],
  [16, 32, 64],
  [8, 64, 128],
  [32, 3, 32],
  [32, 32, 3],
  [28, 8, 8],
  [14, 8, 16],
  [28, 1, 8],
] as const) {
  for (const N of [32, 16, 1]) {
    const x = tf.randomNormal([N, H, H, C]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, C, K], 0, 0.1) as tf.Tensor4D;
    const b = tf.randomNormal([K]) as tf.Tensor1D;
    const direct = (): tf.Tensor4D => tf.fused.conv2d({ x, filter: w, bias: b, strides: 1, pad: 'same' });
    const directMs = ms(direct);
    const row: Record<string, unknown> = {
      layer: `${H}x${H} ${C}->${K}`,
      batch: N,
      direct_ms: directMs,
      direct_gflops: (2 * N * H * H * 9 * C * K) / directMs / 1e6,
    };
    const dy = tf.randomNormal([N, H, H, K]) as tf.Tensor4D;
    const geometry = { stride: 1, pad: 1 };
    row.direct_filter_grad_ms = ms(() => directFilterGrad(x, dy, [3, 3, C, K], geometry));
    for (const variant of winogradAvailable() ? variants : []) {
      useKernelVariant(variant);
      const u = winogradFilter(w);
      row[`${variant}_cached_ms`] = ms(() => winogradConv2d(x, u, b, [1, 1, 1, 1], K));
      row[`${variant}_uncached_ms`] = ms(() => tf.tidy(() => winogradConv2d(x, winogradFilter(w), b, [1, 1, 1, 1], K)));
      row[`${variant}_filter_grad_ms`] = ms(() => winogradFilterGrad(x, dy, 1));
      row[`${variant}_relative_error`] = relativeError(winogradConv2d(x, u, b, [1, 1, 1, 1], K), direct());
      row[`${variant}_filter_grad_relative_error`] = relativeError(winogradFilterGrad(x, dy, 1), directFilterGrad(x, dy, [3, 3, C, K], geometry));
      tf.dispose(u);
    }
    // Narrow-input layers (RGB, grey): our narrow kernels (convNarrow.ts), the forward
    // pass against the direct one, the input gradient (narrow output) against Winograd's.
    for (const variant of narrowSuits(w.shape, 1, 1, 'forward') ? variants : []) {
      useKernelVariant(variant);
      row[`${variant}_narrow_ms`] = ms(() => narrowConv2d(x, w, b));
      row[`${variant}_narrow_relative_error`] = relativeError(narrowConv2d(x, w, b), direct());
      const uFlipped = winogradFilter(w, true);
      const winogradGrad = (): tf.Tensor4D => winogradConv2d(dy, uFlipped, null, [1, 1, 1, 1], C);
      row[`${variant}_winograd_input_grad_ms`] = ms(winogradGrad);
      row[`${variant}_narrow_input_grad_ms`] = ms(() => narrowConvInputGrad(dy, w));
      row[`${variant}_narrow_input_grad_relative_error`] = relativeError(narrowConvInputGrad(dy, w), winogradGrad());
      tf.dispose(uFlipped);
    }
    tf.dispose(dy);
    layers.push(row);
    tf.dispose([x, w, b]);
  }
}
// The GEMMs alone: the 36 products of one convolution [tiles, Ci] x [Ci, Co] for the
// reference layers at batch 32, as 36 tf.matMul calls (XNNPACK, what winograd.ts used
// before) and as our gemm.ts, in GFLOP/s.
const gemms: Record<string, unknown>[] = [];
for (const [m, k, n] of winogradAvailable()
  ? [
      [2048, 32, 32],
      [512, 32, 64],
      [128, 64, 128],
    ]
  : []) {
  const a = Array.from({ length: 36 }, () => tf.randomNormal([m!, k!]) as tf.Tensor2D);
  const b = Array.from({ length: 36 }, () => tf.randomNormal([k!, n!]) as tf.Tensor2D);
  const gflop = (36 * 2 * m! * k! * n!) / 1e9;
  const row: Record<string, unknown> = {
    gemm: `36 x [${m},${k}]x[${k},${n}]`,
    tf_matmul_gflops:
      gflop /
      (ms(() => {
        const products = a.map((ai, i) => tf.matMul(ai, b[i]!));
        tf.dispose(products.slice(0, -1));
        return products[35]!;
      }) /
        1e3),
  };
  for (const variant of variants) {
    useKernelVariant(variant);
    const backend = tf.backend() as unknown as WasmBackendLike;
    const kernels = kernelsOf(backend)!;
    const addr = (t: tf.Tensor): number => offsetOf(backend, t as unknown as tf.TensorInfo);
    const c = a.map(() => tf.zeros([m!, n!]));
    row[`${variant}_gflops`] =
      gflop /
      (ms(() => {
        a.forEach((ai, i) => kernels.gemm(addr(ai), k!, 1, addr(b[i]!), n!, addr(c[i]!), n!, m!, k!, n!, false));
        return tf.zeros([1]);
      }) /
        1e3);
    tf.dispose(c);
  }
  gemms.push(row);
  tf.dispose([...a, ...b]);
}

useKernelVariant('auto');
process.stdout.write(
  JSON.stringify({ backend: report.backend, reps, winograd: winogradAvailable(), kernel_variant: kernelVariant(), variants, layers, gemms }) + '\n',
);
