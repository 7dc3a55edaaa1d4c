/**
 * Speed of the MNIST example's model (examples/mnist.ecvae.json, random weights: the time
 * does not depend on them) at test time, warm: sampling (one decoder pass, `generate`,
 * what `ecvae sample` does without MCMC steps) in images per second, and one 28x28
 * restoration (centre inpainting, RESTORE_DEFAULTS: 50 steps) in seconds. Each is run
 * once to warm up, then timed `--repeats` times; prints the medians and every time as
 * one JSON line.
 *   npm run bench:mnist-speed -- [--n 1024] [--repeats 5] [--backend auto]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { selectBackend } from '../sidecar/engine/core/backend.ts';
import { withDefaults, type BackendName } from '../sidecar/engine/config/config.ts';
import * as tf from '../sidecar/engine/core/tf.ts';
import { buildModel } from '../sidecar/engine/models/index.ts';
import { generate } from '../sidecar/engine/algorithm/sample.ts';
import { disposeTrainState, initTrainState } from '../sidecar/engine/algorithm/trainer.ts';
import { loadMask } from '../sidecar/engine/restore/masks.ts';
import { inpainting, observe } from '../sidecar/engine/restore/degradations.ts';
import { restore, RESTORE_DEFAULTS } from '../sidecar/engine/restore/restore.ts';
import { median } from './medianMs.ts';

console.log = console.error; // keep stdout for the JSON result

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '1024' },
    repeats: { type: 'string', default: '5' },
    backend: { type: 'string', default: 'auto' },
    json: { type: 'boolean' }, // the output is JSON either way
  },
});
const n = Number(values.n);
const repeats = Number(values.repeats);
const report = await selectBackend(values.backend as 'auto' | BackendName);
const example = JSON.parse(readFileSync(new URL('../examples/mnist.ecvae.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const cfg = withDefaults(example);
const model = buildModel(cfg.model, [28, 28, 1]);
const state = initTrainState(model, cfg);

/** Seconds of each timed call of f after one warm-up call. */
async function timed(f: () => Promise<void> | void): Promise<number[]> {
  await f();
  const out: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await f();
    out.push((performance.now() - t0) / 1000);
  }
  return out;
}

const numTensors = tf.memory().numTensors;
const sampling = await timed(() => {
  const x = generate(model, state.vae, n, 1);
  x.dataSync(); // what a caller that writes the images waits for
  x.dispose();
});
const clean = tf.tidy(() => tf.randomUniform([1, 28, 28, 1], -1, 1, 'float32', 2)) as tf.Tensor4D;
const { mask } = loadMask('center', 28);
const op = inpainting(mask);
const y = observe(op, clean, 3);
const restoring = await timed(async () => {
  const r = await restore(model, state.vae, state.ebm!, op, y, RESTORE_DEFAULTS, { temperature: cfg.model.temperature });
  r.dataSync();
  r.dispose();
});
tf.dispose([clean, mask, y]);
const leaked = tf.memory().numTensors - numTensors;
disposeTrainState(state);
process.stdout.write(
  JSON.stringify({
    model: 'examples/mnist.ecvae.json (random weights)',
    backend: report.backend,
    sampling_images_per_sec: Math.round(n / median(sampling)),
    sampling_batch: n,
    sampling_seconds: sampling,
    restore_seconds: median(restoring),
    restore_steps: RESTORE_DEFAULTS.steps,
    restore_times: restoring,
    tensors_leaked: leaked,
  }) + '\n',
);
