/** Shared by the image benches (restore-mnist, chain-reach). */
import { gather, type Dataset } from '../sidecar/engine/data/index.ts';
import * as tf from '../sidecar/engine/core/tf.ts';

/** Rows [a, b) of an image dataset as one batch [b - a, height, width, channels]. */
export function imageRows(ds: Dataset, a: number, b: number): tf.Tensor4D {
  const idx = Array.from({ length: b - a }, (_, i) => a + i);
  return tf.tensor4d(gather(ds, idx), [b - a, ...(ds.shape as [number, number, number])]);
}
