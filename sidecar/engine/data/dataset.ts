/** In-memory datasets, normalised to [-1, 1], and deterministic batching. */
import { deriveSeed, permutation, Stream, uniformStream } from '../core/rng.ts';

export interface Dataset {
  /** Human-readable description, e.g. "mnist (train, 9000 images 28x28x1)". */
  name: string;
  /** Shape of one example: [H, W, C] for images, [D] for vectors. */
  shape: number[];
  size: number;
  /** size x prod(shape) values in [-1, 1]. */
  x: Float32Array;
  labels?: Uint8Array;
  warnings: string[];
}

export const exampleSize = (d: Pick<Dataset, 'shape'>): number => d.shape.reduce((a, b) => a * b, 1);

/**
 * Indices of the batch for iteration t (1-based): epoch-wise permutations seeded by
 * (seed, epoch), so the batch of any iteration is known without replaying the run.
 */
export function batchIndices(n: number, batch: number, t: number, seed: number): Uint32Array {
  const perEpoch = Math.max(1, Math.floor(n / batch));
  const epoch = Math.floor((t - 1) / perEpoch);
  const k = (t - 1) % perEpoch;
  const perm = permutation(n, deriveSeed(seed, Stream.data, epoch));
  const out = new Uint32Array(batch);
  for (let i = 0; i < batch; i++) out[i] = perm[(k * batch + i) % n]!;
  return out;
}

/**
 * The training batch of iteration t: its examples, each image flipped left-right with
 * probability 1/2 when `hflip` is on. Seeded by (seed, t), so a resumed run sees the
 * same batches as an uninterrupted one.
 */
export function trainingBatch(d: Dataset, batch: number, t: number, seed: number, hflip: boolean): Float32Array {
  const x = gather(d, batchIndices(d.size, batch, t, seed));
  if (!hflip || d.shape.length !== 3) return x;
  const [h, w, c] = d.shape as [number, number, number];
  const u = uniformStream(deriveSeed(seed, Stream.augment, t));
  for (let i = 0; i < batch; i++) {
    if (u() >= 0.5) continue;
    for (let row = 0; row < h; row++) {
      const base = (i * h + row) * w * c;
      for (let j = 0; j < w >> 1; j++)
        for (let k = 0; k < c; k++) {
          const a = base + j * c + k,
            b = base + (w - 1 - j) * c + k;
          const tmp = x[a]!;
          x[a] = x[b]!;
          x[b] = tmp;
        }
    }
  }
  return x;
}

export function gather(d: Dataset, idx: ArrayLike<number>): Float32Array {
  const e = exampleSize(d);
  const out = new Float32Array(idx.length * e);
  for (let i = 0; i < idx.length; i++) {
    const k = idx[i]!;
    // A subarray past the end is empty and would leave zeros: an index bug must not pass as data.
    if (!Number.isInteger(k) || k < 0 || k >= d.size) throw new RangeError(`internal: example index ${k} outside the dataset's ${d.size}`);
    out.set(d.x.subarray(k * e, (k + 1) * e), i * e);
  }
  return out;
}
