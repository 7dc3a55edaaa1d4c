/** The run loop in-process: stop requests, divergence handling, no leaked tensors. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend } from '../../sidecar/engine/core/backend.ts';
import { readCheckpoint, resolveCheckpoint } from '../../sidecar/engine/store/checkpoint.ts';
import { estimateTrainingMemory, WASM_HEAP_BUDGET } from '../../sidecar/engine/core/memory.ts';
import { buildModel } from '../../sidecar/engine/models/index.ts';
import { train } from '../../sidecar/engine/jobs/run.ts';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { DivergenceError } from '../../sidecar/engine/algorithm/trainer.ts';
import { tempDir, withDefaults } from '../helpers.ts';

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
    runDir: dir,
    signal: ac.signal,
    events: {
      onMetrics: (m) => {
        metrics.push(m.iteration);
        if (m.iteration >= 25) ac.abort();
      },
    },
  });
  assert.equal(r.status, 'stopped');
  assert.ok(r.iteration >= 25 && r.iteration < 200);
  assert.equal(readCheckpoint(resolveCheckpoint(dir)).header.iteration, r.iteration, 'the stop wrote a checkpoint at the stop iteration');
  assert.equal(JSON.parse(readFileSync(join(dir, 'status.json'), 'utf8')).status, 'stopped');
  assert.equal(tf.memory().numTensors, before, 'the run released every tensor it made');
  assert.ok(metrics.length >= 5);
});

test("training.lrDecay anneals toward the run's target, also when --iterations sets it", async () => {
  await selectBackend('auto');
  const cfg = (iterations: number) =>
    withDefaults({ ...base, training: { iterations, batchSize: 32, lrDecay: 0.5 }, logging: { ...base.logging, checkpointEvery: 20 } });
  const vaeOf = (dir: string) => [...readCheckpoint(resolveCheckpoint(dir)).tensors].filter(([name]) => name.startsWith('vae/'));
  const [asConfigured, asFlag] = [tempDir(), tempDir()];
  await train(cfg(20), { runDir: asConfigured });
  await train(cfg(5000), { runDir: asFlag, iterations: 20 });
  const a = vaeOf(asConfigured);
  assert.ok(a.length > 0, 'the checkpoint holds the VAE');
  assert.deepEqual(vaeOf(asFlag), a, 'the same 20 iterations, annealed the same way');
});

test('divergence stops the run with a clear message; the last good checkpoint stays', async () => {
  const dir = tempDir();
  // An absurd learning rate: parameters blow up, exp(logvar) overflows, the losses turn NaN/Inf.
  // The schema refuses it (learning rates are at most 1), so it is set past validation: this is the engine's guard.
  const cfg = withDefaults({
    ...base,
    training: { iterations: 200, batchSize: 32 },
    logging: { ...base.logging, checkpointEvery: 1 },
  });
  Object.assign(cfg.training, { vaeLearningRate: 1e4, ebmLearningRate: 1e4 });
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

test('lambda held at its ceiling by the dual ascent is logged once and marks every logged record from a full window on', async () => {
  const dir = tempDir();
  // ε far below any drift: the violation stays positive and λ sits at lambdaMax from the first step.
  const cfg = withDefaults({
    ...base,
    training: { iterations: 60, batchSize: 32 },
    calibration: { ...base.calibration, lambdaInit: 2, lambdaMax: 2, epsilon: 1e-12 },
  });
  const logs: string[] = [];
  const warned: number[] = [];
  const r = await train(cfg, {
    runDir: dir,
    events: { onLog: (m) => logs.push(m), onMetrics: (m) => void (m.calibrationWarning?.includes('lambda at its ceiling') && warned.push(m.iteration)) },
  });
  assert.equal(r.status, 'finished');
  const ceiling = logs.filter((l) => l.startsWith('warning: lambda at its ceiling'));
  assert.equal(ceiling.length, 1, 'logged once, when it starts');
  assert.match(ceiling[0]!, /^warning: lambda at its ceiling \(iterations 5–40\): calibration\.lambdaMax 2 caps the dual ascent/);
  assert.deepEqual(warned, [40, 45, 50, 55, 60], 'every logged record from a full window on');
  // Held λ (learning rate 0) at the same value: no warning.
  const held = withDefaults({
    ...base,
    training: { iterations: 60, batchSize: 32 },
    calibration: { ...base.calibration, lambdaInit: 2, lambdaMax: 2, lambdaLearningRate: 0 },
  });
  const heldLogs: string[] = [];
  await train(held, { runDir: tempDir(), events: { onLog: (m) => heldLogs.push(m) } });
  assert.ok(!heldLogs.some((l) => /lambda at its ceiling/.test(l)), heldLogs.join('\n'));
});

test('batch size larger than the dataset is refused before training', async () => {
  await assert.rejects(
    train(withDefaults({ ...base, data: { kind: 'mnist', limit: 10 }, training: { batchSize: 32 } }), { runDir: tempDir() }),
    /training\.batchSize \(32\) is larger than the dataset \(10 examples\)/,
  );
});

test('a config past the wasm heap is refused before anything is written, with what to lower', async () => {
  const runDir = join(tempDir(), 'huge');
  const huge = withDefaults({
    ...base,
    data: { kind: 'mnist', limit: 64 },
    model: { kind: 'conv', width: 1024, levels: 2 },
    training: { batchSize: 32, parallelism: 1 },
    backend: 'wasm',
  });
  // Measured: width 1024 aborted inside XNNPACK ("Aborted()") before this check existed.
  await assert.rejects(
    train(huge, { runDir }),
    /need about [\d.]+ GB per thread on the wasm backend .* more than its 3\.5 GB heap\. Lower model\.width, model\.hidden or training\.batchSize\./,
  );
  assert.ok(!existsSync(runDir), 'no run folder left behind');
  // The shipped examples and the reference architecture fit with room to spare.
  for (const [c, shape] of [
    [{ data: { kind: 'mnist' }, model: { kind: 'conv', latentDim: 8, width: 8, ebmHidden: 64 } }, [28, 28, 1]],
    [{ data: { kind: 'mnist' }, model: { kind: 'conv', width: 32, latentDim: 64, ebmHidden: 256 } }, [32, 32, 3]],
  ] as const) {
    const cfg = withDefaults(c);
    assert.ok(estimateTrainingMemory(buildModel(cfg.model, [...shape]), 32, 1).perThreadBytes < WASM_HEAP_BUDGET / 10);
  }
});
