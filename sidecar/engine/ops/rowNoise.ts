/**
 * The SGLD chains' noise (sgld.ts): N(0, std²) values of `shape` whose row i is drawn
 * with seed deriveSeed(seed, step, rowOffset + i), so a chain split across threads draws
 * exactly the rows a single-process chain would.
 *
 * On WASM the rows are drawn straight into the new tensor's memory by a kernel with no
 * inputs; elsewhere into a Float32Array that TF.js then copies in (on WASM that path
 * allocated and copied 196 KB per step for the 16 rows of a 2-thread reference chain).
 */
import * as tf from '../tf.ts';
import { deriveSeed, fillNormal } from '../rng.ts';
import type { WasmBackendLike } from './wasmKernels.ts';

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
  for (let i = 0; i < rows; i++) fillNormal(values, i * size, size, deriveSeed(a.seed, a.step, a.rowOffset + i), a.std);
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
      fillRows(b.typedArrayFromHeap(out) as Float32Array, a);
      return out;
    },
  });
}

/** The noise of chain step `step` for rows [rowOffset, rowOffset + shape[0]) of a batch (see the header). */
export function rowNoise(shape: number[], std: number, seed: number, step: number, rowOffset: number): tf.Tensor {
  const attrs: RowNoiseAttrs = { shape, std, seed, step, rowOffset };
  if (tf.getBackend() === 'wasm') {
    registerRowNoise();
    return tf.engine().runKernel(ROW_NOISE, {}, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  }
  const values = new Float32Array(shape.reduce((x, y) => x * y, 1));
  fillRows(values, attrs);
  return tf.tensor(values, shape);
}
