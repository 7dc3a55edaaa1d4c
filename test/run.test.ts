/** The run loop in-process: stop requests, divergence handling, no leaked tensors. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '../sidecar/engine/backend.ts';
import { readCheckpoint, resolveCheckpoint } from '../sidecar/engine/checkpoint.ts';
import { train } from '../sidecar/engine/run.ts';
import * as tf from '../sidecar/engine/tf.ts';
import { DivergenceError } from '../sidecar/engine/trainer.ts';
import { tempDir, withDefaults } from './helpers.ts';

const base = {
  data: { kind: 'gaussians25', count: 1000 },
  model: { hidden: 16, depth: 2, latentDim: 2 },
  training: { iterations: 200, batchSize: 32 },
  calibration: { sgldSteps: 2, sgldStepSize: 0.001 },
  logging: { every: 5, sampleEvery: 1000, checkpointEvery: 10, sampleCount: 2 },
};

test('an abort request stops after the current iteration with a checkpoint, and leaks no tensors', async () => {
  const dir = tempDir();
  const ac = new AbortController();
  await selectBackend('auto');
  const before = tf.memory().numTensors;
  const metrics: number[] = [];
  const r = await train(withDefaults(base), {
    runDir: dir, signal: ac.signal,
    events: { onMetrics: (m) => { metrics.push(m.iteration); if (m.iteration >= 25) ac.abort(); } },
  });
  assert.equal(r.status, 'stopped');
  assert.ok(r.iteration >= 25 && r.iteration < 200);
  assert.equal(readCheckpoint(resolveCheckpoint(dir)).header.iteration, r.iteration, 'the stop wrote a checkpoint at the stop iteration');
  assert.equal(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).status, 'stopped');
  assert.equal(tf.memory().numTensors, before, 'the run released every tensor it made');
  assert.ok(metrics.length >= 5);
});

test('divergence stops the run with a clear message; the last good checkpoint stays', async () => {
  const dir = tempDir();
  // An absurd learning rate: parameters blow up, exp(logvar) overflows, the losses turn NaN/Inf.
  const cfg = withDefaults({ ...base, training: { iterations: 200, batchSize: 32, vaeLearningRate: 1e4, ebmLearningRate: 1e4 }, logging: { ...base.logging, checkpointEvery: 1 } });
  const logs: string[] = [];
  await assert.rejects(train(cfg, { runDir: dir, events: { onLog: (m) => logs.push(m) } }), (err: unknown) => {
    assert.ok(err instanceof DivergenceError, String(err));
    assert.match(err.message, /Training diverged at iteration \d+: .*=(NaN|Infinity|-Infinity).*Lower training\.vaeLearningRate/);
    return true;
  });
  const status = JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')) as { status: string; message: string };
  assert.equal(status.status, 'failed');
  assert.match(status.message, /Training diverged/);
  const ck = readCheckpoint(resolveCheckpoint(dir));
  for (const [name, t] of ck.tensors) assert.ok(t.data.every(Number.isFinite), `${name} in the kept checkpoint is finite`);
  assert.ok(logs.some((l) => /last good checkpoint/.test(l)));
});

test('batch size larger than the dataset is refused before training', async () => {
  await assert.rejects(train(withDefaults({ ...base, data: { kind: 'mnist', limit: 10 }, training: { batchSize: 32 } }), { runDir: tempDir() }), /training\.batchSize \(32\) is larger than the dataset \(10 examples\)/);
});
