/**
 * Winograd F(4x4, 3x3) convolution for the WASM backend: 3x3 stride-1 convolutions (the
 * decoder's, and every EBM convolution inside the SGLD chains, forward and input
 * gradient) with 2.25 instead of 9 multiplies per output, and their filter gradients.
 *
 * Why: XNNPACK's direct convolution already runs at GEMM speed (~30 GFLOP/s per core,
 * near 128-bit WASM SIMD's peak without FMA), so only fewer multiplies, and FMA, make it
 * faster. Our kernels (sidecar/kernels/assembly/winograd.ts, gemm.ts), per block of tiles
 * while it is in cache:
 *   U = G·g·Gᵀ           per filter: 36 matrices [Ci, Co] (kept in a FilterCache scope)
 *   V = Bᵀ·d·B           per 6x6 input patch
 *   M = V[ξ]·U[ξ]        36 GEMMs (gemm.ts; relaxed-SIMD FMA where the runtime has it)
 *   y = Aᵀ·M·A + bias    4x4 outputs per tile
 * and for the filter gradient dU[ξ] = Σ V[ξ]ᵀ·(A·dY·Aᵀ)[ξ], dw = Gᵀ·dU·G.
 * `npm run bench:kernels` measures each against XNNPACK's direct convolution.
 *
 * The kernels run on the backend's own memory (wasmKernels.ts). Where that memory
 * cannot be found, or on any other backend, callers keep the direct convolution.
 */
import * as tf from '../core/tf.ts';
import { offsetOf, ourKernelsAvailable, registerWasmKernel, withTables } from './wasmKernels.ts';

const POSITIONS = 36;
const CONV = 'EcvaeWinogradConv';
const FILTER_GRAD = 'EcvaeWinogradFilterGrad';
const FILTER = 'EcvaeWinogradFilterTransform';
/**
 * Tiles per block: the block's V and M (or D) matrices, 36·4·(Ci+Co) bytes per tile, fill
 * about this much cache. Measured with `npm run bench:kernels` (docs/performance.md, Kernels).
 */
const BLOCK_BYTES = 256 * 1024;

/** Tiles per block for ci input and co output channels (a multiple of 4, at least 4). */
function blockTiles(ci: number, co: number, tiles: number): number {
  const fit = Math.max(4, Math.floor(BLOCK_BYTES / (36 * 4 * (ci + co)) / 4) * 4);
  return Math.min(fit, Math.ceil(tiles / 4) * 4);
}

/**
 * Where a convolution (forward or input gradient) pays off, measured with `npm run
 * bench:kernels` (the measurements: docs/performance.md, Kernels):
 *   - with U cached, every 32-channel-or-wider layer of the reference model wins even at
 *     batch 1, and 8 channels win from batch 16 (at batch 1 they are even);
 *   - without it the filter transform costs more: small layers lose, layers from about
 *     MIN_MACS_UNCACHED multiply-adds win;
 *   - RGB inputs (3 channels, padded to 4) lose either way, since the transforms of the
 *     wide side outweigh the tiny GEMMs; RGB outputs win.
 * The filter gradient wins at every measured size, RGB included, so it needs only the
 * shape (convFilterGrad).
 */
const MIN_MACS_CACHED = 2 ** 20;
const MIN_MACS_UNCACHED = 2 ** 23;
const MIN_CHANNELS = 8;

