/**
 * Benchmark: one EC-VAE training iteration of the reference model of
 * bench/reference/README.md (same layers, shapes, batch, SGLD steps, two SGLD chains, two
 * Adam updates) on the selected backend, plus one-step sampling throughput and the
 * latency of restoring one image (centre inpainting, default steps). Then, where
 * Debian's PyTorch is installed (/usr/bin/python3 with torch), the same iteration in
 * PyTorch (bench/reference/torch_ref.py) with the same shapes and thread count, in the
 * same run, and the ratio of the two. Prints one JSON line.
 *   npm run bench -- [--batch 32] [--size 32] [--width 32] [--steps 15] [--iters 5] [--warmup 1] [--backend wasm] [--threads auto|N] [--no-torch]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { selectBackend } from '../sidecar/engine/core/backend.ts';
import type { BackendName } from '../sidecar/engine/config/config.ts';
import { withDefaults } from '../sidecar/engine/config/config.ts';
import { buildModel } from '../sidecar/engine/models/index.ts';
import { loadMask } from '../sidecar/engine/restore/masks.ts';
import { inpainting, observe } from '../sidecar/engine/restore/degradations.ts';
import { restore, RESTORE_DEFAULTS } from '../sidecar/engine/restore/restore.ts';
import { generate } from '../sidecar/engine/algorithm/sample.ts';
import { Pool } from '../sidecar/engine/parallel/pool.ts';
import { resolveParallelism } from '../sidecar/engine/parallel/threads.ts';
import * as tf from '../sidecar/engine/core/tf.ts';
import { disposeTrainState, initTrainState, trainIteration } from '../sidecar/engine/algorithm/trainer.ts';

console.log = console.error; // keep stdout for the JSON result

/**
 * Multiply-adds x 2 of one training iteration of the reference model (conv and dense
 * layers only; elementwise work is ignored). A backward pass costs ~2 forwards (dx and
 * dW); SGLD needs dx only (~1 forward).
 */
function iterationFlops(a: { B: number; S: number; C: number; W: number; L: number; Z: number; H: number; K: number }): number {
  const conv = (size: number, k: number, cin: number, cout: number): number => 2 * size * size * k * k * cin * cout;
  const top = a.W * 2 ** (a.L - 1);
  const flat = top * (a.S / 2 ** a.L) ** 2;
  const encCh = [a.C, ...Array.from({ length: a.L }, (_, i) => a.W * 2 ** i)];
  let enc = 2 * flat * 2 * a.Z;
  for (let i = 0; i < a.L; i++) enc += conv(a.S / 2 ** (i + 1), 4, encCh[i]!, encCh[i + 1]!);
  const decCh = [...Array.from({ length: a.L }, (_, i) => a.W * 2 ** (a.L - 1 - i)), a.W];
  let dec = 2 * a.Z * flat + conv(a.S, 3, a.W, a.C);
  for (let i = 0; i < a.L; i++) dec += conv(a.S / 2 ** (a.L - 1 - i), 3, decCh[i]!, decCh[i + 1]!);
  const ebmCh = Array.from({ length: a.L }, (_, i) => a.W * 2 ** i);
  let ebm = conv(a.S, 3, a.C, a.W) + 2 * ebmCh[a.L - 1]! * a.H + 2 * a.H;
  for (let i = 0; i < a.L; i++) ebm += conv(a.S / 2 ** i, 3, ebmCh[Math.max(i - 1, 0)]!, ebmCh[i]!);
  // VAE step: enc + dec (rec) and dec (cal) forward+backward, plus G(n) for the chain start.
  // Two chains of K steps (forward + dx). EBM step: G(n) again, E on data and negatives, forward+backward.
  const perExample = 3 * enc + 3 * dec + dec + 3 * dec + 2 * a.K * 2 * ebm + dec + 2 * 3 * ebm;
  return a.B * perExample;
}
const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '32' },
    size: { type: 'string', default: '32' },
    width: { type: 'string', default: '32' },
    steps: { type: 'string', default: '15' },
    iters: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    backend: { type: 'string', default: 'auto' },
    threads: { type: 'string', default: 'auto' },
    json: { type: 'boolean' },
    'no-torch': { type: 'boolean' },
  },
});
const [B, S, W, K, iters, warmup] = ['batch', 'size', 'width', 'steps', 'iters', 'warmup'].map((k) => Number(values[k as keyof typeof values]));

