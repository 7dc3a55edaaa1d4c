/**
 * `ecvae eval`: sample-quality metrics suited to the data.
 *  - 2-D (25 Gaussians): hqRatio, modes (of 25), reverseKL.
 *  - MNIST / Fashion-MNIST: fd (domain-feature Fréchet distance on our own classifier's
 *    features; NOT Inception FID), precision, recall (k-NN, k = 3), reconMse (held-out).
 *  - Image folders: reconMse on the training images (no feature classifier exists for them).
 */
import { UserError } from '../../runLayout/errors.ts';
import { gather, loadDataset } from '../data/index.ts';
import { drawAsync, drawSamples } from '../algorithm/sample.ts';
import { runSteps, runStepsAsync, type Steps } from '../core/cancel.ts';
import * as tf from '../core/tf.ts';
import type { TrainedModel } from '../store/trainedModel.ts';
import { classifierFeatures, FEATURE_DIM, loadClassifier } from './classifier.ts';
import { frechetDistance, precisionRecallSteps } from './features.ts';
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

function* features(params: Parameters<typeof classifierFeatures>[0], x: tf.Tensor): Steps<Float32Array> {
  const n = x.shape[0]!;
  const out = new Float32Array(n * FEATURE_DIM);
  for (let i = 0; i < n; i += CHUNK) {
    const m = Math.min(CHUNK, n - i);
    out.set(
      tf.tidy(() => classifierFeatures(params, x.slice(i, m) as tf.Tensor4D).dataSync() as Float32Array),
      i * FEATURE_DIM,
    );
    yield;
  }
  return out;
}

function* reconMse(m: TrainedModel, x: tf.Tensor): Steps<number> {
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
    yield;
  }
  return sum / n;
}

function checkN(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > EVAL_MAX_N)
    throw new UserError('request', `Evaluation takes 1 to ${EVAL_MAX_N.toLocaleString('en-US')} samples (got ${n}); its time grows with the square of n.`);
}

/** `onSamples` sees the evaluated samples before they are released (compare writes its pictures from them). */
export function evaluate(m: TrainedModel, o: EvalOptions, onSamples?: (x: tf.Tensor) => void): EvalResult {
  checkN(o.n);
  const { x, seconds } = drawSamples(m, o.n, o.mcmcSteps, o.seed);
  return runSteps(metricSteps(m, o, x, seconds, onSamples));
}

/**
 * `evaluate` for work served by the sidecar: the same samples and metrics, with `pause`
 * awaited between chunks of samples, Langevin steps and blocks of the metrics (pause
 * throws to cancel; nothing is left allocated).
 */
export async function evaluateAsync(m: TrainedModel, o: EvalOptions, pause: () => Promise<void>, onSamples?: (x: tf.Tensor) => void): Promise<EvalResult> {
  checkN(o.n);
  const d = await drawAsync(m, { n: o.n, seed: o.seed, mcmcSteps: o.mcmcSteps }, pause);
  const x = d.mcmc ?? d.oneStep;
  tf.dispose([d.z, ...(d.mcmc ? [d.oneStep] : [])]);
  return runStepsAsync(metricSteps(m, o, x, d.seconds, onSamples), pause);
}

/** The metrics of samples `x` (released at the end), yielding between chunks. */
function* metricSteps(
  m: TrainedModel,
  o: EvalOptions,
  x: tf.Tensor,
  seconds: { oneStep: number; mcmc?: number },
  onSamples?: (x: tf.Tensor) => void,
): Steps<EvalResult> {
  const data = m.config.data;
  const notes: string[] = [];
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
      const metrics: Record<string, number> = { reconMse: yield* reconMse(m, real) };
      if (data.kind !== 'mnist' && data.kind !== 'fashion-mnist') {
        const on = data.kind === 'folder' ? 'the training images' : 'the held-out images';
        notes.push(
          `Feature classifiers ship for mnist and fashion-mnist only, so no fd, precision or recall for ${data.kind} data: only reconMse (on ${on}) is reported.`,
        );
        return { ...base, metrics };
      }
      const cls = loadClassifier(data.kind);
      try {
        const fr = yield* features(cls.params, real);
        const ff = yield* features(cls.params, x);
        const pr = yield* precisionRecallSteps(fr, ff, FEATURE_DIM);
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