function registerKernels(): void {
  if (tf.getKernel(CONV, 'wasm')) return;
  registerWasmKernel(FILTER, ({ w }, attrs, b, k) => {
    const [, , ci, co] = w!.shape as [number, number, number, number];
    const flipped = Boolean(attrs.flipped);
    const u = Array.from({ length: POSITIONS }, () => b.makeOutput(flipped ? [co, ci] : [ci, co], 'float32'));
    withTables(b, u, k.filterScratchBytes(), (table, scratch) => k.filterTransform(offsetOf(b, w!), ci, co, flipped, table, scratch));
    return u;
  });
  registerWasmKernel(CONV, (inputs, attrs, b, k) => {
    const x = inputs.x!;
    const u = Array.from({ length: POSITIONS }, (_, i) => inputs[`u${i}`]!);
    const { pool, unpool } = attrs as { pool?: boolean; unpool?: boolean };
    const [n, h, w] = (unpool ? upsized(x.shape) : x.shape) as [number, number, number, number];
    const ci = x.shape[3]!;
    const co = u[0]!.shape[1]!;
    const { pt, pl, ho, wo, cy, leak } = attrs as Record<string, number>;
    const y = b.makeOutput(pool ? [n, ho! / 2, wo! / 2, cy!] : [n, ho!, wo!, cy!], 'float32');
    const tiles = blockTiles(ci, co, n * Math.ceil(ho! / 4) * Math.ceil(wo! / 4));
    const bias = inputs.bias ? offsetOf(b, inputs.bias) : 0;
    withTables(b, u, k.convScratchBytes(tiles, ci, co), (table, scratch) =>
      k.conv(
        offsetOf(b, x),
        n,
        h,
        w,
        ci,
        pt!,
        pl!,
        table,
        co,
        bias,
        offsetOf(b, y),
        cy!,
        ho!,
        wo!,
        Boolean(attrs.leakyInput),
        inputs.gate ? offsetOf(b, inputs.gate) : 0,
        leak ?? 1,
        Boolean(pool),
        Boolean(unpool),
        tiles,
        scratch,
      ),
    );
    return y;
  });
  registerWasmKernel(FILTER_GRAD, ({ x, dy }, attrs, b, k) => {
    const [n, h, w, ci] = x!.shape as [number, number, number, number];
    const unpool = Boolean(attrs.unpool);
    const [, ho, wo, co] = (unpool ? upsized(dy!.shape) : dy!.shape) as [number, number, number, number];
    const { pt, pl, leak } = attrs as Record<string, number>;
    const dw = b.makeOutput([3, 3, ci, co], 'float32');
    const tiles = blockTiles(ci, co, n * Math.ceil(ho / 4) * Math.ceil(wo / 4));
    withTables(b, [], k.filterGradScratchBytes(tiles, ci, co), (_, scratch) =>
      k.filterGrad(
        offsetOf(b, x!),
        offsetOf(b, dy!),
        n,
        h,
        w,
        ci,
        co,
        pt!,
        pl!,
        ho,
        wo,
        leak !== undefined,
        leak ?? 1,
        unpool,
        tiles,
        offsetOf(b, dw),
        scratch,
      ),
    );
    return dw;
  });
}

/** [B,2H,2W,C] of [B,H,W,C]: the size a tensor read as up2 (PoolFusion's `unpool`) stands for. */
const upsized = (s: readonly number[]): number[] => [s[0]!, 2 * s[1]!, 2 * s[2]!, s[3]!];

/** Whether the active backend can run Winograd convolutions at all. */
export function winogradAvailable(): boolean {
  if (!ourKernelsAvailable()) return false;
  registerKernels();
  return true;
}

function requireWinograd(): void {
  if (!winogradAvailable()) throw new Error(`Winograd convolution needs the wasm backend's memory; the backend is ${tf.getBackend()}.`);
}

/** Whether Winograd can run a convolution by filters [KH,KW,Ci,Co] at `stride` at all (any channel count). */
export function winogradShape(w: readonly number[], stride: number): boolean {
  return stride === 1 && w[0] === 3 && w[1] === 3 && winogradAvailable();
}

/**
 * Whether a convolution of x [B,H,W,Ci] by w [KH,KW,Ci,Co] to [B,Ho,Wo,Co] at `stride`
 * pays off with Winograd; `filterCached`: its filter transform is reused across calls.
 */
export function winogradSuits(x: readonly number[], w: readonly number[], out: readonly number[], stride: number, filterCached: boolean): boolean {
  const [kh, kw, ci, co] = w as [number, number, number, number];
  const macs = out[0]! * out[1]! * out[2]! * ci * co * kh * kw;
  // RGB outputs (a narrow side of 1-3 channels) pay from a wide input side: the GEMMs are
  // tiny, the output transform writes only the real channels.
  const wideEnough = ci >= MIN_CHANNELS && (co >= MIN_CHANNELS || ci >= 4 * MIN_CHANNELS);
  const shapeFits = x[3] === ci && ci % 4 === 0 && wideEnough && out[1]! > 0 && out[2]! > 0;
  return shapeFits && macs >= (filterCached ? MIN_MACS_CACHED : MIN_MACS_UNCACHED) && winogradShape(w, stride);
}

const roundUp4 = (n: number): number => Math.ceil(n / 4) * 4;

/** `t` with zero channels appended to its last axis up to `to`, or `t` itself where it has them. */
function padChannels<T extends tf.Tensor>(t: T, to: number): T {
  const pads = t.shape.map((d, i) => [0, i === t.rank - 1 ? to - d : 0] as [number, number]);
  return to === t.shape[t.rank - 1] ? t : (t.pad(pads) as T);
}

/**
 * U = G·g·Gᵀ for a 3x3 filter [3,3,Ci,Co]: 36 matrices [Ci,Co], by our WASM kernel
 * (from TF.js ops it was 36 small matMuls, each repacking an operand).
 * With `flipped`, the transform of the filter the input gradient convolves with
 * (spatially flipped, in/out swapped): 36 matrices [Co,Ci]. Channel counts are padded
 * with zeros to multiples of 4 (the kernels' SIMD width), e.g. an RGB layer's 3.
 */
