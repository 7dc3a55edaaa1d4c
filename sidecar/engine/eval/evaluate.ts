/**
 * `ecvae eval`: sample-quality metrics suited to the data.
 *  - 2-D (25 Gaussians): hqRatio, modes (of 25), reverseKL.
 *  - MNIST / Fashion-MNIST: fd (domain-feature Fréchet distance on our own classifier's
 *    features; NOT Inception FID), precision, recall (k-NN, k = 3), reconMse (held-out).
 *  - Image folders: reconMse on the training images (no feature classifier exists for them).
 */
import { UserError } from '../core/errors.ts';
import { gather, loadDataset } from '../data/index.ts';
import { drawSamples } from '../algorithm/sample.ts';
import * as tf from '../core/tf.ts';
import type { TrainedModel } from '../store/trainedModel.ts';
import { classifierFeatures, FEATURE_DIM, loadClassifier } from './classifier.ts';
import { frechetDistance, precisionRecall } from './features.ts';
import { gaussianMetrics } from './gaussians.ts';

export interface EvalOptions {
  n: number;
  mcmcSteps: number;
  seed: number;
}

export interface EvalResult {
  sampler: 'one-step' | 'mcmc';
  n: number;
  metrics: Record<string, number>;
  /** Sampling time only (not the metric computation). */
  secondsPerImage: number;
  notes: string[];
}

const CHUNK = 250;

/**
 * The most samples one evaluation draws (the protocol's sample limit). Memory is linear
 * in n (features.ts compares in blocks of rows), time quadratic: k-NN precision and
 * recall compare every sample with every data point.
 */
export const EVAL_MAX_N = 10_000;

function features(params: Parameters<typeof classifierFeatures>[0], x: tf.Tensor): Float32Array {
  const n = x.shape[0]!;
  const out = new Float32Array(n * FEATURE_DIM);
  for (let i = 0; i < n; i += CHUNK) {
    const m = Math.min(CHUNK, n - i);
    out.set(
      tf.tidy(() => classifierFeatures(params, x.slice(i, m) as tf.Tensor4D).dataSync() as Float32Array),
      i * FEATURE_DIM,
    );
  }
  return out;
}

function reconMse(m: TrainedModel, x: tf.Tensor): number {
  let sum = 0;
  const n = x.shape[0]!;
  for (let i = 0; i < n; i += CHUNK) {
    const k = Math.min(CHUNK, n - i);
    sum += tf.tidy(() => {
      const b = x.slice(i, k);
      // Squared error in [0, 1] pixel units: ((a - b)/2)^2.
      return tf
        .squaredDifference(m.model.decode(m.vae, m.model.encode(m.vae, b).mu), b)
        .div(4)
        .mean([1, 2, 3])
        .sum()
        .dataSync()[0]!;
    });
  }
  return sum / n;
}

/** `onSamples` sees the evaluated samples before they are released (compare writes its pictures from them). */
export function evaluate(m: TrainedModel, o: EvalOptions, onSamples?: (x: tf.Tensor) => void): EvalResult {
  if (!Number.isInteger(o.n) || o.n < 1 || o.n > EVAL_MAX_N)
    throw new UserError('request', `Evaluation takes 1 to ${EVAL_MAX_N.toLocaleString('en-US')} samples (got ${o.n}); its time grows with the square of n.`);
  const data = m.config.data;
  const notes: string[] = [];
  const { x, seconds } = drawSamples(m, o.n, o.mcmcSteps, o.seed);
  const base = {
    sampler: (o.mcmcSteps > 0 ? 'mcmc' : 'one-step') as EvalResult['sampler'],
    n: o.n,
    secondsPerImage: (seconds.oneStep + (seconds.mcmc ?? 0)) / o.n,
    notes,
  };
  try {
    onSamples?.(x);
    if (data.kind === 'gaussians25') {
      const g = gaussianMetrics(x.dataSync() as Float32Array, data.scale);
      return { ...base, metrics: { hqRatio: g.hqRatio, modes: g.modes, reverseKL: g.reverseKL } };
    }
    const held = data.kind === 'folder' ? loadDataset(data, m.config.seed) : loadDataset({ ...data, split: 'test', limit: o.n }, m.config.seed);
    const real = tf.tensor(
      gather(
        held,
        Array.from({ length: Math.min(o.n, held.size) }, (_, i) => i),
      ),
      [Math.min(o.n, held.size), ...held.shape],
    );
    try {
      const metrics: Record<string, number> = { reconMse: reconMse(m, real) };
      if (data.kind !== 'mnist' && data.kind !== 'fashion-mnist') {
        const on = data.kind === 'folder' ? 'the training images' : 'the held-out images';
        notes.push(
          `Feature classifiers ship for mnist and fashion-mnist only, so no fd, precision or recall for ${data.kind} data: only reconMse (on ${on}) is reported.`,
        );
        return { ...base, metrics };
      }
      const cls = loadClassifier(data.kind);
      try {
        const fr = features(cls.params, real);
        const ff = features(cls.params, x);
        const pr = precisionRecall(fr, ff, FEATURE_DIM);
        Object.assign(metrics, { fd: frechetDistance(fr, ff, FEATURE_DIM), precision: pr.precision, recall: pr.recall });
        notes.push(
          `fd is a domain-feature Fréchet distance on the features of our own ${data.kind} classifier (test accuracy ${(100 * cls.meta.testAccuracy).toFixed(1)}%), not Inception FID; compare it only with other runs measured the same way.`,
        );
      } finally {
        Object.values(cls.params).forEach((t) => t.dispose());
      }
      return { ...base, metrics };
    } finally {
      real.dispose();
    }
  } finally {
    x.dispose();
  }
}
