/**
 * Benchmark: training iterations of the paper's own setting (model.kind "paper32" with
 * examples/stl10-paper.ecvae.json's constants: batch 128, 128-d latent, 15 SGLD steps
 * per chain, tau 1e-5; with --preset paper64 / paper256, the CelebA examples' constants)
 * at a width factor, on random batches of the preset's size (the time does not depend on
 * the pixels). Then, for paper32 and where Debian's PyTorch is installed (/usr/bin/python3
 * with torch), the official networks' iteration at the same width factor, batch, SGLD
 * steps and threads (bench/official/torch_paper32.py) in the same run, and the ratio of
 * the two. Prints one JSON line: seconds per iteration (median), the model's parameter
 * counts, threads, backend, peak resident memory of the process, PyTorch's seconds.
 *   npm run bench:paper32 -- [--preset paper32|paper64|paper256] [--width-factor 0.125] [--batch 128] [--steps 15] [--iters 3] [--warmup 1] [--backend auto] [--threads auto|N] [--json] [--no-torch] [--profile]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { selectBackend } from '../sidecar/engine/core/backend.ts';
import { withDefaults, type BackendName } from '../sidecar/engine/config/config.ts';
import { isPaperKind, PAPER_SIZES, type PaperKind } from '../sidecar/engine/config/sizes.ts';
import { estimateTrainingMemory, memoryProblem } from '../sidecar/engine/core/memory.ts';
import { buildModel } from '../sidecar/engine/models/index.ts';
import { summarizeModel } from '../sidecar/engine/models/summary.ts';
import { Pool } from '../sidecar/engine/parallel/pool.ts';
import { resolveParallelism } from '../sidecar/engine/parallel/threads.ts';
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
    json: { type: 'boolean' }, // the output is JSON either way; accepted like `npm run bench -- --json`
    'no-torch': { type: 'boolean' },
    // one more iteration under tf.profile: this thread's kernels by total time (with one thread, the whole iteration's)
    profile: { type: 'boolean' },
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
const profile = values.profile ? await kernelProfile() : undefined;
disposeTrainState(state);
x.dispose();
await pool.close();
const s = summarizeModel(model);
const secPerIter = times[Math.floor(times.length / 2)]!;
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
const torch =
  preset !== 'paper32'
    ? { skipped: 'the PyTorch side is written for paper32 only' }
    : values['no-torch']
      ? { skipped: '--no-torch' }
      : torchPaper32({ widthFactor: widthFactor!, B: B!, K: K!, iters: iters!, warmup: warmup!, threads: pool.threads });
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
    sec_per_iter: secPerIter,
    times,
    peak_rss_mb: peakRssMb,
    // What `ecvae train` checks before it starts (memory.ts): a batch whose estimate is past the budget is refused there.
    memory_estimate_gb_per_thread: Number((estimateTrainingMemory(model, B!, pool.threads).perThreadBytes / 2 ** 30).toFixed(2)),
    refused_by_train: memoryProblem(model, B!, pool.threads, report.backend) !== undefined,
    ...(profile ? { profile } : {}),
    ...('sec' in torch
      ? { torch_impl: torch.impl, torch_sec_per_iter: torch.sec, torch_times: torch.times, ratio_to_torch: secPerIter / torch.sec }
      : { torch: `not run: ${torch.skipped}` }),
  }) + '\n',
);

/** The official networks' iteration in PyTorch on the same machine right after ours, or why it did not run. */
function torchPaper32(a: {
  widthFactor: number;
  B: number;
  K: number;
  iters: number;
  warmup: number;
  threads: number;
}): { impl: string; sec: number; times: number[] } | { skipped: string } {
  const script = fileURLToPath(new URL('./official/torch_paper32.py', import.meta.url));
  const args = [script, '--width-factor', a.widthFactor, '--batch', a.B, '--steps', a.K, '--iters', a.iters, '--warmup', a.warmup, '--threads', a.threads].map(
    String,
  );
  console.error(`PyTorch: /usr/bin/python3 ${args.join(' ')}`);
  const r = spawnSync('/usr/bin/python3', args, { encoding: 'utf8', timeout: 60 * 60_000, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) {
    const why = r.error?.message ?? `exit ${r.status}`;
    console.error(`PyTorch side not run: ${why} (apt-get install -y python3-torch)`);
    return { skipped: why };
  }
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { impl: string; sec_per_iter: number; times: number[] };
  return { impl: j.impl, sec: j.sec_per_iter, times: j.times };
}

/** One more iteration under tf.profile: its wall time, kernel calls and the kernels with the most time. */
async function kernelProfile(): Promise<{ wall_ms: number; kernel_calls: number; top_kernels: { name: string; ms: number; calls: number }[] }> {
  const t0 = performance.now();
  const info = await tf.profile(async () => {
    await trainIteration(model, cfg, state, x, pool);
  });
  const wall = performance.now() - t0;
  const byName = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += Number(k.kernelTimeMs);
    e.calls++;
    byName.set(k.name, e);
  }
  const top = [...byName.entries()]
    .map(([name, e]) => ({ name, ms: Math.round(e.ms), calls: e.calls }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 12);
  return { wall_ms: Math.round(wall), kernel_calls: info.kernels.length, top_kernels: top };
}
