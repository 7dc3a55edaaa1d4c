/**
 * Restoration evidence on held-out MNIST digits: mean PSNR/SSIM of EC-VAE restoration
 * vs the baselines for centre-box inpainting, 4x super-resolution and denoising
 * (sigma 0.2), and seconds per image. Prints one JSON line per energy weight; with more
 * than one (`--energy-weights 0,1`), a last line with each weight's PSNR/SSIM gain over
 * the first: what the energy term adds to the restoration.
 *   npm run bench:restore -- <checkpoint|run-folder> [--n 100] [--steps 50] [--step-size 0.02] [--sigma 0.1] [--energy-weights 1]
 */
import { parseArgs } from 'node:util';
import { selectBackend } from '../sidecar/engine/core/backend.ts';
import { gather, loadDataset } from '../sidecar/engine/data/index.ts';
import { restoreTask } from '../sidecar/engine/restore/restoreTask.ts';
import { RESTORE_DEFAULTS } from '../sidecar/engine/restore/restore.ts';
import * as tf from '../sidecar/engine/core/tf.ts';
import { loadTrained } from '../sidecar/engine/store/trainedModel.ts';

console.log = console.error;
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    n: { type: 'string', default: '100' },
    steps: { type: 'string' },
    'step-size': { type: 'string' },
    sigma: { type: 'string' },
    'energy-weights': { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    json: { type: 'boolean' },
  },
});
const ck = positionals[0];
if (!ck) throw new Error('usage: restore-mnist <checkpoint|run-folder> [--n 100]');
await selectBackend(values.backend as 'auto');
const m = loadTrained(ck);
const n = Number(values.n);
const ds = loadDataset({ ...m.config.data, split: 'test', limit: n }, 0);
const x = tf.tensor4d(
  gather(
    ds,
    Array.from({ length: ds.size }, (_, i) => i),
  ),
  [ds.size, ...(ds.shape as [number, number, number])],
);
const opts = {
  ...RESTORE_DEFAULTS,
  ...(values.steps ? { steps: Number(values.steps) } : {}),
  ...(values['step-size'] ? { stepSize: Number(values['step-size']) } : {}),
  ...(values.sigma ? { sigma: Number(values.sigma) } : {}),
};
const weights = values['energy-weights'] ? values['energy-weights'].split(',').map(Number) : [opts.energyWeight];
const tasks = [
  { name: 'inpaint-center', task: 'inpaint' as const, mask: 'center' },
  { name: 'sr4', task: 'sr' as const, factor: 4 },
  { name: 'denoise-0.2', task: 'denoise' as const, sigma: 0.2 },
];
type Scores = Record<string, { psnr: number; ssim: number }>;
const byWeight: Scores[] = [];
for (const energyWeight of weights) {
  const results: Record<string, unknown> = {};
  const scores: Scores = {};
  for (const t of tasks) {
    const r = await restoreTask(m, { ...t, clean: x, options: { ...opts, energyWeight } });
    results[t.name] = { psnr: r.report.psnr, ssim: r.report.ssim, baselines: r.report.baselines, secondsPerImage: r.report.secondsPerImage };
    scores[t.name] = { psnr: r.report.psnr!, ssim: r.report.ssim! };
    r.dispose();
  }
  byWeight.push(scores);
  process.stdout.write(JSON.stringify({ checkpoint: m.file, iteration: m.iteration, n: ds.size, options: { ...opts, energyWeight }, results }) + '\n');
}
if (weights.length > 1) {
  const gain = Object.fromEntries(
    weights.slice(1).map((w, i) => [
      w,
      Object.fromEntries(
        tasks.map((t) => {
          const a = byWeight[0]![t.name]!,
            b = byWeight[i + 1]![t.name]!;
          return [t.name, { psnr: b.psnr - a.psnr, ssim: b.ssim - a.ssim }];
        }),
      ),
    ]),
  );
  process.stdout.write(JSON.stringify({ gainOver: weights[0], gain }) + '\n');
}
