/**
 * The paper's setting end to end at a tiny width: a paper32 run on a CIFAR-10 batch file
 * trains on two threads, checkpoints its buffers with its parameters, resumes to the
 * uninterrupted run's numbers, samples and evaluates from the CLI; `ecvae info --model` sizes the
 * networks; the example config refuses clearly without its data.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../sidecar/engine/config/config.ts';
import { train } from '../../sidecar/engine/jobs/run.ts';
import { cifar } from '../datasetFiles.ts';
import { cli, lastJson, tempDir, useBackend } from '../helpers.ts';

const dir = tempDir();
writeFileSync(
  join(dir, 'data_batch_1.bin'),
  cifar(
    24,
    Array.from({ length: 24 }, (_, i) => [i % 10]),
  ),
);

const config = () => {
  const r = parseConfig(
    JSON.stringify({
      seed: 3,
      data: { kind: 'cifar10', path: 'data_batch_1.bin', hflip: true },
      model: { kind: 'paper32', widthFactor: 1 / 32, latentDim: 8, temperature: 0.1 },
      training: { iterations: 4, batchSize: 6, parallelism: 2 },
      calibration: { sgldSteps: 2 },
      logging: { every: 1, sampleEvery: 100, checkpointEvery: 2, sampleCount: 4 },
    }),
    dir,
  );
  assert.ok(r.ok, JSON.stringify(!r.ok && r.diagnostics));
  return r.config;
};

const metrics = (run: string): Record<string, number>[] =>
  readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>);

test('paper32 on two threads: a run stopped at a checkpoint and resumed equals the uninterrupted run; sample and eval work on it', async () => {
  await useBackend('wasm');
  const whole = join(dir, 'whole');
  const split = join(dir, 'split');
  const a = await train(config(), { runDir: whole });
  assert.equal(a.status, 'finished');
  assert.equal(a.iteration, 4);
  await train(config(), { runDir: split, iterations: 2 });
  const b = await train(config(), { runDir: split, resume: true });
  assert.equal(b.resumedFrom, 2);
  const [mw, ms] = [metrics(whole), metrics(split)];
  assert.equal(ms.length, mw.length);
  // The resumed half starts from checkpointed parameters, Adam moments, BatchNorm statistics and spectral-norm vectors.
  for (let i = 0; i < mw.length; i++)
    for (const k of ['rec', 'kl', 'cal', 'eData', 'eNeg', 'lambda'])
      assert.ok(
        Math.abs(mw[i]![k]! - ms[i]![k]!) <= 1e-5 * Math.max(1, Math.abs(mw[i]![k]!)),
        `iteration ${mw[i]!.iteration} ${k}: ${ms[i]![k]} vs ${mw[i]![k]}`,
      );
  const grid = join(dir, 'grid.png');
  const s = cli(['sample', whole, '--out', grid, '--n', '4', '--mcmc-steps', '2', '--json']);
  assert.equal(s.status, 0, s.stderr);
  assert.ok(existsSync(grid));
  // No feature classifier ships for CIFAR: eval reports what it can, and says why the rest is missing.
  const e = cli(['eval', whole, '--n', '10', '--json']);
  assert.equal(e.status, 0, e.stderr);
  const ej = lastJson(e.stdout) as { metrics: Record<string, number>; notes: string[] };
  assert.ok(Number.isFinite(ej.metrics.reconMse) && ej.metrics.fd === undefined);
  assert.ok(ej.notes.some((n) => /no fd, precision or recall for cifar10/.test(n)));
});

test('ecvae info --model: the paper32 preset beside the official counts, and a config model with its memory estimate', () => {
  const p = cli(['info', '--model', 'paper32', '--json']);
  assert.equal(p.status, 0, p.stderr);
  const j = lastJson(p.stdout) as {
    rows: { widthFactor: number; encoder: { parameters: number }; decoder: { parameters: number }; energy: { parameters: number } }[];
    official: Record<string, number>;
  };
  const full = j.rows.find((r) => r.widthFactor === 1)!;
  assert.deepEqual([full.encoder.parameters, full.decoder.parameters, full.energy.parameters], [j.official.encoder, j.official.decoder, j.official.energy]);
  assert.ok(j.rows.some((r) => r.widthFactor === 0.125 && r.encoder.parameters < full.encoder.parameters / 32));
  const cfgFile = join(dir, 'tiny.ecvae.json');
  writeFileSync(
    cfgFile,
    JSON.stringify({ data: { kind: 'cifar10', path: 'data_batch_1.bin' }, model: { kind: 'paper32', widthFactor: 0.125, latentDim: 16 } }),
  );
  const c = cli(['info', '--model', cfgFile, '--json']);
  assert.equal(c.status, 0, c.stderr);
  const cj = lastJson(c.stdout) as {
    model: { kind: string; dataShape: number[]; parameters: number; decoder: { buffers: number } };
    trainingMemory: { perThreadBytes: number };
  };
  assert.equal(cj.model.kind, 'paper32');
  assert.deepEqual(cj.model.dataShape, [32, 32, 3]);
  assert.ok(cj.model.decoder.buffers > 0 && cj.model.parameters > 1e6 && cj.trainingMemory.perThreadBytes > 0);
  const bad = cli(['info', '--model', join(dir, 'missing.ecvae.json'), '--json']);
  assert.equal(bad.status, 2);
});

test('the paper-constants example refuses clearly without its data, and paper32 refuses images that are not 32x32', () => {
  const r = cli(['train', 'examples/stl10-paper.ecvae.json', '--json']);
  assert.equal(r.status, 2);
  const j = lastJson(r.stdout) as { kind: string; diagnostics: { field: string; message: string }[] };
  assert.equal(j.kind, 'config');
  assert.ok(j.diagnostics.some((d) => d.field === 'data.path' && /stl10_binary/.test(d.message)));
  const wrong = parseConfig(JSON.stringify({ data: { kind: 'mnist' }, model: { kind: 'paper32' } }), dir);
  assert.ok(!wrong.ok && wrong.diagnostics.some((d) => /trains on 32x32 images, and these are 28x28/.test(d.message)));
  const toy = parseConfig(JSON.stringify({ data: { kind: 'gaussians25' }, model: { kind: 'paper32' } }), dir);
  assert.ok(!toy.ok && toy.diagnostics.some((d) => /"paper32" needs image data/.test(d.message)));
});
