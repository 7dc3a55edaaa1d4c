/**
 * Winograd F(4x4, 3x3) convolution for the WASM backend: 3x3 stride-1 convolutions (the
 * decoder's, and every EBM convolution inside the SGLD chains, forward and input
 * gradient) with 2.25 instead of 9 multiplies per output.
 *
 * Why: XNNPACK's direct convolution already runs at GEMM speed (~30 GFLOP/s per core,
 * near 128-bit WASM SIMD's peak), so only fewer multiplies make it faster. The pieces:
 *   U = G·g·Gᵀ           per filter: our WASM kernel writes 36 matrices [Ci, Co] (kept in a FilterCache scope)
 *   V = Bᵀ·d·B           per 6x6 input patch: our WASM kernel writes 36 matrices [tiles, Ci]
 *   M = V[ξ]·U[ξ]        36 plain tf.matMul calls (XNNPACK's GEMM)
 *   y = Aᵀ·M·A + bias    our WASM kernel again, 4x4 outputs per tile
 * Measured with `npm run bench:kernels` (WASM, 1 thread, batch 16, filter transform
 * cached): 32x32 32->32 10.1 -> 6.1 ms, 16x16 32->64 4.9 -> 2.1, 8x8 64->128 4.9 -> 1.7;
 * error ~5e-6 of the output's scale (float32).
 *
 * The transform kernels (sidecar/kernels/assembly/winograd.ts) are instantiated on the
 * backend's own WebAssembly.Memory, so they read and write tensors in place. Where that
 * memory cannot be found, or on any other backend, callers keep the direct convolution.
 */
import * as tf from '../tf.ts';
import { WINOGRAD_WASM_BASE64 } from './winograd-kernel.generated.ts';

interface TransformKernels {
  inputTransform(x: number, b: number, h: number, w: number, c: number, pt: number, pl: number, th: number, tw: number, vPtrs: number, scratch: number): void;
  outputTransform(mPtrs: number, bias: number, y: number, b: number, ho: number, wo: number, c: number, th: number, tw: number, scratch: number): void;
  filterTransform(w: number, ci: number, co: number, flipped: boolean, uPtrs: number, scratch: number): void;
  inputScratchBytes(): number;
  outputScratchBytes(): number;
  filterScratchBytes(): number;
}

/** The parts of tfjs-backend-wasm's BackendWasm these kernels use. */
interface WasmBackendLike {
  wasm: { asm?: { memory?: unknown } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: object): boolean;
  getMemoryOffset(dataId: object): number;
  typedArrayFromHeap(t: tf.TensorInfo): Int32Array | Float32Array;
}

const POSITIONS = 36;
const INPUT = 'EcvaeWinogradInput';
const OUTPUT = 'EcvaeWinogradOutput';
const FILTER = 'EcvaeWinogradFilter';
/**
 * Below these many multiply-adds the fixed costs outweigh the saving: 36 matMuls and 72
 * tensors (~0.15 ms), and where the filter transform is not cached, transforming it and
 * XNNPACK repacking the 36 fresh U matrices (~1 ms for 64x128 channels). Measured on
 * WASM, 1 thread: [1,32,32,32]->32 (9.4M) about breaks even with U cached;
 * [4,8,8,64]->128 (19M) wins 2x cached, loses uncached; [16,8,8,64]->128 wins either way.
 * Below 16 channels the transforms outweigh the GEMMs: [32,32,32,8]->8 loses at 19M.
 */
const MIN_MACS_CACHED = 2 ** 23;
const MIN_MACS_UNCACHED = 2 ** 25;
const MIN_CHANNELS = 16;

const kernelsByBackend = new WeakMap<object, TransformKernels | null>();
let compiled: WebAssembly.Module | undefined;

/** The transform kernels on `backend`'s memory, or null where they cannot run there (exported for tests). */
export function kernelsOf(backend: Pick<WasmBackendLike, 'wasm'>): TransformKernels | null {
  let k = kernelsByBackend.get(backend);
  if (k === undefined) {
    const memory = backend.wasm?.asm?.memory;
    k = null;
    if (memory instanceof WebAssembly.Memory) {
      try {
        compiled ??= new WebAssembly.Module(Buffer.from(WINOGRAD_WASM_BASE64, 'base64'));
        k = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as TransformKernels;
      } catch {
        k = null; // e.g. the threaded build's shared memory: keep the direct convolution
      }
    }
    kernelsByBackend.set(backend, k);
  }
  return k;
}

const offsetOf = (b: WasmBackendLike, t: tf.TensorInfo): number => b.getMemoryOffset(t.dataId);

/** Runs `f` with a temporary int32 table of the given tensors' addresses and a float scratch area. */
function withTables(b: WasmBackendLike, tensors: tf.TensorInfo[], scratchBytes: number, f: (table: number, scratch: number) => void): void {
  const table = b.makeOutput([tensors.length], 'int32');
  const scratch = b.makeOutput([scratchBytes / 4], 'float32');
  try {
    (b.typedArrayFromHeap(table) as Int32Array).set(tensors.map((t) => offsetOf(b, t)));
    f(offsetOf(b, table), offsetOf(b, scratch));
  } finally {
    b.disposeData(table.dataId);
    b.disposeData(scratch.dataId);
  }
}

type KernelBody = (
  inputs: Record<string, tf.TensorInfo | undefined>,
  attrs: Record<string, number | boolean>,
  b: WasmBackendLike,
  k: TransformKernels,
) => tf.TensorInfo | tf.TensorInfo[];

