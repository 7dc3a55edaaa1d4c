/**
 * `ecvae fit-prior` (engine/jobs/fitPrior.ts): a flow prior fitted after training, on a
 * finished VAE's encoder means, written as a new run folder that every run-folder
 * consumer uses (sample, a resumed joint training), and the inputs it refuses.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { fitPrior } from '../../sidecar/engine/jobs/fitPrior.ts';
import { train } from '../../sidecar/engine/jobs/run.ts';
import { loadTrained } from '../../sidecar/engine/store/trainedModel.ts';
import { cli, lastJson, tempDir, useBackend, withDefaults } from '../helpers.ts';

const dir = tempDir();
const source = join(dir, 'vae');

test('fit-prior: the flow beats N(0, I) on held-out means, the VAE is copied unchanged, and the folder samples and resumes', async () => {
  await useBackend('wasm');
  // Long enough for the means to gather around the 25 modes, where a flow has something to fit.
  const cfg = withDefaults({
    name: 'vae',
    data: { kind: 'gaussians25', count: 2000 },
    model: { hidden: 32, depth: 2, latentDim: 2, flow: { blocks: 2, hidden: 16 } },
    training: { iterations: 300, batchSize: 64, vaeLearningRate: 0.003 },
    calibration: { enabled: false },
    logging: { every: 100, sampleEvery: 1000, checkpointEvery: 300 },
  });
  await train(cfg, { runDir: source });
  const before = tf.memory().numTensors;
  const r = await fitPrior(source, { iterations: 300, batchSize: 128, learningRate: 0.003 });
  assert.equal(tf.memory().numTensors, before, 'the fit leaves no tensors behind');
  assert.equal(r.runDir, join(dir, 'vae-flowprior'), 'default: a sibling folder named after the run');
  assert.ok(r.heldOutNll < r.gaussianHeldOutNll, `held-out -log p: flow ${r.heldOutNll} < N(0, I) ${r.gaussianHeldOutNll}`);
  assert.ok(r.step >= 100 && r.step <= 300 && r.step % 100 === 0, `kept step ${r.step}`);
  const log = JSON.parse(readFileSync(join(r.runDir, 'fit-prior.json'), 'utf8')) as { curve: { heldOutNll: number }[] };
  assert.equal(Math.min(...log.curve.map((c) => c.heldOutNll)), r.heldOutNll, 'the kept prior is the best held-out one');

  const a = loadTrained(source);
  const b = loadTrained(r.runDir);
  assert.equal(b.config.model.prior, 'realnvp');
  assert.ok(b.model.fromBase, 'the fitted run samples through its flow');
  assert.equal(b.iteration, a.iteration);
  for (const [k, t] of Object.entries(a.vae)) assert.deepEqual(b.vae[k]!.dataSync(), t.dataSync(), `${k} unchanged`);
  assert.ok(Object.keys(b.vae).some((k) => k.startsWith('prior.')));
  a.dispose();
  b.dispose();

  const s = cli(['sample', r.runDir, '--out', join(dir, 'grid.png'), '--n', '16', '--json']);
  assert.equal(s.status, 0, s.stderr);
  assert.ok(existsSync(join(dir, 'grid.png')));
  // The folder is a run: training resumes from it, now fitting the prior jointly.
  const more = await train(b.config, { runDir: r.runDir, resume: true, iterations: 310 });
  assert.equal(more.status, 'finished');
  assert.equal(more.resumedFrom, 300);
  assert.ok(Number.isFinite(more.last!.priorNll));
});

test('fit-prior refuses, with exit 2 and the reason, what it cannot fit or would overwrite', async () => {
  const fitted = join(dir, 'vae-flowprior');
  const flow = join(dir, 'flow');
  const flowCfg = withDefaults({
    name: 'flow',
    data: { kind: 'gaussians25', count: 200 },
    model: { kind: 'flow', flow: { blocks: 2, hidden: 8 } },
    training: { iterations: 2, batchSize: 16 },
    calibration: { enabled: false },
  });
  await train(flowCfg, { runDir: flow });
  const cases: [string[], RegExp][] = [
    [[flow], /is a normalizing flow \(model.kind "flow"\): it has no latent prior to fit/],
    [[fitted], /already has a flow prior/],
    [[source, '--out', fitted], /already holds a run; choose another --out/],
    [[join(dir, 'nothing-here')], /nothing-here/],
    [[source, '--learning-rate', '0'], /--learning-rate takes a number greater than 0 and at most 1; got 0/],
    [[source, '--batch-size', '1'], /--batch-size takes a whole number at least 2 and at most 65,536; got 1/],
    [[source, '--iterations', '0'], /--iterations takes a whole number at least 1 and at most 1,000,000; got 0/],
  ];
  for (const [args, message] of cases) {
    const r = cli(['fit-prior', ...args, '--json']);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(String(lastJson(r.stdout).error), message);
  }
});
