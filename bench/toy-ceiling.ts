/**
 * Where a toy run's one-step samples miss the modes. The decoder maps the latent plane
 * onto the 25 modes; being continuous, it must cross the gap wherever two neighbouring
 * latent regions go to different modes, and the samples drawn there land between modes.
 * This decodes a grid over the latent plane (prior-weighted) and prints one JSON line:
 *  - offMass: the prior mass whose decoded point is off every mode (1 − hqRatio at n → ∞);
 *  - offNearBoundary: the share of that mass within d latent units of a boundary between
 *    two modes' regions, for each d (the rest is inside a region);
 *  - boundaryMass: the prior mass within d of a boundary, for comparison;
 *  - transitionWidth: offMass over the prior-weighted boundary length, the width in latent
 *    units the decoder takes to cross a gap;
 *  - slope: the median ‖∂x/∂z‖ (finite differences) on a mode and where it leaves one.
 *   npm run bench:toy-ceiling -- <run folder or checkpoint> [--grid 401] [--extent 4]
 */
import { parseArgs } from 'node:util';
import * as tf from '../sidecar/engine/core/tf.ts';
import { selectBackend } from '../sidecar/engine/core/backend.ts';
import { generateFrom } from '../sidecar/engine/models/index.ts';
import { inEvalMode } from '../sidecar/engine/models/buffers.ts';
import { loadTrained } from '../sidecar/engine/store/trainedModel.ts';
import { gaussianModes, gaussianStd } from '../sidecar/engine/data/gaussians.ts';

console.log = console.error; // stdout carries the JSON line only
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { grid: { type: 'string', default: '401' }, extent: { type: 'string', default: '4' } },
});
const run = positionals[0];
if (!run) throw new Error('usage: toy-ceiling <run folder or checkpoint> [--grid 401] [--extent 4]');
await selectBackend('auto');
const m = loadTrained(run);
const data = m.config.data;
if (data.kind !== 'gaussians25' || m.model.latentDim !== 2) throw new Error(`${run} is not a 25-Gaussians run with a 2-D latent`);
const G = Number(values.grid);
const E = Number(values.extent);
const h = (2 * E) / (G - 1);
const at = (i: number): number => -E + i * h;

const latents = new Float32Array(G * G * 2);
for (let i = 0; i < G; i++) for (let j = 0; j < G; j++) latents.set([at(i), at(j)], 2 * (i * G + j));
const x = tf.tidy(() => inEvalMode(() => generateFrom(m.model, m.vae, tf.tensor2d(latents, [G * G, 2])).dataSync() as Float32Array));
m.dispose();

const modes = gaussianModes(data.scale);
const radius = 3 * gaussianStd(data.scale);
const label = new Int32Array(G * G);
const on = new Uint8Array(G * G);
const weight = new Float64Array(G * G);
for (let c = 0; c < G * G; c++) {
  let best = Infinity;
  modes.forEach(([mx, my], k) => {
    const d = (x[2 * c]! - mx) ** 2 + (x[2 * c + 1]! - my) ** 2;
    if (d < best) [best, label[c]] = [d, k];
  });
  on[c] = Math.sqrt(best) <= radius ? 1 : 0;
  const [zi, zj] = [latents[2 * c]!, latents[2 * c + 1]!];
  weight[c] = (Math.exp(-(zi * zi + zj * zj) / 2) / (2 * Math.PI)) * h * h;
}
const total = weight.reduce((a, b) => a + b, 0);

// Boundary cells: a 4-neighbour goes to another mode. Then each cell's distance (in cells) to one, by BFS.
const neighbours = (c: number): number[] => {
  const [i, j] = [Math.floor(c / G), c % G];
  return [i > 0 ? c - G : -1, i < G - 1 ? c + G : -1, j > 0 ? c - 1 : -1, j < G - 1 ? c + 1 : -1].filter((n) => n >= 0);
};
const dist = new Int32Array(G * G).fill(-1);
let queue: number[] = [];
for (let c = 0; c < G * G; c++)
  if (neighbours(c).some((n) => label[n] !== label[c])) {
    dist[c] = 0;
    queue.push(c);
  }
const boundaryWeight = queue.reduce((a, c) => a + weight[c]!, 0);
while (queue.length) {
  const next: number[] = [];
  for (const c of queue)
    for (const n of neighbours(c))
      if (dist[n] === -1) {
        dist[n] = dist[c]! + 1;
        next.push(n);
      }
  queue = next;
}

let offMass = 0;
for (let c = 0; c < G * G; c++) if (!on[c]) offMass += weight[c]!;
const bands = [0.05, 0.1, 0.2, 0.4];
const within = (d: number, pick: (c: number) => boolean): number => {
  let s = 0;
  for (let c = 0; c < G * G; c++) if (pick(c) && dist[c]! * h <= d) s += weight[c]!;
  return s;
};

// ‖∂x/∂z‖ (Frobenius) by central differences inside the grid.
const slope = (c: number): number => {
  const [i, j] = [Math.floor(c / G), c % G];
  if (i === 0 || j === 0 || i === G - 1 || j === G - 1) return NaN;
  let s = 0;
  for (const [a, b] of [
    [c + G, c - G],
    [c + 1, c - 1],
  ] as const)
    for (const k of [0, 1]) s += ((x[2 * a + k]! - x[2 * b + k]!) / (2 * h)) ** 2;
  return Math.sqrt(s);
};
const median = (v: number[]): number => {
  const s = v.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};
// Cells inside the 2-sigma prior disc only: far out the prior has no mass worth describing.
const inDisc = (c: number): boolean => latents[2 * c]! ** 2 + latents[2 * c + 1]! ** 2 <= 4;
const cells = [...Array(G * G).keys()].filter(inDisc);

process.stdout.write(
  JSON.stringify({
    run,
    iteration: m.iteration,
    calibrated: m.config.calibration.enabled,
    grid: G,
    extent: E,
    priorMassOnGrid: total,
    offMass,
    offNearBoundary: Object.fromEntries(bands.map((d) => [d, within(d, (c) => !on[c]) / offMass])),
    boundaryMass: Object.fromEntries(bands.map((d) => [d, within(d, () => true)])),
    transitionWidth: offMass / (boundaryWeight / (2 * h)),
    slope: { onMode: median(cells.filter((c) => on[c]).map(slope)), offMode: median(cells.filter((c) => !on[c]).map(slope)) },
  }) + '\n',
);
