/**
 * Benchmark: how fast the selected backend runs the kernels an EC-VAE iteration is made
 * of, for the reference model's 3x3 convolutions (batch 32). For each layer it times the
 * direct convolution and the pieces a Winograd F(2x2, 3x3) would need as TF.js ops:
 * 16 matmuls of the transformed tiles (as 16 2-D matmuls and as one batched matmul) and
 * the tile extraction with strided slices. Prints one JSON line.
 *   npm run bench:kernels -- [--backend wasm] [--reps 10]
 */
import { parseArgs } from 'node:util';
import { selectBackend } from '../sidecar/engine/backend.ts';
import type { BackendName } from '../sidecar/engine/config.ts';
import * as tf from '../sidecar/engine/tf.ts';

console.log = console.error; // keep stdout for the JSON result

const { values } = parseArgs({ options: { backend: { type: 'string', default: 'auto' }, reps: { type: 'string', default: '10' } } });
const reps = Number(values.reps);
const report = await selectBackend(values.backend as 'auto' | BackendName);

/** Median milliseconds of `f` over `reps` runs (after one warm-up). */
function ms(f: () => tf.Tensor): number {
  f().dispose();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const out = f();
    out.dataSync();
    out.dispose();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

const layers: Record<string, unknown>[] = [];
for (const [H, C, K] of [[32, 32, 32], [16, 32, 64], [8, 64, 128]] as const) {
  const N = 32;
  const tiles = N * (H / 2) * (H / 2);
  const x = tf.randomNormal([N, H, H, C]) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, C, K]) as tf.Tensor4D;
  const a2 = tf.randomNormal([tiles, C]) as tf.Tensor2D;
  const u2 = tf.randomNormal([C, K]) as tf.Tensor2D;
  const a3 = tf.randomNormal([16, tiles, C]) as tf.Tensor3D;
  const u3 = tf.randomNormal([16, C, K]) as tf.Tensor3D;
  const convFlop = 2 * N * H * H * 9 * C * K;
  const gemmFlop = 16 * 2 * tiles * C * K;
  const conv = ms(() => tf.conv2d(x, w, 1, 'same'));
  // The 16 products alone (kept in separate tensors), and gathered into one [16, tiles, K] tensor.
  const gemm16 = ms(() => tf.tidy(() => Array.from({ length: 16 }, () => tf.matMul(a2, u2)).pop()!));
  const gemm16Stacked = ms(() => tf.tidy(() => tf.stack(Array.from({ length: 16 }, () => tf.matMul(a2, u2)))));
  const batched = ms(() => tf.matMul(a3, u3));
  // The row half of extracting 4x4 tiles with stride 2 (the column half costs as much again).
  const slices = ms(() => tf.tidy(() => {
    const p = x.pad([[0, 0], [1, 1], [1, 1], [0, 0]]);
    return tf.stack(Array.from({ length: 4 }, (_, i) => p.stridedSlice([0, i, 0, 0], [N, i + H, H + 2, C], [1, 2, 1, 1])));
  }));
  layers.push({
    layer: `${H}x${H} ${C}->${K}`,
    conv_ms: conv, conv_gflops: convFlop / conv / 1e6,
    winograd_gemm_ms: gemm16, winograd_gemm_gflops: gemmFlop / gemm16 / 1e6, winograd_gemm_stacked_ms: gemm16Stacked,
    batched_matmul_ms: batched, strided_slice_rows_ms: slices,
  });
  tf.dispose([x, w, a2, u2, a3, u3]);
}
process.stdout.write(JSON.stringify({ backend: report.backend, batch: 32, reps, layers }) + '\n');
