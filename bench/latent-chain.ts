/**
 * How far the latent-prior calibration's chain moves a sample (calibration.latentPrior,
 * docs/flows.md), against the pixel chain that calibrates the decoder, on a trained
 * EC-VAE with its own chain settings. For prior latents z0 (through the flow prior when
 * the run has one) it runs both chains as the trainer does (drift distance) and prints
 * one JSON line: the mean pixel drift ‖x̃ − G(z0)‖, the mean latent drift ‖z̃ − z0‖ and
 * ‖z0‖, the image change that latent target asks of the decoder ‖G(z̃) − G(z0)‖, and the
 * mean energy of G(z0), of x̃ and of G(z̃).
 *   npm run bench:latent-chain -- <run folder or checkpoint> [--n 256] [--seed 1]
 */
import { parseArgs } from 'node:util';
import * as tf from '../sidecar/engine/core/tf.ts';
import { selectBackend } from '../sidecar/engine/core/backend.ts';
import { latentChain } from '../sidecar/engine/algorithm/latentChain.ts';
import { sgldChain, sgldOptions } from '../sidecar/engine/algorithm/sgld.ts';
import { loadTrained } from '../sidecar/engine/store/trainedModel.ts';

console.log = console.error; // stdout carries the JSON line only
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { n: { type: 'string', default: '256' }, seed: { type: 'string', default: '1' } },
});
const run = positionals[0];
if (!run) throw new Error('usage: latent-chain <run folder or checkpoint> [--n 256] [--seed 1]');
await selectBackend('auto');
const m = loadTrained(run);
if (!m.ebm) throw new Error(`${run} has no energy model: train it with calibration.enabled true`);
const ebm = m.ebm;
const { model, vae, config } = m;
const seed = Number(values.seed);
const n = tf.randomNormal([Number(values.n), model.latentDim], 0, 1, 'float32', seed) as tf.Tensor2D;
const o = sgldOptions(config, config.calibration.sgldSteps, seed + 1);
const pixelEnergy = (x: tf.Tensor): tf.Tensor1D => model.energy(ebm, x);
const rowNorm = (t: tf.Tensor): number => t.reshape([t.shape[0]!, -1]).norm('euclidean', 1).mean().dataSync()[0]!;
const meanEnergy = (x: tf.Tensor): number => tf.tidy(() => pixelEnergy(x).mean().dataSync()[0]!);

const z0 = tf.tidy(() => (model.fromBase ? model.fromBase(vae, n) : n.clone()));
const x0 = tf.tidy(() => model.decode(vae, z0 as tf.Tensor2D));
// Each chain differentiates with respect to its sample only: no parameter gradient runs.
const px = sgldChain(pixelEnergy, x0, x0, o);
// The trainer's latent chain (trainer.ts calibratedLatents): sgld_z with its look-ahead, no prior term.
const lz = latentChain((z) => model.decode(vae, z), pixelEnergy, z0 as tf.Tensor2D, { ...o, prior: false });
const out = tf.tidy(() => {
  const xTarget = x0.add(px.drift);
  const zTarget = z0.add(lz.drift);
  const xOfZ = model.decode(vae, zTarget as tf.Tensor2D);
  return {
    run,
    iteration: m.iteration,
    n: n.shape[0],
    sgld: { steps: o.steps, stepSize: o.stepSize, noiseScale: o.noiseScale },
    pixelDrift: rowNorm(px.drift),
    latentNorm: rowNorm(z0),
    latentDrift: rowNorm(lz.drift),
    imageChangeOfLatentTarget: rowNorm(xOfZ.sub(x0)),
    energy: { start: meanEnergy(x0), pixelTarget: meanEnergy(xTarget), latentTarget: meanEnergy(xOfZ) },
  };
});
process.stdout.write(JSON.stringify(out) + '\n');
tf.dispose([n, z0, x0, px.x, px.drift, lz.x, lz.drift]);
m.dispose();