const report = await selectBackend(values.backend as 'auto' | BackendName);
const cfg = withDefaults({
  data: { kind: 'mnist' }, // only to validate the config: the model is built for [S, S, 3] and the data are random like the reference
  model: { kind: 'conv', width: W, latentDim: 64, ebmHidden: 256 }, // levels follow the size: 3 for 32x32
  training: { batchSize: B },
  calibration: { sgldSteps: K },
});
const model = buildModel(cfg.model, [S!, S!, 3]);
const state = initTrainState(model, cfg);
const threads = resolveParallelism(values.threads === 'auto' ? 'auto' : Number(values.threads), report.backend, model);
const pool = await Pool.create(model, cfg.model, report.backend, threads);
const x = tf.randomUniform([B!, S!, S!, 3], -1, 1, 'float32', 0);
const times: number[] = [];
for (let i = 0; i < warmup! + iters!; i++) {
  const t0 = performance.now();
  await trainIteration(model, cfg, state, x, pool);
  if (i >= warmup!) times.push((performance.now() - t0) / 1000);
}
times.sort((a, b) => a - b);
const secPerIter = times[Math.floor(times.length / 2)]!;

// One-step sampling throughput and restoration latency on the same (random-weight) model.
const t0 = performance.now();
generate(model, state.vae, 256, 1).dispose();
const imagesPerSec = 256 / ((performance.now() - t0) / 1000);
const clean = tf.randomUniform([1, S!, S!, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
const { mask } = loadMask('center', S!);
const op = inpainting(mask);
const y = observe(op, clean, 3);
const t1 = performance.now();
(await restore(model, state.vae, state.ebm!, op, y, RESTORE_DEFAULTS, { temperature: cfg.model.temperature })).dispose();
const restoreSeconds = (performance.now() - t1) / 1000;
[clean, mask, y].forEach((t) => t.dispose());

disposeTrainState(state);
x.dispose();
await pool.close();
// Peak resident memory of this process (all its threads) so far: training, sampling and restoration.
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
const torch = values['no-torch'] ? undefined : torchReference({ B: B!, S: S!, W: W!, K: K!, iters: iters!, warmup: warmup!, threads: pool.threads });
const flops = iterationFlops({ B: B!, S: S!, C: 3, W: W!, L: 3, Z: 64, H: 256, K: K! });
process.stdout.write(
  JSON.stringify({
    impl: `ecvae-tfjs-${report.backend}`,
    backend: report.backend,
    threads: pool.threads,
    ...(report.kernels ? { kernels: report.kernels } : {}),
    batch: B,
    size: S,
    width: W,
    steps: K,
    sec_per_iter: secPerIter,
    times,
    gflop_per_iter: flops / 1e9,
    gflops: flops / 1e9 / secPerIter,
    sampling_images_per_sec: imagesPerSec,
    restore_seconds_per_image: restoreSeconds,
    restore_steps: RESTORE_DEFAULTS.steps,
    peak_rss_mb: peakRssMb,
    ...(torch ? { torch_impl: torch.impl, torch_sec_per_iter: torch.sec, ratio_to_torch: secPerIter / torch.sec } : { torch: 'not run' }),
  }) + '\n',
);

/**
 * The PyTorch reference iteration on the same machine right after ours, or undefined
 * (with the reason on stderr) where /usr/bin/python3 has no torch.
 */
function torchReference(a: {
  B: number;
  S: number;
  W: number;
  K: number;
  iters: number;
  warmup: number;
  threads: number;
}): { impl: string; sec: number } | undefined {
  const script = fileURLToPath(new URL('./reference/torch_ref.py', import.meta.url));
  const args = [script, '--batch', a.B, '--size', a.S, '--width', a.W, '--steps', a.K, '--iters', a.iters, '--warmup', a.warmup, '--threads', a.threads].map(
    String,
  );
  const r = spawnSync('/usr/bin/python3', args, { encoding: 'utf8', timeout: 30 * 60_000 });
  if (r.status !== 0) {
    console.error(
      `PyTorch reference not run: ${r.error?.message ?? r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`} (apt-get install -y python3-torch)`,
    );
    return undefined;
  }
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { impl: string; sec_per_iter: number };
  return { impl: j.impl, sec: j.sec_per_iter };
}
