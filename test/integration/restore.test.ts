/**
 * Restoration: the algebra of every degradation operator, masks, the bicubic baseline,
 * metrics against known values, and the restoration loop's guarantees on a tiny model.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePng } from '../../sidecar/engine/data/images.ts';
import { bicubicUpsample } from '../../sidecar/engine/restore/bicubic.ts';
import { CancelledError } from '../../sidecar/engine/core/cancel.ts';
import { restoreTask } from '../../sidecar/engine/restore/restoreTask.ts';
import { loadMask } from '../../sidecar/engine/restore/masks.ts';
import { uniformStream } from '../../sidecar/engine/core/rng.ts';
import { presetMaskBits } from '../../sidecar/protocol.ts';
import { meanSsim, psnr } from '../../sidecar/engine/restore/metrics.ts';
import {
  colorization,
  DEGRADATIONS,
  denoising,
  inpainting,
  rangeNullProject,
  superResolution,
  type Degradation,
} from '../../sidecar/engine/restore/degradations.ts';
import { RESTORATION_TASKS, TASK_NAMES } from '../../sidecar/restorationTasks.ts';
import { RESTORE_DEFAULTS } from '../../sidecar/engine/restore/restore.ts';
import { restoreFile } from '../../sidecar/app/restore.ts';
import { sampleToFile } from '../../sidecar/app/sample.ts';
import { interpolate } from '../../extension/samples/messages.ts';
import { train } from '../../sidecar/engine/jobs/run.ts';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { loadTrained } from '../../sidecar/engine/store/trainedModel.ts';
import { assertClose, tempDir, useBackend, withDefaults } from '../helpers.ts';

const rand = (shape: [number, number, number, number], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed) as tf.Tensor4D;

function checkAlgebra(op: Degradation, x: tf.Tensor4D, what: string): void {
  tf.tidy(() => {
    const y = op.apply(x);
    assertClose(op.apply(op.pinv(y)).dataSync(), y.dataSync(), 1e-5, 1e-6, `${what}: A(A+ y) = y`);
    const pa = (v: tf.Tensor4D) => op.pinv(op.apply(v));
    assertClose(pa(pa(x)).dataSync(), pa(x).dataSync(), 1e-5, 1e-6, `${what}: A+A is idempotent`);
    const xhat = rand(x.shape, 99);
    assertClose(op.apply(rangeNullProject(op, y, xhat)).dataSync(), y.dataSync(), 1e-5, 1e-6, `${what}: A P(x^) = y`);
  });
}

test('degradation operators: A(A+ y) = y, A+A idempotent, A P(x^) = y', async () => {
  await useBackend('wasm');
  const x3 = rand([2, 16, 16, 3], 1);
  const x1 = rand([2, 16, 16, 1], 2);
  const { mask } = loadMask('random:0.4', 16, 7);
  checkAlgebra(inpainting(mask), x3, 'inpainting');
  checkAlgebra(colorization(), x3, 'colorization');
  for (const f of [2, 4, 8]) checkAlgebra(superResolution(f), x1, `sr x${f}`);
  checkAlgebra(denoising(0.2), x1, 'denoising');
  // Every task of the table has behaviour, with the baselines the table promises.
  for (const task of TASK_NAMES) {
    const params = task === 'inpaint' ? { mask: 'half' } : {};
    const model = { size: 16, channels: 3, seed: 1 };
    const op = DEGRADATIONS[task].create(params, model);
    const y = rand([1, ...DEGRADATIONS[task].observedShape(params, model)], 5);
    const base = op.baselines(y);
    assert.deepEqual(Object.keys(base), RESTORATION_TASKS[task].baselines, task);
    for (const b of Object.values(base))
      assert.deepEqual(
        b.shape,
        x3.shape.map((d, i) => (i ? d : 1)),
        `${task}: a baseline is an image of the model size`,
      );
    [y, ...Object.values(base)].forEach((t) => t.dispose());
    op.dispose();
  }
  // Super-resolution's A+ is the Moore–Penrose inverse: A A+ = I on the low-res space.
  const y = rand([1, 4, 4, 1], 3);
  const sr = superResolution(4);
  assertClose(sr.apply(sr.pinv(y)).dataSync(), y.dataSync(), 1e-6, 1e-7, 'A A+ = I');
});

test("the restore panel's preset masks are the engine's: one drawing (presetMaskBits), its random stream the engine's rng", async () => {
  await useBackend('wasm');
  for (const [spec, preset, random] of [
    ['center', 'center', undefined],
    ['half', 'half', undefined],
    ['random:0.3', 'random', { seed: 5, p: 0.3 }],
  ] as const) {
    const engine = loadMask(spec, 12, 5).mask;
    assert.deepEqual([...engine.dataSync()], [...presetMaskBits(preset, 12, 12, random)], spec);
    engine.dispose();
  }
  // The table carries its own copy of mulberry32 (it imports nothing): it must stay engine/core/rng.ts's.
  const u = uniformStream(9);
  assert.deepEqual(
    [...presetMaskBits('random', 7, 5, { seed: 9, p: 0.6 })],
    Array.from({ length: 35 }, () => (u() < 0.6 ? 0 : 1)),
  );
  // Non-square pictures (the panel previews at the picture's size): the box is half of each side.
  const box = presetMaskBits('center', 8, 4);
  assert.deepEqual([...box].map((b, i) => (b ? '' : `${Math.floor(i / 8)},${i % 8}`)).filter(Boolean), [
    '1,2',
    '1,3',
    '1,4',
    '1,5',
    '2,2',
    '2,3',
    '2,4',
    '2,5',
  ]);
});

test('masks: built-ins have the documented shape; a PNG mask must match the model size', async () => {
  await useBackend('wasm');
  const known = (spec: string) => loadMask(spec, 16, 3).mask.sum().dataSync()[0]!;
  assert.equal(known('center'), 256 - 64, 'centre box of half the side is missing');
  assert.equal(known('half'), 128);
  const r = known('random:0.5');
  assert.ok(r > 90 && r < 166, `random:0.5 keeps about half (${r})`);
  assert.throws(() => loadMask('random:1.5', 16), /probability must be in \[0, 1\)/);
  const dir = tempDir();
  const px = new Uint8Array(16 * 16 * 3).fill(255);
  px.fill(0, 0, 16 * 3); // first row black = missing
  writeFileSync(join(dir, 'm.png'), encodePng(px, 16, 16, 3, false));
  assert.equal(loadMask(join(dir, 'm.png'), 16).mask.sum().dataSync()[0], 256 - 16);
  assert.throws(() => loadMask(join(dir, 'm.png'), 28), /Mask .*m\.png is 16x16, but the model works at 28x28/);
  assert.throws(() => loadMask(join(dir, 'nope.png'), 16), /Cannot read image .*nope\.png: file not found/);
});

test('bicubic upsampling keeps constants and reproduces linear ramps away from the edges', async () => {
  await useBackend('wasm');
  const c = tf.fill([1, 4, 4, 1], 0.3) as tf.Tensor4D;
  assertClose(bicubicUpsample(c, 4).dataSync(), new Float32Array(256).fill(0.3), 1e-5, 1e-6, 'constant');
  const ramp = tf.tensor4d(
    Array.from({ length: 8 * 8 }, (_, i) => ((i % 8) - 3.5) / 4),
    [1, 8, 8, 1],
  );
  const up = bicubicUpsample(ramp, 2).dataSync();
  // Output column o samples input coordinate (o + 0.5)/2 - 0.5; interior columns are exact.
  for (let o = 4; o < 12; o++) assert.ok(Math.abs(up[5 * 16 + o]! - ((o + 0.5) / 2 - 0.5 - 3.5) / 4) < 1e-5, `column ${o}`);
});

test('PSNR and SSIM against known values', async () => {
  await useBackend('wasm');
  const a = rand([2, 16, 16, 1], 4);
  // A constant offset of 0.2 in [-1, 1] is 0.1 in [0, 1]: MSE 0.01 -> 20 dB.
  assert.ok(Math.abs(psnr(a, a.add(0.2) as tf.Tensor4D) - 20) < 1e-3);
  assert.ok(psnr(a, a) > 99);
  assert.ok(Math.abs(meanSsim(a, a) - 1) < 1e-9, 'SSIM of an image with itself is 1');
  const noisy = a.add(tf.randomNormal(a.shape, 0, 0.3, 'float32', 5)).clipByValue(-1, 1) as tf.Tensor4D;
  const s = meanSsim(a, noisy);
  assert.ok(s < 0.9 && s > 0, `noise lowers SSIM (${s})`);
  assert.ok(Math.abs(meanSsim(noisy, a) - s) < 1e-9, 'SSIM is symmetric');
});

/** A small conv model on 64 digits, enough to restore with (its checkpoint at the last iteration). */
const tinyDigits = (iterations: number) =>
  withDefaults({
    data: { kind: 'mnist', limit: 64 },
    model: { kind: 'conv', width: 4, latentDim: 4, ebmHidden: 8 },
    training: { iterations, batchSize: 16 },
    calibration: { sgldSteps: 2 },
    logging: { every: 10, sampleEvery: 100, checkpointEvery: iterations },
  });

