/**
 * The flow variants end to end: `ecvae compare --variants` trains and evaluates them with
 * the same contract as VAE and EC-VAE; an image VAE with a flow prior samples and restores
 * (its chain in the flow's base space); the config refuses what cannot work.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { parseConfig } from '../../sidecar/engine/config/config.ts';
import { loadMask } from '../../sidecar/engine/restore/masks.ts';
import { RESTORE_DEFAULTS } from '../../sidecar/engine/restore/restore.ts';
import { restoreTask } from '../../sidecar/engine/restore/restoreTask.ts';
import { train } from '../../sidecar/engine/jobs/run.ts';
import { generate } from '../../sidecar/engine/algorithm/sample.ts';
import { loadTrained } from '../../sidecar/engine/store/trainedModel.ts';
import { assertClose, cli, lastJson, tempDir, useBackend, withDefaults } from '../helpers.ts';

const dir = tempDir();

test('ecvae compare --variants: flow prior and flow rows beside each other, calibrated ones also with MCMC', () => {
  const cfg = join(dir, 'toy.ecvae.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      name: 'toy',
      data: { kind: 'gaussians25', count: 2000 },
      model: { hidden: 16, depth: 2, latentDim: 2, flow: { blocks: 2, hidden: 16 } },
      training: { iterations: 20, batchSize: 32 },
      calibration: { sgldSteps: 2, sgldStepSize: 0.001 },
      logging: { every: 10, sampleEvery: 100, checkpointEvery: 20 },
    }),
  );
  const r = cli(['compare', cfg, '--out', join(dir, 'cmp'), '--n', '200', '--mcmc-steps', '2', '--variants', 'ecvae-flowprior,flow', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const report = lastJson(r.stdout) as { rows: { variant: string; sampler: string; metrics: Record<string, number> }[]; training: Record<string, unknown> };
  assert.deepEqual(
    report.rows.map((x) => `${x.variant} ${x.sampler}`),
    ['ecvae-flowprior one-step', 'ecvae-flowprior mcmc', 'flow one-step'],
  );
  assert.deepEqual(Object.keys(report.training), ['ecvae-flowprior', 'flow']);
  for (const x of report.rows) assert.ok(x.metrics.hqRatio! >= 0 && x.metrics.modes! >= 0);
  const md = readFileSync(join(dir, 'cmp', 'report.md'), 'utf8');
  assert.match(md, /\| EC-VAE \+ calibrated flow prior one-step \|/);
  assert.match(md, /\| flow one-step \|/);
  const bad = cli(['compare', cfg, '--variants', 'vae,nope', '--json']);
  assert.equal(bad.status, 2);
  assert.match(
    String(lastJson(bad.stdout).error),
    /--variants takes names from vae, ecvae, vae-flowprior, ecvae-flowprior, flow, calibrated-flow; "nope" is not one/,
  );
});

test('an image VAE with a flow prior samples through the flow and restores with its chain in the base space', async () => {
  await useBackend('wasm');
  const cfg = withDefaults({
    data: { kind: 'mnist', limit: 64 },
    model: { kind: 'conv', width: 4, latentDim: 4, ebmHidden: 8, prior: 'realnvp', flow: { blocks: 2, hidden: 8 } },
    training: { iterations: 4, batchSize: 16 },
    calibration: { sgldSteps: 2, latentPrior: true },
    logging: { every: 2, sampleEvery: 100, checkpointEvery: 4 },
  });
  const r = await train(cfg, { runDir: join(dir, 'prior') });
  assert.equal(r.status, 'finished');
  assert.ok(Number.isFinite(r.last!.priorNll) && Number.isFinite(r.last!.latentCal));
  const m = loadTrained(join(dir, 'prior'));
  try {
    const x = generate(m.model, m.vae, 3, 1);
    assert.deepEqual(x.shape, [3, 28, 28, 1]);
    x.dispose();
    const clean = tf.randomUniform([1, 28, 28, 1], -1, 1, 'float32', 2) as tf.Tensor4D;
    const res = await restoreTask(m, { task: 'inpaint', clean, mask: 'center', options: { ...RESTORE_DEFAULTS, steps: 3 } });
    const { mask } = loadMask('center', 28);
    tf.tidy(() => assertClose(res.output.mul(mask).dataSync(), clean.mul(mask).dataSync(), 1e-5, 1e-6, 'observed pixels kept'));
    assert.ok(Number.isFinite(res.report.psnr!));
    res.dispose();
    tf.dispose([clean, mask]);
  } finally {
    m.dispose();
  }
});

test('config: a RealNVP prior needs a latent of two or more; options another setting makes moot are warned about', () => {
  const one = parseConfig(JSON.stringify({ data: { kind: 'gaussians25' }, model: { latentDim: 1, prior: 'realnvp' } }), dir);
  assert.ok(!one.ok && one.diagnostics.some((d) => d.field === 'model.latentDim' && /at least 2/.test(d.message)));
  const moot = parseConfig(JSON.stringify({ data: { kind: 'gaussians25' }, calibration: { latentPrior: true } }), dir);
  assert.ok(moot.ok && moot.warnings.some((d) => d.field === 'calibration.latentPrior'));
  const flowPrior = parseConfig(JSON.stringify({ data: { kind: 'gaussians25' }, model: { kind: 'flow', prior: 'realnvp' } }), dir);
  assert.ok(flowPrior.ok && flowPrior.warnings.some((d) => d.field === 'model.prior'));
});
