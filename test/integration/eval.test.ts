/** Evaluation metrics against known answers, and `ecvae eval` / `ecvae compare` end to end. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gaussianModes } from '../../sidecar/engine/data/gaussians.ts';
import { FEATURE_DIM, classifierLogits, loadClassifier } from '../../sidecar/engine/eval/classifier.ts';
import { precisionRecall, realisticRows } from '../../sidecar/engine/eval/features.ts';
import { frechetDistance } from '../../sidecar/engine/eval/frechet.ts';
import { gaussianMetrics } from '../../sidecar/engine/eval/gaussians.ts';
import { comparisonSvg } from '../../sidecar/engine/eval/picture.ts';
import { decodeImage } from '../../sidecar/engine/data/images.ts';
import { gather, loadDataset } from '../../sidecar/engine/data/index.ts';
import { normalStream } from '../../sidecar/engine/core/rng.ts';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { cli, lastJson, tempDir, useBackend } from '../helpers.ts';
import { writeTinyGraphModel } from '../graphModel.ts';

function gaussianCloud(n: number, d: number, seed: number, shift = 0, scale = 1): Float32Array {
  const g = normalStream(seed);
  return Float32Array.from({ length: n * d }, () => shift + scale * g());
}

test('25-Gaussian metrics: exact modes are all high quality and balanced; collapse and junk are penalised', () => {
  const modes = gaussianModes(0.4);
  const perfect = new Float32Array(modes.flatMap(([x, y]) => Array.from({ length: 40 }, () => [x, y]).flat()));
  const p = gaussianMetrics(perfect, 0.4);
  assert.equal(p.hqRatio, 1);
  assert.equal(p.modes, 25);
  assert.ok(Math.abs(p.reverseKL) < 1e-6);
  const collapsed = new Float32Array(Array.from({ length: 1000 }, () => [0.4, 0.4]).flat());
  const c = gaussianMetrics(collapsed, 0.4);
  assert.equal(c.modes, 1);
  assert.ok(Math.abs(c.reverseKL - Math.log(25)) < 1e-3, 'all mass on one mode: KL = log 25');
  const junk = new Float32Array(Array.from({ length: 100 }, () => [0.2, 0.2]).flat()); // between modes
  assert.equal(gaussianMetrics(junk, 0.4).hqRatio, 0);
});

test('Fréchet distance: ~0 for the same distribution, ||mean shift||^2 for a shift, matches the closed form for scaled Gaussians', () => {
  const d = 8;
  const a = gaussianCloud(4000, d, 1);
  const b = gaussianCloud(4000, d, 2);
  assert.ok(frechetDistance(a, b, d) < 0.1, 'two samples of N(0, I)');
  const shifted = gaussianCloud(4000, d, 3, 1);
  assert.ok(Math.abs(frechetDistance(a, shifted, d) - d) < 0.4, 'mean shift of 1 in each of 8 dims');
  // N(0, I) vs N(0, 4I): Tr(I + 4I - 2·2I) = d.
  const wide = gaussianCloud(4000, d, 4, 0, 2);
  assert.ok(Math.abs(frechetDistance(a, wide, d) - d) < 0.6);
});

test('precision/recall: high for matching sets, zero for disjoint ones, recall low under mode collapse', async () => {
  await useBackend('wasm');
  const d = 4;
  const real = gaussianCloud(500, d, 5);
  const same = gaussianCloud(500, d, 6);
  const pr = precisionRecall(real, same, d);
  assert.ok(pr.precision > 0.8 && pr.recall > 0.8, JSON.stringify(pr));
  const far = gaussianCloud(500, d, 7, 50);
  assert.deepEqual(precisionRecall(real, far, d), { precision: 0, recall: 0 });
  const collapsed = gaussianCloud(500, d, 8, 0, 0.05);
  const c = precisionRecall(real, collapsed, d);
  assert.ok(c.precision > 0.9 && c.recall < 0.3, JSON.stringify(c));
});

test('realisticRows marks the generated rows that count toward precision', async () => {
  await useBackend('wasm');
  const d = 4;
  const real = gaussianCloud(300, d, 5);
  // 200 rows like the data, then 100 far from it.
  const fake = new Float32Array([...gaussianCloud(200, d, 6), ...gaussianCloud(100, d, 7, 50)]);
  const mask = realisticRows(real, fake, d);
  assert.equal(mask.length, 300);
  assert.ok(mask.every((v) => v === 0 || v === 1));
  assert.ok(mask.slice(200).every((v) => v === 0));
  assert.ok(mask.slice(0, 200).reduce((a, b) => a + b, 0) > 160);
  assert.equal(mask.reduce((a, b) => a + b, 0) / 300, precisionRecall(real, fake, d).precision);
});

test('the shipped classifiers load and classify held-out digits', async () => {
  await useBackend('wasm');
  const { params, meta } = loadClassifier('mnist');
  assert.ok(meta.testAccuracy > 0.9, `recorded accuracy ${meta.testAccuracy}`);
  const ds = loadDataset({ kind: 'mnist', split: 'test', limit: 200, channels: 1, onBadImage: 'error', scale: 0.4, count: 100, hflip: false }, 0);
  const pred = tf.tidy(() =>
    classifierLogits(
      params,
      tf.tensor4d(
        gather(
          ds,
          Array.from({ length: 200 }, (_, i) => i),
        ),
        [200, 28, 28, 1],
      ),
    )
      .argMax(1)
      .dataSync(),
  );
  const acc = Array.from(pred).filter((p, i) => p === ds.labels![i]).length / 200;
  assert.ok(acc > 0.9, `accuracy on 200 held-out digits ${acc}`);
  assert.equal(FEATURE_DIM, 64);
  assert.ok(loadClassifier('fashion-mnist').meta.testAccuracy > 0.8);
});

test('the comparison picture embeds each image grid as a PNG and escapes its text', () => {
  const img = (v: number) => ({ values: new Float32Array(4 * 6 * 6).fill(v), n: 4 });
  const svg = comparisonSvg(
    'A <b> & "c"',
    [
      { title: 'data', caption: 'x < y', ...img(-1) },
      { title: 'EC-VAE', caption: 'FD 1.0', ...img(1) },
    ],
    [6, 6, 1],
  );
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, />A &lt;b&gt; &amp; &quot;c&quot;</);
  assert.match(svg, />x &lt; y</);
  const pngs = [...svg.matchAll(/href="data:image\/png;base64,([^"]+)"/g)].map((m) => decodeImage(Buffer.from(m[1]!, 'base64'), 'grid.png'));
  assert.equal(pngs.length, 2);
  // A 2x2 grid of 6x6 images with 2-pixel gutters: 18 x 18, white images in the second.
  assert.deepEqual([pngs[1]!.width, pngs[1]!.height], [18, 18]);
  const px = (k: number, x: number, y: number): number => pngs[k]!.data[(y * 18 + x) * 4]!;
  assert.deepEqual([px(0, 2, 2), px(1, 2, 2), px(1, 0, 0)], [0, 255, 32], 'image values -1 -> 0, 1 -> 255, gutter grey');
});

test('ecvae eval and compare end to end (25 Gaussians, MNIST) with their JSON contracts', () => {
  const dir = tempDir();
  const toy = join(dir, 'toy.ecvae.json');
  writeFileSync(
    toy,
    JSON.stringify({
      name: 'toy',
      data: { kind: 'gaussians25', count: 2000 },
      model: { hidden: 16, depth: 2, latentDim: 2 },
      training: { iterations: 30, batchSize: 32 },
      calibration: { sgldSteps: 2, sgldStepSize: 0.001 },
      logging: { every: 10, sampleEvery: 100, checkpointEvery: 30 },
    }),
  );
  const c = cli(['compare', toy, '--out', join(dir, 'cmp'), '--n', '500', '--mcmc-steps', '2', '--json']);
  assert.equal(c.status, 0, c.stderr);
  const report = lastJson(c.stdout) as { rows: { variant: string; sampler: string; metrics: Record<string, number> }[]; mainMetric: string };
  assert.equal(report.mainMetric, 'hqRatio');
  assert.deepEqual(
    report.rows.map((r) => `${r.variant} ${r.sampler}`),
    ['vae one-step', 'ecvae one-step', 'ecvae mcmc'],
  );
  for (const r of report.rows) for (const k of ['hqRatio', 'modes', 'reverseKL']) assert.equal(typeof r.metrics[k], 'number');
  for (const f of ['report.md', 'report.json', 'vae-one-step.png', 'ecvae-mcmc.png']) assert.ok(existsSync(join(dir, 'cmp', f)), f);
  assert.match(readFileSync(join(dir, 'cmp', 'report.md'), 'utf8'), /\| EC-VAE mcmc \|/);
  // One picture: data | VAE | EC-VAE one-step | EC-VAE + MCMC, each with its metrics under it.
  const svg = readFileSync(join(dir, 'cmp', 'comparison.svg'), 'utf8');
  assert.deepEqual(
    [...svg.matchAll(/font-weight="bold">([^<]+)</g)].map((m) => m[1]),
    ['data', 'VAE one-step', 'EC-VAE one-step', 'EC-VAE + 2 MCMC steps'],
  );
  const captions = [...svg.matchAll(/hqRatio (\d\.\d{3}) · (\d+)\/25 modes/g)].map((m) => [Number(m[1]), Number(m[2])]);
  assert.deepEqual(
    captions,
    report.rows.map((r) => [Number(r.metrics.hqRatio!.toFixed(3)), r.metrics.modes]),
  );
  assert.equal((svg.match(/<path fill=/g) ?? []).length, 4, 'one scatter per panel');

  const mnist = join(dir, 'mnist.ecvae.json');
  writeFileSync(
    mnist,
    JSON.stringify({
      data: { kind: 'mnist', limit: 64 },
      model: { kind: 'conv', width: 4, latentDim: 4, ebmHidden: 8 },
      training: { iterations: 10, batchSize: 16 },
      calibration: { sgldSteps: 2 },
      logging: { every: 5, sampleEvery: 100, checkpointEvery: 10 },
    }),
  );
  assert.equal(cli(['train', mnist, '--out', join(dir, 'm'), '--json']).status, 0);
  const e = cli(['eval', join(dir, 'm'), '--n', '100', '--json']);
  assert.equal(e.status, 0, e.stderr);
  const j = lastJson(e.stdout) as { metrics: Record<string, number>; notes: string[] };
  for (const k of ['fd', 'precision', 'recall', 'reconMse']) assert.equal(typeof j.metrics[k], 'number', k);
  assert.ok(j.notes.some((n) => /not Inception FID/.test(n)));
  assert.deepEqual((j as { distances?: unknown }).distances, { fd: { kind: 'fd-classifier', classifier: 'mnist', features: 64 } });

  // FID through a user-supplied graph model (a small generated one), beside fd.
  const inception = writeTinyGraphModel(join(dir, 'inception'), { inputShape: [-1, 75, 75, 3], dim: 16 });
  const f = cli(['eval', join(dir, 'm'), '--n', '100', '--inception', inception, '--json']);
  assert.equal(f.status, 0, f.stderr);
  const fj = lastJson(f.stdout) as { metrics: Record<string, number>; distances: Record<string, Record<string, unknown>>; notes: string[] };
  assert.ok(fj.metrics.fid! > 0 && Number.isFinite(fj.metrics.fid), `fid ${fj.metrics.fid}`);
  assert.equal(fj.metrics.fd, j.metrics.fd, 'the same samples and classifier: the same fd');
  assert.deepEqual(fj.distances.fid, { kind: 'fid-inception', model: join(inception, 'model.json'), output: 'pool_3', input: [75, 75], features: 16 });
  assert.equal(fj.distances.fd!.kind, 'fd-classifier');
  assert.ok(fj.notes.some((n) => /not comparable with published FID values/.test(n)));
  const text = cli(['eval', join(dir, 'm'), '--n', '100', '--inception', inception]);
  assert.match(text.stdout, /fid \(fid-inception\): Fréchet distance on the 16-d "pool_3" features of .*model\.json \(input 75x75\)/);
  assert.match(text.stdout, /fd \(fd-classifier\): Fréchet distance on the 64-d features of our own mnist classifier/);
  for (const [args, message] of [
    [['eval', join(dir, 'm'), '--inception', join(dir, 'nowhere')], /No Inception model at/],
    [['eval', join(dir, 'm'), '--inception', inception, '--inception-output', 'pool3'], /has no node "pool3"\. Its outputs: pool_3/],
    [['eval', join(dir, 'm'), '--inception-output', 'pool_3'], /give --inception too/],
    [['eval', join(dir, 'cmp', 'vae'), '--inception', inception], /FID needs image data/],
    [['compare', toy, '--out', join(dir, 'cmp2'), '--inception', inception], /FID needs image data/],
  ] as const) {
    const r = cli([...args, '--json']);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(String(lastJson(r.stdout).error), message);
  }
  assert.ok(!existsSync(join(dir, 'cmp2')), 'compare refused before it made its folder');
  const cf = cli(['compare', mnist, '--out', join(dir, 'cmp3'), '--iterations', '2', '--variants', 'vae', '--n', '20', '--inception', inception, '--json']);
  assert.equal(cf.status, 0, cf.stderr);
  const row = (lastJson(cf.stdout) as { rows: { metrics: Record<string, number>; distances: Record<string, { kind: string }> }[] }).rows[0]!;
  assert.deepEqual([typeof row.metrics.fid, row.distances.fid!.kind, row.distances.fd!.kind], ['number', 'fid-inception', 'fd-classifier']);
  const md = readFileSync(join(dir, 'cmp3', 'report.md'), 'utf8');
  assert.match(md, /- fid \(fid-inception\): Fréchet distance on the 16-d "pool_3" features/);
  assert.match(md, /- fd \(fd-classifier\)/);
  assert.match(readFileSync(join(dir, 'cmp3', 'comparison.svg'), 'utf8'), /FD [\d.]+ · FID [\d.]+ · precision/);
  const bad = cli(['eval', join(dir, 'missing'), '--json']);
  assert.equal(bad.status, 2);
  assert.match(String(lastJson(bad.stdout).error), /No such checkpoint or run folder/);
});