export function winogradFilter(w: tf.Tensor4D, flipped = false): tf.Tensor2D[] {
  requireWinograd();
  const [, , ci, co] = w.shape;
  return tf.tidy(() => {
    const padded =
      ci % 4 || co % 4
        ? w.pad([
            [0, 0],
            [0, 0],
            [0, roundUp4(ci) - ci],
            [0, roundUp4(co) - co],
          ])
        : w;
    return tf.engine().runKernel(FILTER, { w: padded }, { flipped }) as unknown as tf.Tensor2D[];
  });
}

/**
 * A leaky ReLU (slope `leak` below 0) fused into a Winograd convolution, so that its
 * elementwise passes over the activation (TF.js: Step, Multiply, and Multiply again for
 * the gradient) are not run: `input`: convolve lrelu(x) instead of x (the transform
 * applies it as it reads x); `gate`: multiply the output by lrelu'(gate), which makes a
 * convolution's input gradient the gradient with respect to the lrelu's input.
 */
export interface LeakyFusion {
  leak: number;
  input?: boolean;
  gate?: tf.Tensor4D;
}

/**
 * A 2x2 average pool after a Winograd convolution, fused (the energy model's conv ->
 * avgpool; models/conv.ts): `pool`, the kernel writes the pooled output straight from
 * each 4x4 output tile (the full-size output is never made); `unpool`, it reads its input
 * x [B,H,W,C] as 0.25·up2(x) [B,2H,2W,C], the pool's gradient, so the input and filter
 * gradients of pool(conv(x)) take the pooled dy as it comes. Saves the AvgPool kernel
 * and the broadcast Multiply of its gradient, each a pass over a full-size activation.
 */
export interface PoolFusion {
  pool?: boolean;
  unpool?: boolean;
}

/**
 * conv2d(x, g) + bias at stride 1 with zero padding [top, bottom, left, right] (negative
 * amounts crop), given U = winogradFilter(g). Output [B, H+t+b-2, W+l+r-2, outChannels]
 * (g's output channels; U has them rounded up to a multiple of 4), or half that size
 * with `pool` (H, W: x's size, doubled with `unpool`).
 */
export function winogradConv2d(
  x: tf.Tensor4D,
  u: tf.Tensor2D[],
  bias: tf.Tensor1D | null,
  pads: [number, number, number, number],
  outChannels = u[0]!.shape[1],
  fused?: LeakyFusion,
  pooling: PoolFusion = {},
): tf.Tensor4D {
  const [, h, w] = pooling.unpool ? upsized(x.shape) : x.shape;
  const [pt, pb, pl, pr] = pads;
  const [ci4, co4] = u[0]!.shape;
  requireWinograd();
  return tf.tidy(() => {
    const inputs: tf.NamedTensorMap = { x: padChannels(x, ci4) };
    if (bias) inputs.bias = padChannels(bias, co4);
    if (fused?.gate) inputs.gate = fused.gate;
    u.forEach((ui, i) => (inputs[`u${i}`] = ui));
    const [ho, wo] = [h! + pt + pb - 2, w! + pl + pr - 2];
    if (pooling.pool && (ho % 2 || wo % 2)) throw new Error(`internal: Winograd convolution: a fused 2x2 pool needs an even output size, got ${ho}x${wo}.`);
    // The kernels read an unpooled input without the input's lrelu and write a pooled output without the gate.
    if ((pooling.pool && fused?.gate) || (pooling.unpool && fused?.input))
      throw new Error('internal: Winograd convolution: pool takes no gate, unpool no input lrelu.');
    const attrs = {
      pt,
      pl,
      ho,
      wo,
      cy: outChannels,
      leakyInput: Boolean(fused?.input),
      ...(fused ? { leak: fused.leak } : {}),
      pool: Boolean(pooling.pool),
      unpool: Boolean(pooling.unpool),
    };
    return tf.engine().runKernel(CONV, inputs, attrs) as tf.Tensor4D;
  });
}

/**
 * The gradient with respect to g [3,3,Ci,Co] of y = conv2d(x, g) at stride 1 with zero
 * padding `pad` on every side, given dy [B,Ho,Wo,Co]; with `inputLeak`, of
 * y = conv2d(lrelu(x), g) (LeakyFusion's `input`); with `pooled`, of y = avgpool2(conv2d(..))
 * given its dy [B,Ho/2,Wo/2,Co] (PoolFusion).
 */
export function winogradFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, pad: number, inputLeak?: number, pooled = false): tf.Tensor4D {
  requireWinograd();
  const ci = x.shape[3],
    co = dy.shape[3];
  return tf.tidy(() => {
    const attrs = { pt: pad, pl: pad, ...(inputLeak !== undefined ? { leak: inputLeak } : {}), unpool: pooled };
    const dw = tf.engine().runKernel(FILTER_GRAD, { x: padChannels(x, roundUp4(ci)), dy: padChannels(dy, roundUp4(co)) }, attrs) as tf.Tensor4D;
    return ci % 4 || co % 4 ? dw.slice([0, 0, 0, 0], [-1, -1, ci, co]) : dw;
  });
}
