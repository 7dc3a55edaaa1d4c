/**
 * The 64x64 and 256x256 paper presets end to end at a small width on generated images:
 * training from an image folder, a run stopped at a checkpoint and resumed equals the
 * uninterrupted run, samples (one-step and MCMC-refined) from the checkpoint, and every
 * tensor released (tf.memory().numTensors back where it started); `ecvae info --model` sizes
 * both beside the official counts.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { drawSamples } from '../../sidecar/engine/algorithm/sample.ts';
import { parseConfig } from '../../sidecar/engine/config/config.ts';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { encodePng } from '../../sidecar/engine/data/images.ts';
import { train } from '../../sidecar/engine/jobs/run.ts';
import { loadTrained } from '../../sidecar/engine/store/trainedModel.ts';
import { cli, lastJson, tempDir, useBackend } from '../helpers.ts';

/** Smooth colour blobs: an image folder of `n` PNGs at size x size. */
function imageFolder(dir: string, n: number, size: number): void {
  mkdirSync(dir, { recursive: true });
  for (let k = 0; k < n; k++) {
    const px = new Uint8Array(size * size * 3);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        for (let c = 0; c < 3; c++) px[(y * size + x) * 3 + c] = Math.round(127.5 + 127 * Math.sin((x * (c + 1) + y * (k + 1)) / (size / 4) + k));
    writeFileSync(join(dir, `img${k}.png`), encodePng(px, size, size, 3, false));
  }
}

const metrics = (run: string): Record<string, number>[] =>
  readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>);

for (const [kind, size] of [
  ['paper64', 64],
  ['paper256', 256],
] as const) {
  test(`${kind} at width 1/64 on generated images: trains, resumes to the uninterrupted run's numbers, samples, no leaked tensors`, async () => {
    await useBackend('wasm');
    const dir = tempDir();
    imageFolder(join(dir, 'images'), 4, size);
    const parsed = parseConfig(
      JSON.stringify({
        seed: 1,
        data: { kind: 'folder', path: 'images', size, resize: 'bilinear', hflip: true },
        model: { kind, widthFactor: 1 / 64, latentDim: 4, spectralNorm: ['encoder', 'decoder', 'energy'], temperature: 0.1 },
        training: { iterations: 2, batchSize: 2, parallelism: 1 },
        calibration: { sgldSteps: 1 },
        logging: { every: 1, sampleEvery: 100, checkpointEvery: 1, sampleCount: 2 },
      }),
      dir,
    );
    assert.ok(parsed.ok, JSON.stringify(!parsed.ok && parsed.diagnostics));
    const config = parsed.config;
    const before = tf.memory().numTensors;
    const whole = await train(config, { runDir: join(dir, 'whole') });
    assert.equal(whole.status, 'finished');
    await train(config, { runDir: join(dir, 'split'), iterations: 1 });
    const resumed = await train(config, { runDir: join(dir, 'split'), resume: true });
    assert.equal(resumed.resumedFrom, 1);
    assert.equal(tf.memory().numTensors, before, 'training released every tensor');
    const [a, b] = [metrics(join(dir, 'whole')), metrics(join(dir, 'split'))];
    assert.equal(b.length, a.length);
    // The resumed iteration starts from checkpointed parameters, Adam moments, BatchNorm statistics and spectral-norm vectors.
    for (const k of ['rec', 'kl', 'cal', 'eData', 'eNeg', 'lambda'])
      assert.ok(Math.abs(a[1]![k]! - b[1]![k]!) <= 1e-5 * Math.max(1, Math.abs(a[1]![k]!)), `${k}: ${b[1]![k]} resumed vs ${a[1]![k]}`);
    const m = loadTrained(join(dir, 'whole'));
    for (const steps of [0, 2]) {
      const { x } = drawSamples(m, 2, steps, 5);
      assert.deepEqual(x.shape, [2, size, size, 3]);
      assert.ok(
        Array.from(x.dataSync()).every((v) => Number.isFinite(v)),
        `samples finite (${steps} MCMC steps)`,
      );
      x.dispose();
    }
    m.dispose();
    assert.equal(tf.memory().numTensors, before, 'sampling released every tensor');
  });
}

test('ecvae info --model paper64 / paper256: counts at width factor 1 equal the official ones, with memory estimates', () => {
  for (const kind of ['paper64', 'paper256']) {
    const r = cli(['info', '--model', kind, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const j = lastJson(r.stdout) as {
      rows: {
        widthFactor: number;
        encoder: { parameters: number };
        decoder: { parameters: number };
        energy: { parameters: number };
        trainingMemory: { perThreadBytes: number };
      }[];
      official: { encoder: number; decoder: number; energy: number; unused?: { count: number } };
    };
    const full = j.rows.find((row) => row.widthFactor === 1)!;
    const o = j.official;
    assert.deepEqual(
      [full.encoder.parameters, full.decoder.parameters + (o.unused?.count ?? 0), full.energy.parameters],
      [o.encoder, o.decoder, o.energy],
      kind,
    );
    assert.ok(
      j.rows.every(
        (row, i) => row.trainingMemory.perThreadBytes > 0 && (i === 0 || row.trainingMemory.perThreadBytes < j.rows[i - 1]!.trainingMemory.perThreadBytes),
      ),
    );
  }
  const human = cli(['info', '--model', 'paper256']);
  assert.match(human.stdout, /official\s+9,134,064\s+24,933,536\s+23,815,169/);
});
