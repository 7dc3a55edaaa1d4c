/**
 * Our WASM kernels (sidecar/kernels/assembly/) on the TF.js WASM backend: which build
 * loads (relaxed SIMD where the runtime has it, else plain SIMD), its instance on each
 * backend's own WebAssembly.Memory (so kernels read and write tensors in place), and
 * registering TF.js kernels that call it. Its users: winograd.ts, convNarrow.ts,
 * energyHead.ts, langevin.ts, rowNoise.ts.
 */
import v8 from 'node:v8';
import * as tf from '../core/tf.ts';
import { WASM_KERNELS_RELAXED_BASE64, WASM_KERNELS_SIMD_BASE64 } from './wasm-kernels.generated.ts';

/** The exports of the kernel module, sidecar/kernels/assembly/index.ts. */
export interface WasmKernels {
  /** C[M,N] (+)= A·B (gemm.ts); A's element (m, k) at a + 4·(m·sam + k·sak). */
  gemm(a: number, sam: number, sak: number, b: number, ldb: number, c: number, ldc: number, m: number, k: number, n: number, acc: boolean): void;
  conv(
    x: number,
    b: number,
    h: number,
    w: number,
    ci: number,
    pt: number,
    pl: number,
    uPtrs: number,
    co: number,
    bias: number,
    y: number,
    cy: number,
    ho: number,
    wo: number,
    leaky: boolean,
    gate: number,
    alpha: number,
    pool: boolean,
    up: boolean,
    tiles: number,
    scratch: number,
  ): void;
  filterGrad(
    x: number,
    dy: number,
    b: number,
    h: number,
    w: number,
    ci: number,
    co: number,
    pt: number,
    pl: number,
    ho: number,
    wo: number,
    leaky: boolean,
    alpha: number,
    up: boolean,
    tiles: number,
    dw: number,
    scratch: number,
  ): void;
  filterTransform(w: number, ci: number, co: number, flipped: boolean, uPtrs: number, scratch: number): void;
  /** rows x size N(0, std²) floats at out, row r from the u32 seed at seeds + 4r (noise.ts; scratch: 64 bytes). */
  normalRows(out: number, rows: number, size: number, seeds: number, std: number, scratch: number): void;
  /** 3x3 "same" convolution with a narrow side (narrow.ts): forward, and the input gradient from wᵀ [Co, 9C rounded up to 4]. */
  narrowConv(x: number, b: number, h: number, w: number, c: number, filter: number, co: number, bias: number, y: number, scratch: number): void;
  narrowConvGrad(dy: number, b: number, h: number, w: number, co: number, wt: number, c: number, dx: number, scratch: number): void;
  narrowScratchBytes(h: number, w: number, c: number): number;
  /** The energy's head, forward (e and z) and its gradient with respect to h (head.ts; scratch: 4·(C + H) bytes). */
  headForward(
    h: number,
    b: number,
    p: number,
    c: number,
    w1: number,
    b1: number,
    hidden: number,
    w2: number,
    b2: number,
    alpha: number,
    invTau: number,
    e: number,
    z: number,
    scratch: number,
  ): void;
  headBackward(
    h: number,
    z: number,
    de: number,
    b: number,
    p: number,
    c: number,
    w1: number,
    hidden: number,
    w2: number,
    alpha: number,
    invTau: number,
    dh: number,
    scratch: number,
  ): void;
  /** One SGLD step after the energy's gradient (langevin.ts; scratch: 64 bytes). */
  langevinStep(
    x: number,
    g: number,
    cs: number,
    drift: number,
    rows: number,
    size: number,
    w: number,
    t: number,
    halfEta: number,
    std: number,
    seeds: number,
    outX: number,
    outDrift: number,
    scratch: number,
  ): void;
  convScratchBytes(tiles: number, ci: number, co: number): number;
  filterGradScratchBytes(tiles: number, ci: number, co: number): number;
  filterScratchBytes(): number;
}

/** The parts of tfjs-backend-wasm's BackendWasm these kernels use. */
export interface WasmBackendLike {
  wasm: { asm?: { memory?: unknown } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: object): boolean;
  getMemoryOffset(dataId: object): number;
  typedArrayFromHeap(t: tf.TensorInfo): Int32Array | Float32Array;
}

export type KernelVariant = 'relaxed' | 'simd';
let kernelsByBackend = new WeakMap<object, WasmKernels | null>();
const compiled = new Map<KernelVariant, WebAssembly.Module>();
let preferred: KernelVariant | 'auto' = 'auto';

/**
 * Whether this runtime loads relaxed SIMD. Node 22+ does; Node 20's V8 has it behind a
 * flag that a wasm compile reads when it runs, so it is set here before giving up.
 */
