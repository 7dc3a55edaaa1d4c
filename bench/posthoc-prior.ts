/**
 * Post-hoc flow priors (docs/flows.md): for each finished run `<variant>-seed<S>` that
 * bench/calibration.ts left in DIR, fits a RealNVP prior on its encoder means
 * (engine/jobs/fitPrior.ts) into `<variant>-posthoc-seed<S>`, then evaluates it as
 * bench/calibration.ts evaluates (same n, eval seed S + 1; calibrated runs also with MCMC).
 * Prints one JSON line per (seed, variant, sampler), beside the run's own rows.
 *   npm run bench:posthoc -- DIR [--seeds 0,1,2] [--variants vae,ecvae] [--n 1000] [--mcmc-steps 5]
 *       [--iterations 2000] [--batch-size 256] [--learning-rate 0.001]
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '../sidecar/engine/core/backend.ts';
import { evaluate } from '../sidecar/engine/eval/evaluate.ts';
import { fitPrior } from '../sidecar/engine/jobs/fitPrior.ts';
import { loadTrained } from '../sidecar/engine/store/trainedModel.ts';

console.log = console.error; // stdout carries the JSON lines only
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seeds: { type: 'string', default: '0,1,2' },
    variants: { type: 'string', default: 'vae,ecvae' },
    n: { type: 'string', default: '1000' },
    'mcmc-steps': { type: 'string', default: '5' },
    iterations: { type: 'string', default: '2000' },
    'batch-size': { type: 'string', default: '256' },
    'learning-rate': { type: 'string', default: '0.001' },
  },
});
const dir = positionals[0];
if (!dir) throw new Error('usage: posthoc-prior DIR [--seeds 0,1,2] [--variants vae,ecvae]');
await selectBackend('auto'); // as the CLI: WASM here (TF.js would otherwise stay on its plain-JS backend)
const fit = { iterations: Number(values.iterations), batchSize: Number(values['batch-size']), learningRate: Number(values['learning-rate']) };

for (const seed of values.seeds.split(',').map(Number)) {
  for (const variant of values.variants.split(',')) {
    const source = join(dir, `${variant}-seed${seed}`);
    const outDir = join(dir, `${variant}-posthoc-seed${seed}`);
    const t0 = performance.now();
    const r = existsSync(join(outDir, 'fit-prior.json')) ? undefined : await fitPrior(source, { ...fit, outDir });
    const fitSeconds = (performance.now() - t0) / 1000;
    const m = loadTrained(outDir);
    try {
      for (const steps of m.ebm ? [0, Number(values['mcmc-steps'])] : [0]) {
        const e = evaluate(m, { n: Number(values.n), mcmcSteps: steps, seed: seed + 1 });
        const fitted = r ? { step: r.step, heldOutNll: r.heldOutNll, gaussianHeldOutNll: r.gaussianHeldOutNll, fitSeconds } : {};
        process.stdout.write(
          JSON.stringify({ seed, variant: `${variant}-posthoc`, sampler: e.sampler, metrics: e.metrics, secondsPerImage: e.secondsPerImage, ...fitted }) + '\n',
        );
      }
    } finally {
      m.dispose();
    }
  }
}
