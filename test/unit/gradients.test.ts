/**
 * Finite-difference checks of every gradient the training uses, on tiny models: the VAE
 * objective (rec + beta·kl + lambda·cal), the energy loss, and the energy's gradient with
 * respect to its input (what SGLD follows). Directional derivatives (central differences
 * along a random direction) are compared with <grad, direction>, on the default WASM
 * backend where the composed conv/dense gradients are active.
 */
import { test } from 'node:test';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { ebmLoss, sumSquaredPerExample, vaeTerms } from '../../sidecar/engine/algorithm/losses.ts';
import { convModel } from '../../sidecar/engine/models/conv.ts';
import { mlpModel } from '../../sidecar/engine/models/mlp.ts';
import type { EcvaeModel } from '../../sidecar/engine/models/index.ts';
import { initParams } from '../../sidecar/engine/core/params.ts';
import { withFilterCache } from '../../sidecar/engine/ops/filterCache.ts';
import { checkDirectional, randT } from '../gradcheck.ts';
import { tinyConv, useBackend } from '../helpers.ts';

const models: [string, () => { model: EcvaeModel; x: tf.Tensor }][] = [
  ['conv', () => ({ model: convModel({ ...tinyConv }), x: randT([3, 8, 8, 1], 7, 0.5).clipByValue(-1, 1) })],
  ['conv, flattened energy head', () => ({ model: convModel({ ...tinyConv, ebmHead: 'flatten' }), x: randT([3, 8, 8, 1], 7, 0.5).clipByValue(-1, 1) })],
  ['mlp', () => ({ model: mlpModel({ dataShape: [2], hidden: 5, depth: 2, latentDim: 2, temperature: 0.7 }), x: randT([4, 2], 7, 0.5) })],
  [
    'mlp with Fourier features',
    () => ({
      model: mlpModel({
        dataShape: [2],
        hidden: 5,
        depth: 2,
        latentDim: 2,
        temperature: 0.7,
        energyFourier: { count: 3, sigma: 1 },
        decoderFourier: { count: 4, sigma: 0.5 },
      }),
      x: randT([4, 2], 7, 0.5),
    }),
  ],
];

const fixedNames = (m: EcvaeModel): Set<string> => new Set([...m.specs.enc, ...m.specs.dec, ...m.specs.ebm].filter((s) => s.fixed).map((s) => s.name));

for (const [name, make] of models) {
  test(`finite differences: VAE objective rec + beta·kl + lambda·cal (${name})`, async () => {
    await useBackend('wasm');
    const { model, x } = make();
    const vae = initParams([...model.specs.enc, ...model.specs.dec], 3);
    const eps = randT([x.shape[0]!, model.latentDim], 11) as tf.Tensor2D;
    const n = randT([x.shape[0]!, model.latentDim], 12) as tf.Tensor2D;
    const target = randT(x.shape, 13, 0.3);
    checkDirectional(
      vae,
      (p) => {
        const { rec, kl } = vaeTerms(model, p, x, eps);
        return rec.add(kl.mul(0.1)).add(sumSquaredPerExample(model.decode(p, n), target).mul(3)) as tf.Scalar;
      },
      `${name} VAE loss`,
      1,
      fixedNames(model),
    );
  });

  test(`finite differences: energy loss and the energy's input gradient (${name})`, async () => {
    await useBackend('wasm');
    const { model, x } = make();
    const ebm = initParams(model.specs.ebm, 5);
    const neg = randT(x.shape, 17, 0.5);
    checkDirectional(ebm, (p) => ebmLoss(model.energy(p, x), model.energy(p, neg), 0.1), `${name} EBM loss`, 1, fixedNames(model));
    // The input gradient alone (as in SGLD), outside and inside a chain's FilterCache scope.
    checkDirectional({ x }, (q) => model.energy(ebm, q.x!).sum() as tf.Scalar, `${name} dE/dx`, 21);
    withFilterCache(() => checkDirectional({ x }, (q) => model.energy(ebm, q.x!).sum() as tf.Scalar, `${name} dE/dx (filter cache)`, 21));
  });
}
