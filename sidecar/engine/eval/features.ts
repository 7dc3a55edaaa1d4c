/**
 * Precision / recall of two feature sets with k-NN manifold estimates (Kynkäänniemi et
 * al., 2019). The Fréchet distance of two feature sets is in frechet.ts.
 */
import { runSteps, type Steps } from '../core/cancel.ts';
import * as tf from '../core/tf.ts';

/** Pairwise squared distances [n, m] between rows of a [n, d] and b [m, d], with TF.js ops. */
function pairwise(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const na = a.square().sum(1, true);
    const nb = b.square().sum(1, true).transpose();
    return na.add(nb).sub(tf.matMul(a, b.transpose()).mul(2)).relu() as tf.Tensor2D;
  });
}

/**
 * Rows of the query handled at once: memory is BLOCK x n distances instead of n x n (at
 * n = 10,000 the full matrix alone is 400 MB, and top-k copies it), so evaluation's
 * memory grows linearly in n.
 */
const BLOCK = 512;

/** Squared distance of each row of `a` to its k-th nearest other row of `a`. */
function* knnRadii(a: tf.Tensor2D, k: number): Steps<Float32Array> {
  const n = a.shape[0];
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += BLOCK) {
    const m = Math.min(BLOCK, n - i);
    out.set(
      tf.tidy(() => {
        const d = pairwise(a.slice(i, m), a);
        // k+1 smallest (the row itself is at distance 0), via top-k of the negated distances.
        const { values } = tf.topk(d.neg(), Math.min(k + 1, n));
        return values
          .slice([0, Math.min(k, n - 1)], [-1, 1])
          .neg()
          .reshape([-1])
          .dataSync() as Float32Array;
      }),
      i,
    );
    yield;
  }
  return out;
}

/** 1 for each row of `query` inside some ball (centre a row of `ref`, radius its k-NN distance), else 0. */
function* insideMask(query: tf.Tensor2D, ref: tf.Tensor2D, radii: Float32Array): Steps<Float32Array> {
  const n = query.shape[0];
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += BLOCK) {
    const m = Math.min(BLOCK, n - i);
    out.set(
      tf.tidy(
        () =>
          pairwise(query.slice(i, m), ref)
            .lessEqual(tf.tensor1d(radii).reshape([1, -1]))
            .cast('float32')
            .max(1)
            .dataSync() as Float32Array,
      ),
      i,
    );
    yield;
  }
  return out;
}

/** Share of rows of `query` inside the k-NN manifold of `ref` (`insideMask`'s mean). */
function* coverage(query: tf.Tensor2D, ref: tf.Tensor2D, radii: Float32Array): Steps<number> {
  const mask = yield* insideMask(query, ref, radii);
  return mask.reduce((a, b) => a + b, 0) / mask.length;
}

/**
 * Which generated rows count toward precision: 1 where a row of `fake` lies inside the
 * k-NN manifold of `real`. Its mean is `precisionRecall`'s precision.
 */
export function realisticRows(real: Float32Array, fake: Float32Array, d: number, k = 3): Float32Array {
  const r = tf.tensor2d(real, [real.length / d, d]);
  const f = tf.tensor2d(fake, [fake.length / d, d]);
  try {
    return runSteps(
      (function* () {
        return yield* insideMask(f, r, yield* knnRadii(r, k));
      })(),
    );
  } finally {
    tf.dispose([r, f]);
  }
}

/** Improved precision and recall (k = 3): realism of generated samples, coverage of the real data. */
export function precisionRecall(real: Float32Array, fake: Float32Array, d: number, k = 3): { precision: number; recall: number } {
  return runSteps(precisionRecallSteps(real, fake, d, k));
}

/** `precisionRecall`, yielding after each block of rows. */
export function* precisionRecallSteps(real: Float32Array, fake: Float32Array, d: number, k = 3): Steps<{ precision: number; recall: number }> {
  const r = tf.tensor2d(real, [real.length / d, d]);
  const f = tf.tensor2d(fake, [fake.length / d, d]);
  try {
    const precision = yield* coverage(f, r, yield* knnRadii(r, k));
    const recall = yield* coverage(r, f, yield* knnRadii(f, k));
    return { precision, recall };
  } finally {
    tf.dispose([r, f]);
  }
}
