/**
 * Where a toy run's one-step samples miss the modes: decodes a grid over the latent plane
 * and prints one JSON line, the run's identity and bench/latentBoundaries.ts's measures
 * (offMass, offNearBoundary, boundaryMass, transitionWidth, slope; there, what each means).
 *   npm run bench:toy-ceiling -- <run folder or checkpoint> [--grid 401] [--extent 4]
 */
import { parseArgs } from 'node:util';
import * as tf from '../sidecar/engine/core/tf.ts';
import { selectBackend } from '../sidecar/engine/core/backend.ts';
import { generateFrom } from '../sidecar/engine/models/index.ts';
import { inEvalMode } from '../sidecar/engine/models/buffers.ts';
import { loadTrained } from '../sidecar/engine/store/trainedModel.ts';
import { gaussianModes, gaussianStd } from '../sidecar/engine/data/gaussians.ts';
import { boundaryReport, gridLatents } from './latentBoundaries.ts';

console.log = console.error; // stdout carries the JSON line only
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { grid: { type: 'string', default: '401' }, extent: { type: 'string', default: '4' } },
});
const run = positionals[0];
if (!run) throw new Error('usage: toy-ceiling <run folder or checkpoint> [--grid 401] [--extent 4]');
const G = Number(values.grid);
const E = Number(values.extent);
if (!Number.isInteger(G) || G < 3 || !(E > 0)) throw new Error('--grid takes an integer of at least 3, --extent a positive number');
await selectBackend('auto');
const m = loadTrained(run);
const data = m.config.data;
if (data.kind !== 'gaussians25' || m.model.latentDim !== 2) throw new Error(`${run} is not a 25-Gaussians run with a 2-D latent`);

const latents = gridLatents(G, E);
const decoded = tf.tidy(() => inEvalMode(() => generateFrom(m.model, m.vae, tf.tensor2d(latents, [G * G, 2])).dataSync() as Float32Array));
m.dispose();

const report = boundaryReport({ size: G, extent: E, decoded, modes: gaussianModes(data.scale), radius: 3 * gaussianStd(data.scale) });
process.stdout.write(JSON.stringify({ run, iteration: m.iteration, calibrated: m.config.calibration.enabled, grid: G, extent: E, ...report }) + '\n');
