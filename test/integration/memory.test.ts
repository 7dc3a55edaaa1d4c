/** Memory stays flat over a long run: 1,000 iterations of the bundled toy example. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadConfigFile } from '../../sidecar/engine/config/config.ts';
import { batchIndices, gather, loadDataset } from '../../sidecar/engine/data/index.ts';
import { buildModel } from '../../sidecar/engine/models/index.ts';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { disposeTrainState, initTrainState, trainIteration } from '../../sidecar/engine/algorithm/trainer.ts';
import { repoRoot, useBackend } from '../helpers.ts';

test('tensors and backend bytes are flat across 1,000 iterations of examples/toy-25gaussians', async () => {
  await useBackend('wasm');
  const r = loadConfigFile(join(repoRoot, 'examples', 'toy-25gaussians.ecvae.json'));
  assert.ok(r.ok);
  const cfg = r.config;
  const data = loadDataset(cfg.data, cfg.seed);
  const model = buildModel(cfg.model, data.shape);
  const state = initTrainState(model, cfg);
  const B = cfg.training.batchSize;
  const samples: { tensors: number; bytes: number }[] = [];
  for (let t = 1; t <= 1000; t++) {
    const x = tf.tensor2d(gather(data, batchIndices(data.size, B, t, cfg.seed)), [B, 2]);
    await trainIteration(model, cfg, state, x);
    x.dispose();
    if (t % 100 === 0) samples.push({ tensors: tf.memory().numTensors, bytes: tf.memory().numBytes });
  }
  assert.ok(
    samples.every((s) => s.tensors === samples[0]!.tensors),
    `tensor counts: ${samples.map((s) => s.tensors).join(', ')}`,
  );
  assert.ok(
    samples.every((s) => s.bytes === samples[0]!.bytes),
    `bytes: ${samples.map((s) => s.bytes).join(', ')}`,
  );
  disposeTrainState(state);
});
