/**
 * Our Fréchet distance against an independent implementation on the same features:
 * bench/fid_reference.py (numpy + scipy's sqrtm, the formula of pytorch-fid) under
 * Debian's /usr/bin/python3, to 1e-3 relative. Skipped, saying why, where that python
 * lacks scipy; the closed-form tests of test/unit/frechet.test.ts run everywhere.
 * The full check at Inception's sizes is `npm run bench:fid`.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { normalStream } from '../../sidecar/engine/core/rng.ts';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { gather, loadDataset } from '../../sidecar/engine/data/index.ts';
import { frechetDistance } from '../../sidecar/engine/eval/frechet.ts';
import { loadInception } from '../../sidecar/engine/eval/inception.ts';
import { scipyFid, scipyMissing } from '../../bench/fidReference.ts';
import { writeTinyGraphModel } from '../graphModel.ts';
import { tempDir, useBackend } from '../helpers.ts';

const skip = scipyMissing();

function check(a: Float32Array, b: Float32Array, d: number, what: string): void {
  const ours = frechetDistance(a, b, d);
  const ref = scipyFid(a, b, d);
  const rel = Math.abs(ours - ref.fid) / Math.abs(ref.fid);
  assert.ok(rel <= 1e-3, `${what}: ours ${ours}, scipy ${ref.fid} (relative error ${rel})`);
  // The same distance by LAPACK's SVD of the centred samples: free of sqrtm's round-off on singular products.
  const svd = Math.abs(ours - ref.fid_svd) / Math.abs(ref.fid_svd);
  assert.ok(svd <= 1e-6, `${what}: ours ${ours}, numpy SVD ${ref.fid_svd} (relative error ${svd})`);
}

test('Fréchet distance = pytorch-fid formula with scipy sqrtm, on graph-model features with singular covariances', { skip }, async () => {
  await useBackend('wasm');
  const net = loadInception({ path: writeTinyGraphModel(join(tempDir(), 'g'), { dim: 256, inputShape: [-1, 75, 75, 3], seed: 2 }) });
  const ds = loadDataset({ kind: 'mnist', split: 'test', limit: 300, channels: 1, onBadImage: 'error', scale: 0.4, count: 100, hflip: false }, 0);
  const features = (from: number, noise: number): Float32Array => {
    const x = gather(
      ds,
      Array.from({ length: 150 }, (_, i) => from + i),
    );
    const g = normalStream(from + 1);
    for (let i = 0; i < x.length; i++) x[i] = Math.max(-1, Math.min(1, x[i]! + noise * g()));
    return tf.tidy(() => net.features(tf.tensor4d(x, [150, 28, 28, 1])).dataSync() as Float32Array);
  };
  try {
    // 150 images per set, 256 features: the sample route, as Inception's 2048 from few images.
    check(features(0, 0), features(150, 0.3), 256, 'graph features, noisy digits');
  } finally {
    net.dispose();
  }
});

test('Fréchet distance = pytorch-fid formula with scipy sqrtm, on correlated features with full-rank covariances', { skip }, () => {
  const d = 48;
  const cloud = (n: number, seed: number, scale: number): Float32Array => {
    const g = normalStream(seed);
    const x = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      let acc = 0;
      for (let j = 0; j < d; j++) x[i * d + j] = acc = 0.8 * acc + scale * g() + 0.01 * j;
    }
    return x;
  };
  check(cloud(400, 1, 1), cloud(300, 2, 1.2), d, 'covariance route');
});
