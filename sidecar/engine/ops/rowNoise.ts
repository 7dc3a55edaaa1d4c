/**
 * The SGLD chains' noise (sgld.ts): N(0, std²) values of `shape` whose row i is drawn
 * with seed deriveSeed(seed, step, rowOffset + i), so a chain split across threads draws
 * exactly the rows a single-process chain would.
 *
 * On WASM our kernel (sidecar/kernels/assembly/noise.ts) draws the rows straight into the
 * new tensor's memory, 4 Box–Muller pairs per SIMD step in float32: the same integer
 * stream as rng.ts fillNormal, values within ~3e-5 of std of its (noise.ts says where
 * they differ most). Why: fillNormal (V8's float64 log, cos, sin per pair) was a visible
 * share of each SGLD step (docs/performance.md, Kernels). Elsewhere
 * fillNormal fills a Float32Array that TF.js copies in.
 */
import * as tf from '../core/tf.ts';
import { deriveSeed, fillNormal } from '../core/rng.ts';
import { kernelsOf, offsetOf, withInts, type WasmBackendLike } from './wasmKernels.ts';

const ROW_NOISE = 'EcvaeRowNoise';

interface RowNoiseAttrs {
  shape: number[];
  std: number;
  seed: number;
  step: number;
  rowOffset: number;
}

function fillRows(values: Float32Array, a: RowNoiseAttrs): void {
  const rows = a.shape[0]!,
    size = values.length / rows;
  rowSeeds(a.seed, a.step, a.rowOffset, rows).forEach((seed, i) => fillNormal(values, i * size, size, seed, a.std));
}

function registerRowNoise(): void {
  if (tf.getKernel(ROW_NOISE, 'wasm')) return;
  tf.registerKernel({
    kernelName: ROW_NOISE,
    backendName: 'wasm',
    kernelFunc: ({ attrs, backend }) => {
      const b = backend as unknown as WasmBackendLike;
      const a = attrs as unknown as RowNoiseAttrs;
      const out = b.makeOutput(a.shape, 'float32');
      const rows = a.shape[0]!;
      const k = kernelsOf(b);
      if (!k) {
        fillRows(b.typedArrayFromHeap(out) as Float32Array, a); // our kernels cannot run on this backend's memory
        return out;
      }
      withInts(b, rowSeeds(a.seed, a.step, a.rowOffset, rows), 64, (table, scratch) =>
        k.normalRows(offsetOf(b, out), rows, tf.util.sizeFromShape(a.shape) / rows, table, a.std, scratch),
      );
      return out;
    },
  });
}

/** The noise seeds of `rows` rows from rowOffset at chain step `step`, as int32 (the kernels read them as u32). */
export const rowSeeds = (seed: number, step: number, rowOffset: number, rows: number): number[] =>
  Array.from({ length: rows }, (_, i) => deriveSeed(seed, step, rowOffset + i) | 0);

/** The noise of chain step `step` for rows [rowOffset, rowOffset + shape[0]) of a batch (see the header). */
export function rowNoise(shape: number[], std: number, seed: number, step: number, rowOffset: number): tf.Tensor {
  const attrs: RowNoiseAttrs = { shape, std, seed, step, rowOffset };
  if (tf.getBackend() === 'wasm') {
    registerRowNoise();
    return tf.engine().runKernel(ROW_NOISE, {}, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  }
  const values = new Float32Array(tf.util.sizeFromShape(shape));
  fillRows(values, attrs);
  return tf.tensor(values, shape);
}
