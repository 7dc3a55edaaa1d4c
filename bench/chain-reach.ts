/**
 * What the calibration chain does on an image run: the training chain (the run's SGLD
 * settings, conditioned on its own start) run from held-out data and from one-step samples.
 * For each start it reports the energy before and after the chain, the mean drift ‖·‖ (the
 * energy's pull, noise left out), and FD / precision / recall in the shipped classifier's
 * features against other held-out images, before and after. If the energy's pull were
 * specific to samples, data would barely move while samples moved toward the data.
 * Two more readings say what the energy attends to: the correlation of each start's energy
 * with its mean pixel (the amount of ink), and the samples in four bins by their energy,
 * lowest first, with the share of each that counts toward precision before and after.
 * The samples and the chains' noise are drawn from --seed (default: the run's seed + 1, the
 * sampling seed of bench:calibration). Prints one JSON line.
 *   npm run bench:chain-reach -- <run folder or checkpoint> [--n 1000] [--steps K] [--seed S]
 */
import { parseArgs } from 'node:util';
import { selectBackend } from '../sidecar/engine/core/backend.ts';
import { loadDataset } from '../sidecar/engine/data/index.ts';
import { imageRows } from './imageRows.ts';
import { classifierFeatures, FEATURE_DIM, loadClassifier } from '../sidecar/engine/eval/classifier.ts';
import { frechetDistance } from '../sidecar/engine/eval/frechet.ts';
import { realisticRows } from '../sidecar/engine/eval/features.ts';
import * as tf from '../sidecar/engine/core/tf.ts';
import { loadTrained } from '../sidecar/engine/store/trainedModel.ts';
import { generate } from '../sidecar/engine/algorithm/sample.ts';
import { sgldChain, sgldOptions } from '../sidecar/engine/algorithm/sgld.ts';
import { inEvalMode } from '../sidecar/engine/models/buffers.ts';

console.log = console.error; // stdout carries the JSON line only
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { n: { type: 'string', default: '1000' }, steps: { type: 'string' }, seed: { type: 'string' } },
});
const run = positionals[0];
if (!run) throw new Error('usage: chain-reach <run folder or checkpoint> [--n 1000] [--steps K] [--seed S]');
await selectBackend('auto');
const m = loadTrained(run);
const kind = m.config.data.kind;
if (kind !== 'mnist' && kind !== 'fashion-mnist') throw new Error(`chain-reach needs an mnist or fashion-mnist run (this one models ${kind}).`);
if (!m.ebm) throw new Error(`${run} is a plain VAE: it has no energy to run a chain on.`);
const ebm = m.ebm;
const steps = values.steps ? Number(values.steps) : m.config.calibration.sgldSteps;
const seed = values.seed ? Number(values.seed) : m.config.seed + 1;
const ds = loadDataset({ ...m.config.data, split: 'test' }, 0);
// The first n held-out images are the reference, the next n the data the chain starts from.
const n = Math.min(Number(values.n), Math.floor(ds.size / 2));
if (!Number.isInteger(n) || n < 10) throw new Error(`--n takes an integer of at least 10 (got ${values.n})`);
if (!Number.isInteger(steps) || steps < 1) throw new Error(`--steps takes a positive integer (got ${values.steps})`);
if (!Number.isInteger(seed)) throw new Error(`--seed takes an integer (got ${values.seed})`);
const rows = (a: number, b: number): tf.Tensor4D => imageRows(ds, a, b);

const cls = loadClassifier(kind);
const features = (x: tf.Tensor): Float32Array => tf.tidy(() => classifierFeatures(cls.params, x as tf.Tensor4D).dataSync() as Float32Array);
const ref = tf.tidy(() => features(rows(0, n)));
const quality = (x: tf.Tensor) => {
  const f = features(x);
  // precisionRecall's two coverages, kept per row for the energy bins: precision is the share
  // of generated rows inside the data's k-NN manifold, recall the share of data rows inside theirs.
  const realistic = realisticRows(ref, f, FEATURE_DIM);
  return { fd: frechetDistance(f, ref, FEATURE_DIM), precision: mean(realistic), recall: mean(realisticRows(f, ref, FEATURE_DIM)), realistic };
};
const energy = (x: tf.Tensor): tf.Tensor1D => inEvalMode(() => m.model.energy(ebm, x));
const meanOf = (f: () => tf.Tensor): number => tf.tidy(() => f().mean().dataSync()[0]!);

/** The chain from `start`, and what it changed. */
function reach(start: tf.Tensor) {
  const r = sgldChain(energy, start, start, sgldOptions(m.config, steps, seed));
  // The samplers keep pixels in [-1, 1]; the chain's end is scored as a sampler would return it.
  const end = tf.tidy(() => r.x.clipByValue(-1, 1));
  const { realistic, ...before } = quality(start);
  const after = quality(end);
  const e = tf.tidy(() => energy(start).dataSync() as Float32Array);
  const ink = tf.tidy(() => start.mean([1, 2, 3]).dataSync() as Float32Array);
  const out = {
    energy: mean(e),
    energyAfter: meanOf(() => energy(r.x)),
    drift: meanOf(() => r.drift.square().sum([1, 2, 3]).sqrt()),
    inkCorrelation: correlation(e, ink),
    ...before,
    fdAfter: after.fd,
    precisionAfter: after.precision,
    recallAfter: after.recall,
    byEnergy: energyBins(e, realistic, after.realistic),
  };
  tf.dispose([r.x, r.drift, end]);
  return out;
}

function mean(a: ArrayLike<number>, rows: number[] = Array.from(a, (_, i) => i)): number {
  return rows.reduce((s, i) => s + a[i]!, 0) / rows.length;
}

/** Pearson correlation of two equally long series. */
function correlation(a: Float32Array, b: Float32Array): number {
  const [ma, mb] = [mean(a), mean(b)];
  let [ab, aa, bb] = [0, 0, 0];
  for (let i = 0; i < a.length; i++) {
    ab += (a[i]! - ma) * (b[i]! - mb);
    aa += (a[i]! - ma) ** 2;
    bb += (b[i]! - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

/** The rows in four bins by energy, lowest first: each bin's mean energy and its share of rows that count toward precision, before and after. */
function energyBins(e: Float32Array, realistic: Float32Array, realisticAfter: Float32Array) {
  const order = Array.from(e, (_, i) => i).sort((i, j) => e[i]! - e[j]!);
  return [0, 1, 2, 3].map((q) => {
    const rows = order.slice(Math.round((q * order.length) / 4), Math.round(((q + 1) * order.length) / 4));
    return { energy: mean(e, rows), realistic: mean(realistic, rows), realisticAfter: mean(realisticAfter, rows) };
  });
}

const data = rows(n, 2 * n);
const samples = generate(m.model, m.vae, n, seed);
const onData = reach(data);
const onSamples = reach(samples);
tf.dispose([data, samples]);
m.dispose();
process.stdout.write(
  JSON.stringify({
    run,
    iteration: m.iteration,
    n,
    steps,
    energyGap: onSamples.energy - onData.energy,
    driftRatio: onSamples.drift / onData.drift,
    data: onData,
    samples: onSamples,
  }) + '\n',
);
