/**
 * Restoration evidence on held-out MNIST digits, per energy weight and task
 * (inpaint-center, inpaint-half, sr4, denoise with sigma 0.2):
 *  - psnr, ssim against the clean digit;
 *  - fd: Fréchet distance of the restorations to the other held-out digits (or `--ref` of them),
 *    in the shipped classifier's features (eval/features.ts; not Inception FID);
 *  - accuracy: the shipped classifier's accuracy on the restorations, against the clean
 *    digit's label.
 * Prints one JSON line per energy weight (with the baselines and time), a line with the
 * floor (clean digits and the A+ y baseline measured the same way) and ends with
 * {"rows": [{task, energyWeight, psnr, ssim, fd, accuracy}, ...]}.
 *   npm run bench:restore -- <checkpoint|run-folder> [--n 200] [--ref N] [--steps 50] [--step-size 0.0002]
 *     [--sigma 0.1] [--noise-scale 1] [--seed 0] [--energy-weights 0,1,10]
 */
import { parseArgs } from 'node:util';
import { selectBackend } from '../sidecar/engine/core/backend.ts';
import { loadDataset } from '../sidecar/engine/data/index.ts';
import { imageRows } from './imageRows.ts';
import { restoreTask } from '../sidecar/engine/restore/restoreTask.ts';
import { RESTORE_DEFAULTS } from '../sidecar/engine/restore/restore.ts';
import { classifierFeatures, classifierLogits, FEATURE_DIM, loadClassifier } from '../sidecar/engine/eval/classifier.ts';
import { frechetDistance } from '../sidecar/engine/eval/frechet.ts';
import * as tf from '../sidecar/engine/core/tf.ts';
import { loadTrained } from '../sidecar/engine/store/trainedModel.ts';

console.log = console.error;
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    n: { type: 'string', default: '200' },
    ref: { type: 'string' },
    steps: { type: 'string' },
    'step-size': { type: 'string' },
    sigma: { type: 'string' },
    'noise-scale': { type: 'string' },
    seed: { type: 'string' },
    'energy-weights': { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    json: { type: 'boolean' },
  },
});
const ck = positionals[0];
if (!ck) throw new Error('usage: restore-mnist <checkpoint|run-folder> [--n 200] [--energy-weights 0,1,10]');
await selectBackend(values.backend as 'auto');
const m = loadTrained(ck);
const kind = m.config.data.kind;
if (kind !== 'mnist' && kind !== 'fashion-mnist') throw new Error(`restore-mnist needs an mnist or fashion-mnist model (this one models ${kind}).`);
const n = Number(values.n);
// The first n held-out digits are restored; the next nRef (default: all the others) are the reference for fd.
const ds = loadDataset({ ...m.config.data, split: 'test' }, 0);
const nRef = values.ref ? Number(values.ref) : ds.size - n;
if (ds.size < n + nRef || nRef < 2) throw new Error(`only ${ds.size} held-out digits; ask for fewer (--n ${n}, --ref ${nRef}).`);
const rows = (a: number, b: number): tf.Tensor4D => imageRows(ds, a, b);
const x = rows(0, n);
const labels = ds.labels!.subarray(0, n);
const cls = loadClassifier(kind);
const features = (t: tf.Tensor4D): Float32Array => tf.tidy(() => classifierFeatures(cls.params, t).dataSync() as Float32Array);
const refFeatures = tf.tidy(() => features(rows(n, n + nRef)));
const scoreSet = (t: tf.Tensor4D): { fd: number; accuracy: number } => {
  const pred = Array.from(tf.tidy(() => classifierLogits(cls.params, t).argMax(1).dataSync()));
  const correct = pred.reduce((a, p, i) => a + (p === labels[i] ? 1 : 0), 0);
  return { fd: frechetDistance(features(t), refFeatures, FEATURE_DIM), accuracy: correct / n };
};

const opts = {
  ...RESTORE_DEFAULTS,
  ...(values.steps ? { steps: Number(values.steps) } : {}),
  ...(values['step-size'] ? { stepSize: Number(values['step-size']) } : {}),
  ...(values.sigma ? { dataSigma: Number(values.sigma) } : {}),
  ...(values['noise-scale'] ? { noiseScale: Number(values['noise-scale']) } : {}),
  ...(values.seed ? { seed: Number(values.seed) } : {}),
};
const weights = values['energy-weights'] ? values['energy-weights'].split(',').map(Number) : [opts.energyWeight];
const tasks = [
  { name: 'inpaint-center', task: 'inpaint' as const, mask: 'center' },
  { name: 'inpaint-half', task: 'inpaint' as const, mask: 'half' },
  { name: 'sr4', task: 'sr' as const, factor: 4 },
  { name: 'denoise', task: 'denoise' as const, sigma: 0.2 },
];

interface Row {
  task: string;
  energyWeight: number;
  psnr: number;
  ssim: number;
  fd: number;
  accuracy: number;
}
const table: Row[] = [];
const floor: Record<string, unknown> = { clean: scoreSet(x) };
for (const energyWeight of weights) {
  const results: Record<string, unknown> = {};
  for (const t of tasks) {
    const r = await restoreTask(m, { ...t, clean: x, options: { ...opts, energyWeight } });
    const s = scoreSet(r.output);
    floor[t.name] ??= Object.fromEntries(Object.entries(r.baselines).map(([k, b]) => [k, scoreSet(b)]));
    results[t.name] = { psnr: r.report.psnr, ssim: r.report.ssim, ...s, baselines: r.report.baselines, secondsPerImage: r.report.secondsPerImage };
    table.push({ task: t.name, energyWeight, psnr: r.report.psnr!, ssim: r.report.ssim!, ...s });
    r.dispose();
  }
  process.stdout.write(JSON.stringify({ checkpoint: m.file, iteration: m.iteration, n, ref: nRef, options: { ...opts, energyWeight }, results }) + '\n');
}
process.stdout.write(JSON.stringify({ floor }) + '\n');
process.stdout.write(JSON.stringify({ rows: table }) + '\n');
