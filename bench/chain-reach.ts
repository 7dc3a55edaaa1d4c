/**
 * What the calibration chain does on an image run: the training chain (the run's SGLD
 * settings, conditioned on its own start) run from held-out data and from one-step samples.
 * For each start it reports the energy before and after the chain, the mean drift ‖·‖ (the
 * energy's pull, noise left out), and FD / precision / recall in the shipped classifier's
 * features against other held-out images, before and after. If the energy's pull were
 * specific to samples, data would barely move while samples moved toward the data.
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
import { precisionRecall } from '../sidecar/engine/eval/features.ts';
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
const quality = (x: tf.Tensor): { fd: number; precision: number; recall: number } => {
  const f = features(x);
  return { fd: frechetDistance(f, ref, FEATURE_DIM), ...precisionRecall(ref, f, FEATURE_DIM) };
};
const energy = (x: tf.Tensor): tf.Tensor1D => inEvalMode(() => m.model.energy(ebm, x));
const meanOf = (f: () => tf.Tensor): number => tf.tidy(() => f().mean().dataSync()[0]!);

/** The chain from `start`, and what it changed. */
function reach(start: tf.Tensor) {
  const r = sgldChain(energy, start, start, sgldOptions(m.config, steps, seed));
  // The samplers keep pixels in [-1, 1]; the chain's end is scored as a sampler would return it.
  const end = tf.tidy(() => r.x.clipByValue(-1, 1));
  const before = quality(start);
  const after = quality(end);
  const out = {
    energy: meanOf(() => energy(start)),
    energyAfter: meanOf(() => energy(r.x)),
    drift: meanOf(() => r.drift.square().sum([1, 2, 3]).sqrt()),
    ...before,
    fdAfter: after.fd,
    precisionAfter: after.precision,
    recallAfter: after.recall,
  };
  tf.dispose([r.x, r.drift, end]);
  return out;
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
