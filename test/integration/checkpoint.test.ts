/** Checkpoints: exact round trip, atomic writes on a full disk, corruption detection, resolution. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diskWrites } from '../../sidecar/engine/store/atomic.ts';
import { encodeTensorFile } from '../../sidecar/engine/store/tensorfile.ts';
import { assertMatchesModel, readCheckpoint, resolveCheckpoint, saveCheckpoint, stateFromCheckpoint } from '../../sidecar/engine/store/checkpoint.ts';
import { buildModel } from '../../sidecar/engine/models/index.ts';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { disposeTrainState, initTrainState, trainIteration } from '../../sidecar/engine/algorithm/trainer.ts';
import { assertClose, tempDir, useBackend, withDefaults } from '../helpers.ts';

const cfg = withDefaults({
  data: { kind: 'gaussians25' },
  model: { hidden: 6, depth: 1, latentDim: 2 },
  training: { batchSize: 8 },
  calibration: { sgldSteps: 2 },
});

async function trainedState(iterations: number) {
  await useBackend('wasm');
  const model = buildModel(cfg.model, [2]);
  const state = initTrainState(model, cfg);
  for (let i = 0; i < iterations; i++) {
    const x = tf.randomUniform([8, 2], -1, 1, 'float32', i);
    await trainIteration(model, cfg, state, x);
    x.dispose();
  }
  return { model, state };
}

test('a checkpoint restores params, Adam moments, lambda and iteration exactly', async () => {
  const { state } = await trainedState(3);
  const dir = tempDir();
  const file = saveCheckpoint(dir, state, cfg, [2], 3);
  assert.equal(readFileSync(join(dir, 'checkpoints', 'latest'), 'utf8').trim(), 'iter-000003.ckpt');
  const back = stateFromCheckpoint(readCheckpoint(file));
  assert.equal(back.iteration, 3);
  assert.equal(back.lambda, state.lambda);
  assert.equal(back.vaeOpt.t, 3);
  assert.equal(back.ebmOpt!.t, 3);
  for (const [group, a, b] of [
    ['vae', state.vae, back.vae],
    ['m', state.vaeOpt.m, back.vaeOpt.m],
    ['ebm.v', state.ebmOpt!.v, back.ebmOpt!.v],
  ] as const) {
    assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort());
    for (const k of Object.keys(a)) assertClose(b[k]!.dataSync(), a[k]!.dataSync(), 0, 0, `${group}/${k}`);
  }
  disposeTrainState(state);
  disposeTrainState(back);
});

test('a checkpoint without Fourier features is refused by a model with them, with the fix', async () => {
  await useBackend('wasm');
  const off = withDefaults({ ...cfg, model: { ...cfg.model, energyFourier: { count: 0 }, decoderFourier: { count: 0 } } });
  const model = buildModel(off.model, [2]);
  const state = initTrainState(model, off);
  const file = saveCheckpoint(tempDir(), state, off, [2], 1);
  const ck = readCheckpoint(file);
  assertMatchesModel(ck, [...model.specs.enc, ...model.specs.dec], 'vae');
  const withFeatures = buildModel(cfg.model, [2]); // "auto": on for 2-D data
  assert.throws(
    () => assertMatchesModel(ck, [...withFeatures.specs.enc, ...withFeatures.specs.dec], 'vae'),
    /lacks parameter vae\/dec\.rff\.B; it was trained with a different architecture\. It was trained without Fourier features: set model\.energyFourier\.count and model\.decoderFourier\.count to 0 to continue it\./,
  );
  disposeTrainState(state);
});

test('a conv checkpoint is refused by a model with the other energy head, with the fix', async () => {
  await useBackend('wasm');
  const conv = withDefaults({ data: { kind: 'mnist' }, model: { kind: 'conv', width: 2, levels: 2, latentDim: 3, ebmHidden: 4 } });
  const shape = [8, 8, 1];
  const state = initTrainState(buildModel(conv.model, shape), conv);
  const ck = readCheckpoint(saveCheckpoint(tempDir(), state, conv, shape, 1));
  const flattened = buildModel({ ...conv.model, ebmHead: 'flatten' }, shape);
  assert.throws(
    () => assertMatchesModel(ck, flattened.specs.ebm, 'ebm'),
    /parameter ebm\.head1\.w has shape 4x4, the config's model needs 64x4; it was trained with a different architecture\. Its energy head differs: set model\.ebmHead to what the run was trained with/,
  );
  disposeTrainState(state);
});

test('only the newest `keep` checkpoints are kept', async () => {
  const { state } = await trainedState(1);
  const dir = tempDir();
  for (let i = 1; i <= 4; i++) {
    state.iteration = i * 10;
    saveCheckpoint(dir, state, cfg, [2], 2);
  }
  assert.deepEqual(readdirSync(join(dir, 'checkpoints')).sort(), ['iter-000030.ckpt', 'iter-000040.ckpt', 'latest']);
  disposeTrainState(state);
});

test('disk full while writing: clear error, no temp file, previous checkpoint intact and still latest', async () => {
  const { state } = await trainedState(1);
  const dir = tempDir();
  const first = saveCheckpoint(dir, state, cfg, [2], 3);
  const before = readFileSync(first);
  const original = diskWrites.write;
  let calls = 0;
  diskWrites.write = (fd, buf) => {
    if (++calls > 2) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    original(fd, buf);
  };
  try {
    state.iteration = 2;
    assert.throws(
      () => saveCheckpoint(dir, state, cfg, [2], 3),
      /Could not write .*iter-000002\.ckpt: the disk is full\. Nothing was overwritten; the previous version is intact\./,
    );
  } finally {
    diskWrites.write = original;
  }
  assert.deepEqual(readdirSync(join(dir, 'checkpoints')).sort(), ['iter-000001.ckpt', 'latest'], 'no temp files left behind');
  assert.equal(resolveCheckpoint(dir), first);
  assert.ok(readFileSync(first).equals(before));
  disposeTrainState(state);
});

test('corrupt, truncated and foreign files are refused with a reason', async () => {
  const { state } = await trainedState(1);
  const dir = tempDir();
  const file = saveCheckpoint(dir, state, cfg, [2], 3);
  const bytes = readFileSync(file);
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 5]! ^= 0xff;
  writeFileSync(join(dir, 'flipped.ckpt'), flipped);
  assert.throws(() => readCheckpoint(join(dir, 'flipped.ckpt')), /is corrupt or truncated \(checksum mismatch\)/);
  writeFileSync(join(dir, 'short.ckpt'), bytes.subarray(0, 40));
  assert.throws(() => readCheckpoint(join(dir, 'short.ckpt')), /truncated|corrupt/);
  writeFileSync(join(dir, 'foreign.ckpt'), 'hello world, not a checkpoint');
  assert.throws(() => readCheckpoint(join(dir, 'foreign.ckpt')), /is not an EC-VAE checkpoint/);
  assert.throws(() => readCheckpoint(join(dir, 'missing.ckpt')), /Cannot read checkpoint .*file not found/);
  // A hand-edited header (same length, another iteration) is caught by the header checksum.
  const edited = Buffer.from(bytes.toString('latin1').replace('"iteration":1,', '"iteration":9,'), 'latin1');
  assert.notDeepEqual(edited, bytes);
  writeFileSync(join(dir, 'edited.ckpt'), edited);
  assert.throws(() => readCheckpoint(join(dir, 'edited.ckpt')), /is corrupt \(header checksum mismatch: edited or damaged\)/);
  // Well-formed files whose header lies are refused by what it says, before any tensor is built.
  const file1 = (meta: object, entries: [string, tf.Tensor][]): string => {
    const f = join(dir, `h${Math.random().toString(36).slice(2)}.ckpt`);
    writeFileSync(f, Buffer.concat(encodeTensorFile(meta, entries)));
    return f;
  };
  const good = readCheckpoint(file).header;
  const t = tf.zeros([2, 3]);
  assert.throws(() => readCheckpoint(file1({ ...good, tensors: undefined, iteration: -1 }, [['vae/x', t]])), /is corrupt \(bad iteration -1\)/);
  assert.throws(() => readCheckpoint(file1({ ...good, lambda: 'NaN' }, [['vae/x', t]])), /bad lambda "NaN"/);
  assert.throws(() => readCheckpoint(file1({ ...good, dataShape: [0] }, [['vae/x', t]])), /bad data shape \[0\]/);
  // An index that does not describe the payload (the v1 format had no header checksum to stop this).
  const lying = Buffer.concat(encodeTensorFile(good, [['vae/x', t]]));
  const v1 = (header: object, payload: Buffer): Buffer => {
    const h = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(4);
    len.writeUInt32LE(h.length);
    return Buffer.concat([Buffer.from('ECVAECK1'), len, h, payload]);
  };
  const payload = lying.subarray(lying.length - 24);
  const crc = readCheckpoint(file1(good, [['vae/x', t]])).header.crc32;
  writeFileSync(join(dir, 'v1-shape.ckpt'), v1({ ...good, crc32: crc, tensors: [{ name: 'vae/x', shape: [3, 3], offset: 0 }] }, payload));
  assert.throws(() => readCheckpoint(join(dir, 'v1-shape.ckpt')), /is corrupt \(tensor vae\/x lies outside the payload\)/);
  writeFileSync(join(dir, 'v1-ok.ckpt'), v1({ ...good, crc32: crc, tensors: [{ name: 'vae/x', shape: [2, 3], offset: 0 }] }, payload));
  assert.deepEqual(readCheckpoint(join(dir, 'v1-ok.ckpt')).tensors.get('vae/x')!.shape, [2, 3], 'the first format still reads');
  t.dispose();
  disposeTrainState(state);
});

test('resolveCheckpoint accepts a run folder, its checkpoints folder or a file, and explains failures', async () => {
  const { state } = await trainedState(1);
  const dir = tempDir();
  const file = saveCheckpoint(dir, state, cfg, [2], 3);
  assert.equal(resolveCheckpoint(dir), file);
  assert.equal(resolveCheckpoint(join(dir, 'checkpoints')), file);
  assert.equal(resolveCheckpoint(file), file);
  const empty = tempDir();
  mkdirSync(join(empty, 'checkpoints'));
  assert.throws(() => resolveCheckpoint(empty), /has no checkpoint yet/);
  assert.throws(() => resolveCheckpoint(join(empty, 'nope')), /No such checkpoint or run folder/);
  writeFileSync(join(dir, 'checkpoints', 'latest'), 'iter-999999.ckpt\n');
  assert.throws(() => resolveCheckpoint(dir), /points to iter-999999\.ckpt, which is missing/);
  assert.ok(existsSync(file));
  disposeTrainState(state);
});
