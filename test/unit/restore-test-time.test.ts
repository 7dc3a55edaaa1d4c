/**
 * Test-time passes do not depend on batch company or on the model's temperature scale:
 * BatchNorm uses its running statistics when restoring and sampling (models/buffers.ts
 * inEvalMode), and restoration's energy weight is per unit temperature (restore/restore.ts).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { initParams, type Params } from '../../sidecar/engine/core/params.ts';
import { draw } from '../../sidecar/engine/algorithm/sample.ts';
import { buildModel } from '../../sidecar/engine/models/index.ts';
import { paper32Model } from '../../sidecar/engine/models/paper32.ts';
import { inpainting, observe } from '../../sidecar/engine/restore/degradations.ts';
import { loadMask } from '../../sidecar/engine/restore/masks.ts';
import { restore, RESTORE_DEFAULTS } from '../../sidecar/engine/restore/restore.ts';
import type { TrainedModel } from '../../sidecar/engine/store/trainedModel.ts';
import { assertClose, useBackend, withDefaults } from '../helpers.ts';
import { randT } from '../gradcheck.ts';

/** Running statistics far from a batch's own, so that using one for the other shows. */
function skewRunningStats(p: Params): void {
  let k = 0;
  for (const name of Object.keys(p)) {
    if (!name.endsWith('.runningMean') && !name.endsWith('.runningVar')) continue;
    const old = p[name]!;
    p[name] = tf.tidy(() =>
      name.endsWith('Mean')
        ? randT(old.shape, 10 + k++, 0.5)
        : randT(old.shape, 10 + k++, 0.5)
            .abs()
            .add(0.5),
    );
    old.dispose();
  }
}

test('paper32 restores and samples an image alone as it does inside a batch (BatchNorm running statistics)', async () => {
  await useBackend('wasm');
  const model = paper32Model({ channels: 1, latentDim: 4, widthFactor: 1 / 64, spectralNorm: [], temperature: 1 });
  const vae = initParams([...model.specs.enc, ...model.specs.dec], 1);
  const ebm = initParams(model.specs.ebm, 2);
  skewRunningStats(vae);
  const before = tf.memory().numTensors;
  const { mask } = loadMask('center', 32);
  const op = inpainting(mask);
  const clean = tf.tidy(() => randT([3, 32, 32, 1], 3, 0.5).clipByValue(-1, 1) as tf.Tensor4D);
  const y = observe(op, clean, 4);
  const o = { ...RESTORE_DEFAULTS, steps: 3, noiseScale: 0 };
  const batch = await restore(model, vae, ebm, op, y, o, { temperature: 1 });
  const y1 = y.slice(1, 1);
  const alone = await restore(model, vae, ebm, op, y1, o, { temperature: 1 });
  tf.tidy(() => assertClose(alone.dataSync(), batch.slice(1, 1).dataSync(), 1e-4, 1e-5, 'restored alone = restored in a batch'));
  tf.dispose([batch, alone, y1, y, clean, mask]);
  op.dispose();

  const config = withDefaults({ data: { kind: 'mnist' } }); // read only by MCMC, which this draw does not run
  const m: TrainedModel = { file: 'tiny', iteration: 0, config, model, vae, ebm, dispose: () => {} };
  const all = draw(m, { n: 3, seed: 5, mcmcSteps: 0 });
  const z2 = all.z.slice(2, 1);
  const one = draw(m, { n: 1, seed: 5, mcmcSteps: 0, latents: z2 });
  tf.tidy(() => assertClose(one.oneStep.dataSync(), all.oneStep.slice(2, 1).dataSync(), 1e-4, 1e-5, 'sampled alone = sampled in a batch'));
  [all, one].forEach((d) => d.dispose());
  z2.dispose();
  assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
  tf.dispose([...Object.values(vae), ...Object.values(ebm)]);
});

test("restoration's energy weight is per unit temperature: the same restoration at tau 1 and tau 1e-5", async () => {
  await useBackend('wasm');
  const arch = { kind: 'conv' as const, latentDim: 4, width: 4, ebmHidden: 8 };
  const at = (temperature: number) => buildModel(withDefaults({ data: { kind: 'mnist' }, model: { ...arch, temperature } }).model, [28, 28, 1]);
  const [hot, cold] = [at(1), at(1e-5)];
  const vae = initParams([...hot.specs.enc, ...hot.specs.dec], 1);
  const ebm = initParams(hot.specs.ebm, 2);
  const { mask } = loadMask('half', 28);
  const op = inpainting(mask);
  const clean = tf.tidy(() => randT([2, 28, 28, 1], 3, 0.5).clipByValue(-1, 1) as tf.Tensor4D);
  const y = observe(op, clean, 4);
  const o = { ...RESTORE_DEFAULTS, steps: 5, noiseScale: 0, stepSize: 0.01, energyWeight: 1e4 };
  const a = await restore(hot, vae, ebm, op, y, o, { temperature: 1 });
  const b = await restore(cold, vae, ebm, op, y, o, { temperature: 1e-5 });
  const none = await restore(hot, vae, ebm, op, y, { ...o, energyWeight: 0 }, { temperature: 1 });
  assertClose(b.dataSync(), a.dataSync(), 1e-3, 1e-4, 'tau 1e-5 restores as tau 1');
  assert.ok(tf.tidy(() => a.sub(none).abs().max().dataSync()[0]!) > 1e-3, 'the energy term moves the restoration');
  tf.dispose([a, b, none, y, clean, mask, ...Object.values(vae), ...Object.values(ebm)]);
  op.dispose();
});
