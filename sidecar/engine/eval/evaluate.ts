/**
 * `ecvae eval`: sample-quality metrics suited to the data.
 *  - 2-D (25 Gaussians): hqRatio, modes (of 25), reverseKL.
 *  - MNIST / Fashion-MNIST: fd (domain-feature Fréchet distance on our own classifier's
 *    features; NOT Inception FID), precision, recall (k-NN, k = 3), reconMse (held-out).
 *  - Other images: reconMse (held-out, or the training images of a folder); no feature
 *    classifier exists for them.
 *  - Any images, when the user supplies an Inception network: fid (the Fréchet distance on
 *    its pool features, inception.ts), against the same real images.
 * `distances` says which network's features each Fréchet metric is measured on.
 */
import { UserError } from '../../runLayout/errors.ts';
import { gather, loadDataset } from '../data/index.ts';
import { drawAsync, drawSamples } from '../algorithm/sample.ts';
import type { McmcSpace } from '../algorithm/mcmcSpace.ts';
import { runSteps, runStepsAsync, type Steps } from '../core/cancel.ts';
import * as tf from '../core/tf.ts';
import type { TrainedModel } from '../store/trainedModel.ts';
import { classifierFeatures, FEATURE_DIM, loadClassifier } from './classifier.ts';
import { precisionRecallSteps } from './features.ts';
import { frechetDistance } from './frechet.ts';
import { gaussianMetrics } from './gaussians.ts';
import type { FeatureNet } from './inception.ts';

export interface EvalOptions {
  n: number;
  mcmcSteps: number;
  /** Where the MCMC runs (default "pixel"). */
  mcmcSpace?: McmcSpace;
  seed: number;
  /** A loaded Inception network (inception.ts): adds fid. The caller disposes it. */
  inception?: FeatureNet;
}

/** What a Fréchet metric is measured on. */
export type Distance =
  | { kind: 'fd-classifier'; classifier: string; features: number }
  | { kind: 'fid-inception'; model: string; output: string; input: [number, number]; features: number };

export interface EvalResult {
  sampler: 'one-step' | 'mcmc';
  /** With MCMC: where it ran. */
  mcmcSpace?: McmcSpace;
  n: number;
  metrics: Record<string, number>;
  /** For each Fréchet metric (fd, fid), the features it is measured on. */
  distances?: Record<string, Distance>;
  /** Sampling time only (not the metric computation). */
  secondsPerImage: number;
  notes: string[];
}

