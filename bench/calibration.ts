/**
 * Calibration evidence: a sweep (sidecar/sweep/, what `ecvae sweep` runs) of a plain VAE
 * and EC-VAE from one config with the same architecture, data, budget and seed, over
 * several seeds, evaluated by the sweep report (VAE one-step, EC-VAE one-step and
 * EC-VAE + MCMC, the metrics of `ecvae eval`). Prints one JSON line per (seed, variant,
 * sampler), then a summary line with mean and sd per row; the sweep folder keeps
 * report.md, report.json and comparison.svg.
 *   npm run bench:calibration -- <config.ecvae.json> [--seeds 0,1,2] [--iterations N] [--n 1000]
 *       [--mcmc-steps 50] [--mcmc-space pixel|latent] [--variants vae,ecvae] [--set calibration.epsilon=0.001,0.01 ...]
 *       [--out DIR] [--parallel N]
 * `--set` is `ecvae sweep`'s (each is an axis of the grid); every line repeats the sets so a
 * log of runs is self-describing. Rerunning with the same --out skips finished runs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '../sidecar/engine/core/backend.ts';
import { readMetrics } from '../sidecar/runLayout/runFolder.ts';
import { variantAxis } from '../sidecar/sweep/grid.ts';
import { defaultParallel } from '../sidecar/engine/parallel/threads.ts';
import { runLocal } from '../sidecar/sweep/local.ts';
import { runDirOf } from '../sidecar/sweep/manifest.ts';
import { makePlan } from '../sidecar/sweep/plan.ts';
import { sweepReport } from '../sidecar/sweep/report.ts';
import { MCMC_SPACES, type McmcSpace } from '../sidecar/engine/algorithm/mcmcSpace.ts';

console.log = console.error; // stdout carries the JSON lines only
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seeds: { type: 'string', default: '0,1,2' },
    iterations: { type: 'string' },
    n: { type: 'string', default: '1000' },
    'mcmc-steps': { type: 'string', default: '50' },
    'mcmc-space': { type: 'string', default: 'pixel' },
    variants: { type: 'string', default: 'vae,ecvae' },
    set: { type: 'string', multiple: true, default: [] },
    out: { type: 'string' },
    parallel: { type: 'string' },
  },
});
const file = positionals[0];
if (!file) throw new Error('usage: calibration <config.ecvae.json> [--seeds 0,1,2] [--set field=value,... ...]');

const out = values.out ?? mkdtempSync(join(tmpdir(), 'ecvae-calibration-'));
const plan = makePlan({
  config: file,
  seeds: values.seeds,
  axes: [variantAxis(values.variants.split(',').map((v) => v.trim()))],
  sets: values.set,
  ...(values.iterations ? { iterations: Number(values.iterations) } : {}),
  out,
});
const parallel = values.parallel ? Number(values.parallel) : defaultParallel(plan.manifest.base);
const ran = await runLocal(plan.dir, plan.manifest, plan.runs, { parallel, events: { onLog: (m) => console.error(m) } });
const bad = ran.states.filter((s) => s.state !== 'finished');
if (bad.length) throw new Error(`runs not finished: ${bad.map((s) => `${s.name} ${s.state} (${s.detail ?? s.log})`).join('; ')}`);

await selectBackend(plan.manifest.base.backend);
const mcmcSpace = values['mcmc-space'] as McmcSpace;
if (!MCMC_SPACES.includes(mcmcSpace)) throw new Error(`--mcmc-space takes ${MCMC_SPACES.join(' or ')} (got ${mcmcSpace}).`);
const report = await sweepReport(plan.dir, { n: Number(values.n), mcmcSteps: Number(values['mcmc-steps']), mcmcSpace, onLog: (m) => console.error(m) });
for (const row of report.runs) {
  const run = plan.manifest.runs.find((r) => r.name === row.run)!;
  const last = readMetrics(runDirOf(plan.dir, run)).pop();
  process.stdout.write(
    JSON.stringify({
      seed: row.seed,
      variant: row.labels.variant,
      sampler: row.sampler,
      ...(row.sampler === 'mcmc' ? { mcmcSpace } : {}),
      metrics: row.metrics,
      secPerIter: last?.itPerSec ? 1 / last.itPerSec : null,
      secondsPerImage: row.secondsPerImage,
      iterations: row.iteration,
      lambda: last?.lambda,
      last,
      run: row.run,
      sets: values.set,
    }) + '\n',
  );
}
const summary = Object.fromEntries(
  report.points.map((p) => [
    `${[...Object.entries(p.labels)].map(([k, v]) => (k === 'variant' ? v : `${k}=${v}`)).join(' ')} ${p.sampler}`,
    Object.fromEntries(Object.entries(p.metrics).map(([k, s]) => [k, { mean: s.mean, sd: s.sd ?? 0 }])),
  ]),
);
process.stdout.write(
  JSON.stringify({ summary, mcmcSpace, seeds: plan.manifest.seeds, sets: values.set, out: plan.dir, report: join(plan.dir, 'report.md') }) + '\n',
);
