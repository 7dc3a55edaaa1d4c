/**
 * Benchmark: training iterations of the paper's own setting (model.kind "paper32" with
 * examples/stl10-paper.ecvae.json's constants: batch 128, 128-d latent, 15 SGLD steps
 * per chain, tau 1e-5; with --preset paper64 / paper256, the CelebA examples' constants)
 * at a width factor, on random batches of the preset's size (the time does not depend on
 * the pixels). Prints one JSON line: seconds per iteration (median), the
 * model's parameter counts, threads, backend, peak resident memory of the process.
 *   npm run bench:paper32 -- [--preset paper32|paper64|paper256] [--width-factor 0.125] [--batch 128] [--steps 15] [--iters 3] [--warmup 1] [--backend auto] [--threads auto|N]
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { selectBackend } from '../sidecar/engine/core/backend.ts';
import { withDefaults, type BackendName } from '../sidecar/engine/config/config.ts';
import { isPaperKind, PAPER_SIZES, type PaperKind } from '../sidecar/engine/config/sizes.ts';
import { estimateTrainingMemory, memoryProblem } from '../sidecar/engine/core/memory.ts';
import { buildModel } from '../sidecar/engine/models/index.ts';
import { summarizeModel } from '../sidecar/engine/models/summary.ts';
import { Pool, resolveParallelism } from '../sidecar/engine/parallel/pool.ts';
import * as tf from '../sidecar/engine/core/tf.ts';
import { disposeTrainState, initTrainState, trainIteration } from '../sidecar/engine/algorithm/trainer.ts';

console.log = console.error; // keep stdout for the JSON result

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'paper32' },
    'width-factor': { type: 'string', default: '0.125' },
    batch: { type: 'string', default: '128' },
    steps: { type: 'string', default: '15' },
    iters: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    backend: { type: 'string', default: 'auto' },
    threads: { type: 'string', default: 'auto' },
  },
});
const [widthFactor, B, K, iters, warmup] = ['width-factor', 'batch', 'steps', 'iters', 'warmup'].map((k) => Number(values[k as keyof typeof values]));

// The example's constants. Its data are not here (by design it refuses without them): any existing
// path satisfies the config check, and the batches below are random.
const EXAMPLES: Record<PaperKind, string> = { paper32: 'stl10-paper', paper64: 'celeba64-paper', paper256: 'celebahq256-paper' };
const preset = values.preset!;
if (!isPaperKind(preset)) throw new Error(`--preset takes paper32, paper64 or paper256 (got "${preset}")`);
const S = PAPER_SIZES[preset];
const example = JSON.parse(readFileSync(new URL(`../examples/${EXAMPLES[preset]}.ecvae.json`, import.meta.url), 'utf8')) as Record<
  string,
  Record<string, unknown>
>;
const cfg = withDefaults({
  ...example,
  data: { kind: 'cifar10', path: tmpdir(), size: S },
  model: { ...example.model, widthFactor },
  training: { ...example.training, batchSize: B },
  calibration: { ...example.calibration, sgldSteps: K },
});
const report = await selectBackend(values.backend as 'auto' | BackendName);
const model = buildModel(cfg.model, [S, S, 3]);
const state = initTrainState(model, cfg);
const threads = resolveParallelism(values.threads === 'auto' ? 'auto' : Number(values.threads), report.backend, model);
const pool = await Pool.create(model, cfg.model, report.backend, threads);
const x = tf.randomUniform([B!, S, S, 3], -1, 1, 'float32', 0);
const times: number[] = [];
for (let i = 0; i < warmup! + iters!; i++) {
  const t0 = performance.now();
  await trainIteration(model, cfg, state, x, pool);
  if (i >= warmup!) times.push((performance.now() - t0) / 1000);
  console.error(`iteration ${i + 1}: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
}
times.sort((a, b) => a - b);
disposeTrainState(state);
x.dispose();
await pool.close();
const s = summarizeModel(model);
process.stdout.write(
  JSON.stringify({
    impl: `ecvae-tfjs-${report.backend}`,
    model: preset,
    width_factor: widthFactor,
    parameters: { encoder: s.encoder.parameters, decoder: s.decoder.parameters, energy: s.energy.parameters },
    backend: report.backend,
    threads: pool.threads,
    batch: B,
    steps: K,
    sec_per_iter: times[Math.floor(times.length / 2)],
    times,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    // What `ecvae train` checks before it starts (memory.ts): a batch whose estimate is past the budget is refused there.
    memory_estimate_gb_per_thread: Number((estimateTrainingMemory(model, B!, pool.threads).perThreadBytes / 2 ** 30).toFixed(2)),
    refused_by_train: memoryProblem(model, B!, pool.threads, report.backend) !== undefined,
  }) + '\n',
);
