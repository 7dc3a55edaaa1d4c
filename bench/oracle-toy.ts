/**
 * Differential check against the PyTorch oracle of the toy (bench/oracle/toy_ecvae.py):
 * the same settings in both, the same metrics (hqRatio / modes / reverseKL, one-step and
 * after 50 SGLD steps). Both use the paper's chain distance, which is what the oracle
 * implements; random draws differ, so the two agree in distribution, not bit for bit.
 * Prints one JSON line per seed with both results.
 *   npm run bench:oracle -- [--seeds 0,1] [--iterations 3000] [--oracle bench/oracle/toy_ecvae.py]
 * Needs Debian's PyTorch: apt-get install -y python3-torch python3-numpy.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatDiagnostics, loadConfigFile } from '../sidecar/engine/config/config.ts';
import { evaluate } from '../sidecar/engine/eval/evaluate.ts';
import { train } from '../sidecar/engine/jobs/run.ts';
import { loadTrained } from '../sidecar/engine/store/trainedModel.ts';

console.log = console.error;
const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '0' },
    iterations: { type: 'string', default: '3000' },
    oracle: { type: 'string', default: join(import.meta.dirname, 'oracle', 'toy_ecvae.py') },
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});
if (!existsSync(values.oracle)) throw new Error(`oracle not found at ${values.oracle}; pass --oracle PATH`);
const file = join(import.meta.dirname, '..', 'examples', 'toy-25gaussians.ecvae.json');
const loaded = loadConfigFile(file);
if (!loaded.ok) throw new Error(formatDiagnostics(file, loaded.diagnostics));
const base = loaded.config;
const iterations = Number(values.iterations);
const out = mkdtempSync(join(tmpdir(), 'ecvae-oracle-'));

for (const seed of values.seeds.split(',').map(Number)) {
  // The oracle implements the paper's chain distance with an absolute epsilon.
  const cfg = { ...base, seed, calibration: { ...base.calibration, distance: 'chain' as const, epsilon: 0.05 } };
  const { model: m, training: t, calibration: c } = cfg;
  const flags = {
    seed,
    iters: iterations,
    bs: t.batchSize,
    scale: cfg.data.scale,
    count: cfg.data.count,
    hidden: m.hidden,
    depth: m.depth,
    zdim: m.latentDim,
    temperature: m.temperature,
    vae_lr: t.vaeLearningRate,
    ebm_lr: t.ebmLearningRate,
    b1: t.adamBeta1,
    b2: t.adamBeta2,
    beta: t.beta,
    alpha: t.ebmRegularization,
    K: c.sgldSteps,
    eta: c.sgldStepSize,
    noise: c.sgldNoiseScale,
    prox_t: c.proxThreshold,
    lam0: c.lambdaInit,
    lam_lr: c.lambdaLearningRate,
    lam_max: c.lambdaMax,
    eps: c.epsilon,
    ebm_rff: 64,
    ebm_rff_sigma: m.energyFourier.sigma,
    dec_rff: 64,
    dec_rff_sigma: m.decoderFourier.sigma,
  };
  const py = spawnSync(values.python, [values.oracle, ...Object.entries(flags).flatMap(([k, v]) => [`--${k}`, String(v)])], { encoding: 'utf8' });
  if (py.status !== 0) throw new Error(`oracle failed (${py.status}): ${py.stderr.slice(-2000)}`);
  const oracle = JSON.parse(py.stdout.trim().split('\n').pop()!) as Record<string, unknown>;

  const runDir = join(out, `seed${seed}`);
  const r = await train(cfg, { runDir, iterations });
  const trained = loadTrained(runDir);
  const ours: Record<string, unknown> = { train_s: Math.round(r.secPerIter * r.iterationsThisSession), lam: r.last?.lambda };
  try {
    for (const steps of [0, 50]) ours[steps ? 'mcmc50' : 'one_step'] = evaluate(trained, { n: 1000, mcmcSteps: steps, seed: seed + 1 }).metrics;
  } finally {
    trained.dispose();
  }
  process.stdout.write(JSON.stringify({ seed, iterations, ours, oracle }) + '\n');
}