function relaxedSimdLoads(): boolean {
  const bytes = Buffer.from(WASM_KERNELS_RELAXED_BASE64, 'base64');
  if (WebAssembly.validate(bytes)) return true;
  try {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  return WebAssembly.validate(bytes);
}

let relaxedLoads: boolean | undefined;
/** The kernel build in use: relaxed SIMD (FMA) where the runtime loads it, else plain SIMD. */
export function kernelVariant(): KernelVariant {
  if (preferred !== 'auto') return preferred;
  relaxedLoads ??= relaxedSimdLoads();
  return relaxedLoads ? 'relaxed' : 'simd';
}

/**
 * Chooses the kernel build ('auto': the fastest that loads) for the kernel calls from
 * here on; benches and tests use it to compare the two builds.
 */
export function useKernelVariant(v: KernelVariant | 'auto'): void {
  if (v === 'relaxed' && !(relaxedLoads ??= relaxedSimdLoads())) throw new Error('This runtime cannot load relaxed-SIMD WebAssembly.');
  preferred = v;
  kernelsByBackend = new WeakMap();
}

function moduleOf(v: KernelVariant): WebAssembly.Module {
  let m = compiled.get(v);
  if (!m) {
    m = new WebAssembly.Module(Buffer.from(v === 'relaxed' ? WASM_KERNELS_RELAXED_BASE64 : WASM_KERNELS_SIMD_BASE64, 'base64'));
    compiled.set(v, m);
  }
  return m;
}

/** The kernels on `backend`'s memory, or null where they cannot run there (exported for tests). */
export function kernelsOf(backend: Pick<WasmBackendLike, 'wasm'>): WasmKernels | null {
  let k = kernelsByBackend.get(backend);
  if (k === undefined) {
    const memory = backend.wasm?.asm?.memory;
    k = null;
    if (memory instanceof WebAssembly.Memory) {
      try {
        k = new WebAssembly.Instance(moduleOf(kernelVariant()), { env: { memory } }).exports as unknown as WasmKernels;
      } catch {
        k = null; // e.g. the threaded build's shared memory: keep the direct convolution
      }
    }
    kernelsByBackend.set(backend, k);
  }
  return k;
}

/** Whether our kernels run on the active backend: the WASM backend, on memory they can use. */
export function ourKernelsAvailable(): boolean {
  return tf.getBackend() === 'wasm' && kernelsOf(tf.backend() as unknown as WasmBackendLike) !== null;
}

export const offsetOf = (b: WasmBackendLike, t: tf.TensorInfo): number => b.getMemoryOffset(t.dataId);

/** Runs `f` with a temporary int32 table holding `values` (one unused slot when none) and a float scratch area. */
export function withInts(b: WasmBackendLike, values: readonly number[], scratchBytes: number, f: (table: number, scratch: number) => void): void {
  const table = b.makeOutput([Math.max(1, values.length)], 'int32');
  const scratch = b.makeOutput([Math.ceil(scratchBytes / 4)], 'float32');
  try {
    (b.typedArrayFromHeap(table) as Int32Array).set(values);
    f(offsetOf(b, table), offsetOf(b, scratch));
  } finally {
    b.disposeData(table.dataId);
    b.disposeData(scratch.dataId);
  }
}

/** withInts with the given tensors' addresses. */
export function withTables(b: WasmBackendLike, tensors: tf.TensorInfo[], scratchBytes: number, f: (table: number, scratch: number) => void): void {
  withInts(
    b,
    tensors.map((t) => offsetOf(b, t)),
    scratchBytes,
    f,
  );
}

type KernelBody = (
  inputs: Record<string, tf.TensorInfo | undefined>,
  attrs: Record<string, number | boolean>,
  b: WasmBackendLike,
  k: WasmKernels,
) => tf.TensorInfo | tf.TensorInfo[];

export function registerWasmKernel(kernelName: string, body: KernelBody): void {
  tf.registerKernel({
    kernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as unknown as WasmBackendLike;
      return body(inputs as Record<string, tf.TensorInfo>, attrs as Record<string, number | boolean>, b, kernelsOf(b)!);
    },
  });
}

/**
 * Identity on WASM without a copy: the result shares the input's buffer (refcounted, as
 * the backend's own Reshape does). TF.js calls Identity to keep every tensor a custom
 * gradient or the tape saves for the backward pass, and the backend's kernel copied each:
 * hundreds of copies per reference iteration.
 * Tensors are immutable and no kernel writes into its inputs, so sharing is safe.
 */
export function registerSharingIdentity(): void {
  const original = tf.getKernel('Identity', 'wasm');
  if (!original || (original as { shares?: boolean }).shares) return;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    kernelName: 'Identity',
    backendName: 'wasm',
    shares: true,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      if (x.dtype === 'string') return original.kernelFunc(args);
      (args.backend as unknown as { incRef(id: object): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  } as tf.KernelConfig);
}