function registerWasmKernel(kernelName: string, body: KernelBody): void {
  tf.registerKernel({
    kernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as unknown as WasmBackendLike;
      return body(inputs as Record<string, tf.TensorInfo>, attrs as Record<string, number | boolean>, b, kernelsOf(b)!);
    },
  });
}

function registerKernels(): void {
  if (tf.getKernel(INPUT, 'wasm')) return;
  registerWasmKernel(FILTER, ({ w }, attrs, b, k) => {
    const [, , ci, co] = w!.shape as [number, number, number, number];
    const flipped = Boolean(attrs.flipped);
    const u = Array.from({ length: POSITIONS }, () => b.makeOutput(flipped ? [co, ci] : [ci, co], 'float32'));
    withTables(b, u, k.filterScratchBytes(), (table, scratch) => k.filterTransform(offsetOf(b, w!), ci, co, flipped, table, scratch));
    return u;
  });
  registerWasmKernel(INPUT, ({ x }, attrs, b, k) => {
    const [n, h, w, c] = x!.shape as [number, number, number, number];
    const { pt, pl, th, tw } = attrs as Record<string, number>;
    const v = Array.from({ length: POSITIONS }, () => b.makeOutput([n * th! * tw!, c], 'float32'));
    withTables(b, v, k.inputScratchBytes(), (table, scratch) => k.inputTransform(offsetOf(b, x!), n, h, w, c, pt!, pl!, th!, tw!, table, scratch));
    return v;
  });
  registerWasmKernel(OUTPUT, (inputs, attrs, b, k) => {
    const m = Array.from({ length: POSITIONS }, (_, i) => inputs[`m${i}`]!);
    const { n, ho, wo, th, tw } = attrs as Record<string, number>;
    const c = m[0]!.shape[1]!;
    const y = b.makeOutput([n!, ho!, wo!, c], 'float32');
    const bias = inputs.bias ? offsetOf(b, inputs.bias) : 0;
    withTables(b, m, k.outputScratchBytes(), (table, scratch) => k.outputTransform(table, bias, offsetOf(b, y), n!, ho!, wo!, c, th!, tw!, scratch));
    return y;
  });
}

/** Whether the active backend can run Winograd convolutions at all. */
export function winogradAvailable(): boolean {
  if (tf.getBackend() !== 'wasm') return false;
  registerKernels();
  return kernelsOf(tf.backend() as unknown as WasmBackendLike) !== null;
}

function requireWinograd(): void {
  if (!winogradAvailable()) throw new Error(`Winograd convolution needs the wasm backend's memory; the backend is ${tf.getBackend()}.`);
}

/**
 * Whether a convolution of x [B,H,W,Ci] by w [KH,KW,Ci,Co] to [B,Ho,Wo,Co] at `stride`
 * pays off with Winograd; `filterCached`: its filter transform is reused across calls.
 */
export function winogradSuits(x: readonly number[], w: readonly number[], out: readonly number[], stride: number, filterCached: boolean): boolean {
  const [kh, kw, ci, co] = w as [number, number, number, number];
  const macs = out[0]! * out[1]! * out[2]! * ci * co * kh * kw;
  const shapeFits =
    stride === 1 && kh === 3 && kw === 3 && x[3] === ci && ci % 4 === 0 && co % 4 === 0 && Math.min(ci, co) >= MIN_CHANNELS && out[1]! > 0 && out[2]! > 0;
  return shapeFits && macs >= (filterCached ? MIN_MACS_CACHED : MIN_MACS_UNCACHED) && winogradAvailable();
}

/**
 * U = G·g·Gᵀ for a 3x3 filter [3,3,Ci,Co]: 36 matrices [Ci,Co], by our WASM kernel
 * (from TF.js ops it took 1-5 ms per filter: 36 small matMuls each repack an operand).
 * With `flipped`, the transform of the filter the input gradient convolves with
 * (spatially flipped, in/out swapped): 36 matrices [Co,Ci].
 */
export function winogradFilter(w: tf.Tensor4D, flipped = false): tf.Tensor2D[] {
  requireWinograd();
  return tf.engine().runKernel(FILTER, { w }, { flipped }) as unknown as tf.Tensor2D[];
}

/**
 * conv2d(x, g) + bias at stride 1 with zero padding [top, bottom, left, right] (negative
 * amounts crop), given U = winogradFilter(g). Output [B, H+t+b-2, W+l+r-2, Co].
 */
export function winogradConv2d(x: tf.Tensor4D, u: tf.Tensor2D[], bias: tf.Tensor1D | null, pads: [number, number, number, number]): tf.Tensor4D {
  const [n, h, w] = x.shape;
  const [pt, pb, pl, pr] = pads;
  const ho = h + pt + pb - 2,
    wo = w + pl + pr - 2;
  const th = Math.ceil(ho / 4),
    tw = Math.ceil(wo / 4);
  requireWinograd();
  return tf.tidy(() => {
    const v = tf.engine().runKernel(INPUT, { x }, { pt, pl, th, tw }) as unknown as tf.Tensor2D[];
    const m: tf.NamedTensorMap = bias ? { bias } : {};
    v.forEach((vi, i) => (m[`m${i}`] = tf.matMul(vi, u[i]!)));
    return tf.engine().runKernel(OUTPUT, m, { n, ho, wo, th, tw }) as tf.Tensor4D;
  });
}