test('restoreTask on a small trained model: observed pixels kept exactly, baselines reported, bad requests refused', async () => {
  const dir = tempDir();
  const cfg = tinyDigits(20);
  await train(cfg, { runDir: join(dir, 'ec') });
  await train({ ...cfg, calibration: { ...cfg.calibration, enabled: false } }, { runDir: join(dir, 'vae') });
  const m = loadTrained(join(dir, 'ec'));
  const clean = rand([3, 28, 28, 1], 6).clipByValue(-1, 1) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const options = { ...RESTORE_DEFAULTS, steps: 5 };

  const inp = await restoreTask(m, { task: 'inpaint', clean, mask: 'center', options });
  const { mask } = loadMask('center', 28);
  tf.tidy(() => assertClose(inp.output.mul(mask).dataSync(), clean.mul(mask).dataSync(), 1e-5, 1e-6, 'known pixels are kept'));
  assert.ok(inp.report.psnr! > 0 && inp.report.ssim! <= 1);
  assert.deepEqual(Object.keys(inp.report.baselines).sort(), ['meanFill', 'pinv']);
  inp.dispose();

  const sr = await restoreTask(m, { task: 'sr', clean, factor: 4, options });
  assert.deepEqual(sr.observed.shape, [3, 7, 7, 1]);
  tf.tidy(() => assertClose(tf.avgPool(sr.output, 4, 4, 'valid').dataSync(), sr.observed.dataSync(), 1e-5, 1e-6, 'A(output) = y for SR'));
  assert.ok('bicubic' in sr.report.baselines);
  sr.dispose();

  const dn = await restoreTask(m, { task: 'denoise', clean, sigma: 0.2, options });
  assert.deepEqual(dn.output.shape, clean.shape);
  assert.equal(dn.report.degradation, 'denoising (sigma 0.2)');
  dn.dispose();
  const cancel = new AbortController();
  const long = restoreTask(m, { task: 'denoise', clean, sigma: 0.2, options: { ...options, steps: 100_000 } }, cancel.signal);
  setTimeout(() => cancel.abort(), 50);
  await assert.rejects(long, (err: unknown) => err instanceof CancelledError && /Restoration was cancelled/.test(err.message));
  mask.dispose();
  assert.equal(tf.memory().numTensors, before, 'restoration leaks no tensors, cancelled or not');

  await assert.rejects(restoreTask(m, { task: 'colorize', clean, options }), /Colorization needs an RGB model; this checkpoint's images have 1 channel/);
  await assert.rejects(restoreTask(m, { task: 'inpaint', clean, options }), /Inpainting needs a mask/);
  await assert.rejects(
    restoreTask(m, { task: 'sr', observed: rand([1, 14, 14, 1], 8), factor: 4, options }),
    /needs a 7x7 input with 1 channel\(s\); got 14x14 with 1\. Give the low-resolution image/,
  );
  await assert.rejects(
    restoreTask(m, { task: 'denoise', observed: rand([1, 56, 56, 1], 8), options }),
    /needs a 28x28 input .* got 56x56 .*Larger images are not tiled/,
  );
  await assert.rejects(restoreTask(m, { task: 'sr', clean, factor: 3, options }), /factor must be 2, 4 or 8/);
  // Refused requests and a diverged chain leave no tensors behind (a refused inpaint leaked its mask).
  const refusedBefore = tf.memory().numTensors;
  await assert.rejects(restoreTask(m, { task: 'inpaint', mask: 'center', observed: rand([1, 14, 14, 1], 9), options }), /needs a 28x28 input/);
  await assert.rejects(
    restoreTask(m, { task: 'denoise', clean, sigma: 0.2, options: { ...options, stepSize: 1e30 } }),
    /diverged \(non-finite values\) with step size 1e\+30/,
  );
  assert.equal(tf.memory().numTensors, refusedBefore + 1, "only the test's own random input remains");
  const plain = loadTrained(join(dir, 'vae'));
  await assert.rejects(restoreTask(plain, { task: 'denoise', clean, options }), /needs the energy model, but .* is a plain VAE/);
  plain.dispose();
  m.dispose();
});

test('posterior samples and live estimates: each sample its own chain, observed pixels kept in all, frames from step 0; previews without an output file; sample previews with latents and their interpolation', async () => {
  const dir = tempDir();
  const cfg = tinyDigits(10);
  await train(cfg, { runDir: join(dir, 'ec') });
  const m = loadTrained(join(dir, 'ec'));
  const clean = rand([1, 28, 28, 1], 11).clipByValue(-1, 1) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const frames: { step: number; shape: number[] }[] = [];
  const watch = { every: 2, onEstimate: (step: number, x: tf.Tensor4D) => void frames.push({ step, shape: x.shape }) };
  const r = await restoreTask(m, { task: 'inpaint', clean, mask: 'center', samples: 4, watch, options: { ...RESTORE_DEFAULTS, steps: 6 } });
  assert.deepEqual(
    frames.map((f) => f.step),
    [0, 2, 4],
    'a frame before the first step, then every 2',
  );
  assert.ok(frames.every((f) => f.shape.join() === '4,28,28,1'));
  assert.deepEqual(r.output.shape, [4, 28, 28, 1]);
  const { mask } = loadMask('center', 28);
  tf.tidy(() => assertClose(r.output.mul(mask).dataSync(), tf.tile(clean.mul(mask), [4, 1, 1, 1]).dataSync(), 1e-5, 1e-6, 'known pixels kept in every sample'));
  const spread = tf.tidy(() => tf.moments(r.output, 0).variance.mean().dataSync()[0]!);
  assert.ok(spread > 0, 'the samples differ (each chain has its own noise)');
  assert.equal(r.report.perSample!.length, 4);
  const meanPsnr = r.report.perSample!.reduce((a, s) => a + s.psnr!, 0) / 4;
  assert.ok(Math.abs(r.report.psnr! - meanPsnr) < 1e-9, 'the reported PSNR is the mean over samples');
  r.dispose();
  mask.dispose();
  await assert.rejects(restoreTask(m, { task: 'denoise', clean, samples: 17, options: RESTORE_DEFAULTS }), /Posterior samples must be an integer in \[1, 16\]/);
  await assert.rejects(
    restoreTask(m, { task: 'denoise', clean: tf.tile(clean, [2, 1, 1, 1]) as tf.Tensor4D, samples: 2, options: RESTORE_DEFAULTS }),
    /one image at a time; this request has 2/,
  );
  assert.equal(tf.memory().numTensors, before + 1, 'no tensor left but the tiled input of the refused request');

  const image = join(dir, 'digit.png');
  writeFileSync(image, encodePng(clean.dataSync() as Float32Array, 28, 28, 1));
  const seen: number[] = [];
  const out = await restoreFile(
    { checkpoint: join(dir, 'ec'), image, task: 'inpaint', mask: 'half', fromClean: true, samples: 3, previews: true, options: { steps: 4 } },
    undefined,
    { every: 2, frame: (f) => void seen.push(f.step) },
  );
  assert.deepEqual(seen, [0, 2]);
  assert.equal(out.out, undefined);
  const png = /^data:image\/png;base64,[A-Za-z0-9+/]+=*$/;
  assert.equal(out.previews!.samples.length, 3);
  for (const url of [out.previews!.observed, out.previews!.reference!, ...out.previews!.samples, ...Object.values(out.previews!.baselines)])
    assert.match(url, png);
  assert.deepEqual(Object.keys(out.previews!.baselines).sort(), ['meanFill', 'pinv']);
  assert.deepEqual(readdirSync(dir).sort(), ['digit.png', 'ec'], 'nothing written without an output file');
  await assert.rejects(restoreFile({ checkpoint: join(dir, 'ec'), image, task: 'denoise' }), /needs an output file \(out\) or previews/);
  // The samples panel's requests: previews with latents, and decoding given latents (interpolation).
  const drawn = await sampleToFile({ checkpoint: join(dir, 'ec'), n: 3, seed: 5, mcmcSteps: 1, previews: true });
  assert.equal(drawn.out, undefined);
  assert.equal(drawn.previews!.kind, 'images');
  assert.equal(drawn.previews!.oneStep.length, 3);
  assert.equal(drawn.previews!.mcmc!.length, 3);
  assert.deepEqual(
    drawn.previews!.latents!.map((z) => z.length),
    [4, 4, 4],
  );
  const [a, b] = drawn.previews!.latents!;
  const row = await sampleToFile({ checkpoint: join(dir, 'ec'), latents: interpolate(a!, b!), previews: true });
  assert.equal(row.previews!.oneStep.length, 8);
  assert.equal(row.previews!.oneStep[0], drawn.previews!.oneStep[0], 'the row starts at the first chosen sample');
  assert.equal(row.previews!.oneStep[7], drawn.previews!.oneStep[1], 'and ends at the second');
  await assert.rejects(sampleToFile({ checkpoint: join(dir, 'ec'), latents: [[1, 2, 3, 4], [1]], previews: true }), /Latents must all have the same length/);
  await assert.rejects(
    sampleToFile({ checkpoint: join(dir, 'ec'), latents: [[1, 2]], previews: true }),
    /Latents must have 4 values each for this model \(got 2\)/,
  );
  await assert.rejects(sampleToFile({ checkpoint: join(dir, 'ec'), n: 2 }), /needs an output file \(out\) or previews/);
  m.dispose();
});