/** One line for reports: what a Fréchet metric is measured on. */
export function describeDistance(metric: string, d: Distance): string {
  return d.kind === 'fd-classifier'
    ? `${metric} (${d.kind}): Fréchet distance on the ${d.features}-d features of our own ${d.classifier} classifier`
    : `${metric} (${d.kind}): Fréchet distance on the ${d.features}-d "${d.output}" features of ${d.model} (input ${d.input.join('x')})`;
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

function check(m: TrainedModel, o: EvalOptions): void {
  const n = o.n;
  if (!Number.isInteger(n) || n < 1 || n > EVAL_MAX_N)
    throw new UserError('request', `Evaluation takes 1 to ${EVAL_MAX_N.toLocaleString('en-US')} samples (got ${n}); its time grows with the square of n.`);
  if (o.inception && m.model.dataShape.length !== 3)
    throw new UserError('request', `FID needs image data; ${m.config.data.kind} samples are points, measured by hqRatio and modes instead.`);
  // The Fréchet distance fits a covariance to each set.
  if (o.inception && n < 2) throw new UserError('request', 'FID needs at least 2 samples.');
}

/** Features [n, D] of images x through `net`, one batch at a time (D is known after the first). */
function* netFeatures(net: FeatureNet, x: tf.Tensor): Steps<{ f: Float32Array; d: number }> {
  const n = x.shape[0]!;
  let out: Float32Array | undefined;
  let d = 0;
  for (let i = 0; i < n; i += net.batch) {
    const m = Math.min(net.batch, n - i);
    const rows = tf.tidy(() => {
      const y = net.features(x.slice(i, m) as tf.Tensor4D);
      d = y.shape[1];
      return y.dataSync() as Float32Array;
    });
    out ??= new Float32Array(n * d);
    out.set(rows, i * d);
    yield;
  }
  return { f: out!, d };
}

/** `onSamples` sees the evaluated samples before they are released (compare writes its pictures from them). */
export function evaluate(m: TrainedModel, o: EvalOptions, onSamples?: (x: tf.Tensor) => void): EvalResult {
  check(m, o);
  const { x, seconds } = drawSamples(m, o.n, o.mcmcSteps, o.seed, o.mcmcSpace);
  return runSteps(metricSteps(m, o, x, seconds, onSamples));
}

/**
 * `evaluate` for work served by the sidecar: the same samples and metrics, with `pause`
 * awaited between chunks of samples, Langevin steps and blocks of the metrics (pause
 * throws to cancel; nothing is left allocated).
 */
export async function evaluateAsync(m: TrainedModel, o: EvalOptions, pause: () => Promise<void>, onSamples?: (x: tf.Tensor) => void): Promise<EvalResult> {
  check(m, o);
  const d = await drawAsync(m, { n: o.n, seed: o.seed, mcmcSteps: o.mcmcSteps, ...(o.mcmcSpace ? { mcmcSpace: o.mcmcSpace } : {}) }, pause);
  const x = d.mcmc ?? d.oneStep;
  tf.dispose([d.z, ...(d.mcmc ? [d.oneStep] : [])]);
  return runStepsAsync(metricSteps(m, o, x, d.seconds, onSamples), pause);
}

/** FID of samples `x` against `real` on the features of `net`, with notes on how comparable it is. */
function* fid(net: FeatureNet, real: tf.Tensor, x: tf.Tensor, on: string): Steps<{ fid: number; distance: Distance; notes: string[] }> {
  const fr = yield* netFeatures(net, real);
  const ff = yield* netFeatures(net, x);
  const [nr, nx] = [real.shape[0]!, x.shape[0]!];
  const notes = [
    `fid is the Fréchet distance on the ${fr.d}-d "${net.output}" features of ${net.model} (input ${net.size.join('x')}), between ${nx} samples and ${nr} of ${on}.`,
  ];
  if (fr.d !== 2048 || net.size[0] !== 299 || net.size[1] !== 299)
    notes.push('This network is not Inception-v3 at 299x299 with 2048-d pool features, so its fid is not comparable with published FID values.');
  if (Math.min(nr, nx) < fr.d)
    notes.push(`fid from fewer images per set than its ${fr.d} feature dimensions is biased upwards; published FIDs use 10,000 or 50,000 samples.`);
  return {
    fid: frechetDistance(fr.f, ff.f, fr.d),
    distance: { kind: 'fid-inception', model: net.model, output: net.output, input: net.size, features: fr.d },
    notes,
  };
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
    ...(o.mcmcSteps > 0 ? { mcmcSpace: o.mcmcSpace ?? 'pixel' } : {}),
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
      const distances: Record<string, Distance> = {};
      const on = data.kind === 'folder' ? 'the training images' : 'the held-out images';
      const withFid = function* () {
        if (!o.inception) return;
        const f = yield* fid(o.inception, real, x, on);
        metrics.fid = f.fid;
        distances.fid = f.distance;
        notes.push(...f.notes);
      };
      if (data.kind !== 'mnist' && data.kind !== 'fashion-mnist') {
        notes.push(
          `Feature classifiers ship for mnist and fashion-mnist only, so no fd, precision or recall for ${data.kind} data: reconMse (on ${on})${o.inception ? ' and fid' : ''} ${o.inception ? 'are' : 'is'} reported.`,
        );
        yield* withFid();
        return { ...base, metrics, ...(o.inception ? { distances } : {}) };
      }
      const cls = loadClassifier(data.kind);
      try {
        const fr = yield* features(cls.params, real);
        const ff = yield* features(cls.params, x);
        const pr = yield* precisionRecallSteps(fr, ff, FEATURE_DIM);
        Object.assign(metrics, { fd: frechetDistance(fr, ff, FEATURE_DIM), precision: pr.precision, recall: pr.recall });
        distances.fd = { kind: 'fd-classifier', classifier: data.kind, features: FEATURE_DIM };
        notes.push(
          `fd is a domain-feature Fréchet distance on the features of our own ${data.kind} classifier (test accuracy ${(100 * cls.meta.testAccuracy).toFixed(1)}%), not Inception FID; compare it only with other runs measured the same way.`,
        );
      } finally {
        Object.values(cls.params).forEach((t) => t.dispose());
      }
      yield* withFid();
      return { ...base, metrics, distances };
    } finally {
      real.dispose();
    }
  } finally {
    x.dispose();
  }
}
