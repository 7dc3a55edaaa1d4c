/**
 * Benchmark: one EC-VAE training iteration of the reference model of
 * shared/bench/README.md (same layers, shapes, batch, SGLD steps, two SGLD chains, two
 * Adam updates) on the selected backend. Prints one JSON line.
 *   npm run bench -- [--batch 32] [--size 32] [--width 32] [--steps 15] [--iters 5] [--warmup 1] [--backend wasm] [--threads auto|N]
 */
import { parseArgs } from 'node:util';
import { selectBackend } from '../sidecar/engine/backend.ts';
import type { BackendName } from '../sidecar/engine/config.ts';
import { withDefaults } from '../sidecar/engine/config.ts';
import { buildModel } from '../sidecar/engine/models/index.ts';
import { resolveParallelism, SgldPool } from '../sidecar/engine/parallel/sgldPool.ts';
import * as tf from '../sidecar/engine/tf.ts';
import { disposeTrainState, initTrainState, trainIteration } from '../sidecar/engine/trainer.ts';

console.log = console.error; // keep stdout for the JSON result
const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '32' }, size: { type: 'string', default: '32' }, width: { type: 'string', default: '32' },
    steps: { type: 'string', default: '15' }, iters: { type: 'string', default: '5' }, warmup: { type: 'string', default: '1' },
    backend: { type: 'string', default: 'auto' }, threads: { type: 'string', default: 'auto' }, json: { type: 'boolean' },
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
const threads = resolveParallelism(values.threads === 'auto' ? 'auto' : Number(values.threads), report.backend, model.kind);
const pool = await SgldPool.create(model, cfg.model, report.backend, threads);
const x = tf.randomUniform([B!, S!, S!, 3], -1, 1, 'float32', 0);
const times: number[] = [];
for (let i = 0; i < warmup! + iters!; i++) {
  const t0 = performance.now();
  await trainIteration(model, cfg, state, x, pool.run);
  if (i >= warmup!) times.push((performance.now() - t0) / 1000);
}
times.sort((a, b) => a - b);
const secPerIter = times[Math.floor(times.length / 2)]!;
disposeTrainState(state);
x.dispose();
await pool.close();
process.stdout.write(JSON.stringify({ impl: `ecvae-tfjs-${report.backend}`, backend: report.backend, threads: pool.threads, batch: B, size: S, width: W, steps: K, sec_per_iter: secPerIter, times }) + '\n');
