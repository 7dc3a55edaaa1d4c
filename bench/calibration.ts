/**
 * Calibration evidence: trains a plain VAE and EC-VAE from one config with the same
 * architecture, data, budget and seed, for several seeds, and evaluates VAE one-step,
 * EC-VAE one-step and EC-VAE + MCMC with the metrics of `ecvae eval`. Prints one JSON line
 * per (seed, variant, sampler), then a summary line with mean and sd per row.
 *   npm run bench:calibration -- <config.ecvae.json> [--seeds 0,1,2] [--iterations N] [--n 1000]
 *       [--mcmc-steps 50] [--variants vae,ecvae] [--set calibration.epsilon=0.001 ...] [--out DIR]
 * `--set` overrides any config field (dotted path = JSON value), for sweeps; every line
 * repeats the overrides so a log of runs is self-describing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatDiagnostics, loadConfigFile, parseConfig, type RunConfig } from '../sidecar/engine/config/config.ts';
import { isVariant, VARIANTS, variantConfig } from '../sidecar/engine/eval/compare.ts';
import { evaluate } from '../sidecar/engine/eval/evaluate.ts';
import { train } from '../sidecar/engine/jobs/run.ts';
import { loadTrained } from '../sidecar/engine/store/trainedModel.ts';

console.log = console.error; // stdout carries the JSON lines only
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seeds: { type: 'string', default: '0,1,2' },
    iterations: { type: 'string' },
    n: { type: 'string', default: '1000' },
    'mcmc-steps': { type: 'string', default: '50' },
    variants: { type: 'string', default: 'vae,ecvae' },
    set: { type: 'string', multiple: true, default: [] },
    out: { type: 'string' },
  },
});
const file = positionals[0];
if (!file) throw new Error('usage: calibration <config.ecvae.json> [--seeds 0,1,2] [--set field=value ...]');
const loaded = loadConfigFile(file);
if (!loaded.ok) throw new Error(formatDiagnostics(file, loaded.diagnostics));

/** The config with `--set a.b=json` overrides applied, re-validated (defaults and checks). */
function withOverrides(base: RunConfig, sets: string[], extra: Record<string, unknown>): RunConfig {
  const raw = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  const put = (path: string, value: unknown): void => {
    const keys = path.split('.');
    let o = raw;
    for (const k of keys.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
    o[keys[keys.length - 1]!] = value;
  };
  for (const s of sets) {
    const i = s.indexOf('=');
    if (i < 0) throw new Error(`--set ${s}: expected field=value`);
    const v = s.slice(i + 1);
    let value: unknown;
    try {
      value = JSON.parse(v);
    } catch {
      value = v;
    }
    put(s.slice(0, i), value);
  }
  for (const [k, v] of Object.entries(extra)) put(k, v);
  const r = parseConfig(JSON.stringify(raw), process.cwd());
  if (!r.ok) throw new Error(formatDiagnostics('<overrides>', r.diagnostics));
  return r.config;
}

const out = values.out ?? mkdtempSync(join(tmpdir(), 'ecvae-calibration-'));
const seeds = values.seeds.split(',').map(Number);
const n = Number(values.n);
const mcmcSteps = Number(values['mcmc-steps']);
const rows: { variant: string; sampler: string; metrics: Record<string, number>; secPerIter: number; secondsPerImage: number }[] = [];
for (const seed of seeds) {
  for (const variant of values.variants.split(',')) {
    if (!isVariant(variant)) throw new Error(`--variants: "${variant}" is not one of ${Object.keys(VARIANTS).join(', ')}`);
    const cfg = withOverrides(variantConfig(loaded.config, variant), values.set, { seed });
    const enabled = cfg.calibration.enabled;
    const runDir = join(out, `${variant}-seed${seed}`);
    const t0 = performance.now();
    const r = await train(cfg, { runDir, ...(values.iterations ? { iterations: Number(values.iterations) } : {}), resume: true });
    const trainSeconds = (performance.now() - t0) / 1000;
    const m = loadTrained(runDir);
    try {
      for (const steps of enabled && mcmcSteps > 0 ? [0, mcmcSteps] : [0]) {
        const e = evaluate(m, { n, mcmcSteps: steps, seed: seed + 1 });
        const row = { variant, sampler: e.sampler, metrics: e.metrics, secPerIter: r.secPerIter, secondsPerImage: e.secondsPerImage };
        rows.push(row);
        process.stdout.write(
          JSON.stringify({ seed, ...row, iterations: r.iteration, trainSeconds, lambda: r.last?.lambda, last: r.last, sets: values.set }) + '\n',
        );
      }
    } finally {
      m.dispose();
    }
  }
}

const summary: Record<string, Record<string, { mean: number; sd: number }>> = {};
for (const key of [...new Set(rows.map((r) => `${r.variant} ${r.sampler}`))]) {
  const group = rows.filter((r) => `${r.variant} ${r.sampler}` === key);
  const metricNames = Object.keys(group[0]!.metrics);
  summary[key] = Object.fromEntries(
    metricNames.map((k) => {
      const v = group.map((g) => g.metrics[k]!);
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(v.length - 1, 1));
      return [k, { mean, sd }];
    }),
  );
}
process.stdout.write(JSON.stringify({ summary, seeds, sets: values.set, out }) + '\n');
