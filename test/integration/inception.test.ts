/**
 * The Inception feature extractor for FID on a small generated graph model
 * (test/graphModel.ts): loading from disk, the standard preprocessing, feature shapes,
 * both input layouts, output selection, memory, and the errors a user can meet.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { INCEPTION_SIZE, loadInception } from '../../sidecar/engine/eval/inception.ts';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { tinyKernel, writeTinyGraphModel } from '../graphModel.ts';
import { assertClose, randomTensor, tempDir, useBackend } from '../helpers.ts';

test('Inception features: the standard preprocessing by hand, one row per image, memory flat', async () => {
  await useBackend('wasm');
  const dir = writeTinyGraphModel(join(tempDir(), 'inception'), { dim: 16, seed: 3 });
  const net = loadInception({ path: dir });
  try {
    assert.equal(net.model, join(dir, 'model.json'));
    assert.equal(net.output, 'pool_3');
    assert.deepEqual(net.size, [INCEPTION_SIZE, INCEPTION_SIZE]);
    const grey = tf.tidy(() => randomTensor([3, 28, 28, 1], 5, 0.6).clipByValue(-1, 1)) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const f = net.features(grey);
    assert.deepEqual(f.shape, [3, 16]);
    assert.equal(tf.memory().numTensors, before + 1, 'only the features stay allocated');
    // Grey -> 3 channels, bilinear to 299 x 299 with half-pixel centres, then the network.
    const want = tf.tidy(() => {
      const x = tf.image.resizeBilinear(tf.tile(grey, [1, 1, 1, 3]) as tf.Tensor4D, [299, 299], false, true);
      return tf
        .conv2d(x, tf.tensor4d(tinyKernel(16, 3), [3, 3, 3, 16]), 8, 'same')
        .relu()
        .mean([1, 2]);
    });
    assertClose(f.dataSync(), want.dataSync(), 1e-5, 1e-6, 'features');
    // RGB images go through unchanged apart from the resize; values beyond [-1, 1] are clipped.
    const rgb = randomTensor([2, 40, 30, 3], 6, 2) as tf.Tensor4D;
    const g = net.features(rgb);
    const inRange = rgb.clipByValue(-1, 1) as tf.Tensor4D;
    const clipped = net.features(inRange);
    assert.deepEqual(g.shape, [2, 16]);
    assertClose(g.dataSync(), clipped.dataSync(), 0, 0, 'clipped input');
    tf.dispose([grey, f, want, rgb, g, inRange, clipped]);
    assert.equal(tf.memory().numTensors, before - 1);
  } finally {
    net.dispose();
  }
});

test('Inception features: a channels-first graph gets the same features; the input size follows the graph', async () => {
  await useBackend('wasm');
  const root = tempDir();
  const nhwc = loadInception({ path: writeTinyGraphModel(join(root, 'a'), { seed: 4 }) });
  const nchw = loadInception({ path: join(writeTinyGraphModel(join(root, 'b'), { seed: 4, channelsFirst: true }), 'model.json') });
  const small = loadInception({ path: writeTinyGraphModel(join(root, 'c'), { seed: 4, inputShape: [-1, 75, 75, 3] }) });
  const x = randomTensor([2, 28, 28, 1], 7, 0.5) as tf.Tensor4D;
  try {
    assert.equal(nchw.channelsFirst, true);
    const [a, b, c] = [nhwc.features(x), nchw.features(x), small.features(x)];
    assertClose(b.dataSync(), a.dataSync(), 1e-5, 1e-6, 'NCHW vs NHWC');
    assert.deepEqual(small.size, [75, 75]);
    assert.deepEqual(c.shape, [2, 16]);
    tf.dispose([a, b, c]);
  } finally {
    [nhwc, nchw, small].forEach((n) => n.dispose());
    x.dispose();
  }
});

test('Inception output: the only output by default; with several, the user names one, and a wrong name lists them', async () => {
  await useBackend('wasm');
  const dir = writeTinyGraphModel(join(tempDir(), 'two'), { twoOutputs: true, dim: 8 });
  assert.throws(() => loadInception({ path: dir }), /has 2 outputs \(logits, spatial_max\): name the one that holds the pool features/);
  assert.throws(() => loadInception({ path: dir, output: 'pool3' }), /has no node "pool3"\. Its outputs: logits, spatial_max/);
  const net = loadInception({ path: dir, output: 'pool_3' });
  const logits = loadInception({ path: dir, output: 'logits' });
  const x = randomTensor([2, 28, 28, 1], 8) as tf.Tensor4D;
  try {
    const [p, l] = [net.features(x), logits.features(x)];
    assert.deepEqual(
      [p.shape, l.shape],
      [
        [2, 8],
        [2, 10],
      ],
    );
    tf.dispose([p, l]);
  } finally {
    net.dispose();
    logits.dispose();
    x.dispose();
  }
});

test('Inception model errors name the file and what to do', async () => {
  await useBackend('wasm');
  const root = tempDir();
  assert.throws(() => loadInception({ path: join(root, 'nowhere') }), /No Inception model at .*nowhere.*TF\.js graph model/);
  const dir = writeTinyGraphModel(join(root, 'm'));
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(root, 'bad.json'), '{ "format": ');
  assert.throws(() => loadInception({ path: join(root, 'bad.json') }), /is not JSON/);
  writeFileSync(join(root, 'layers.json'), JSON.stringify({ format: 'layers-model', modelTopology: {}, weightsManifest: [] }));
  assert.throws(() => loadInception({ path: join(root, 'layers.json') }), /is not a TF\.js graph model.*tfjs_graph_model/);
  const shard = join(dir, 'group1-shard1of1.bin');
  const bytes = readFileSync(shard);
  writeFileSync(shard, bytes.subarray(0, 100));
  assert.throws(() => loadInception({ path: dir }), /hold 100 bytes; its weights manifest needs \d+/);
  rmSync(shard);
  assert.throws(() => loadInception({ path: dir }), /weight shard .*group1-shard1of1\.bin that .* lists is missing/);
  writeFileSync(shard, bytes);
  // Not an image input.
  const nodes = (json.modelTopology as { node: { name: string; attr: Record<string, unknown> }[] }).node;
  nodes.find((n) => n.name === 'input')!.attr.shape = { shape: { dim: [{ size: '-1' }, { size: '2048' }] } };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  assert.throws(() => loadInception({ path: dir }), /takes input \[-1, 2048\]; an Inception model takes RGB images \[batch, height, width, 3\]/);
  // An image input the images can be resized to, but one channel.
  nodes.find((n) => n.name === 'input')!.attr.shape = { shape: { dim: ['-1', '299', '299', '1'].map((size) => ({ size })) } };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  assert.throws(() => loadInception({ path: dir }), /takes input \[-1, 299, 299, 1\]/);
  // Our images with a channel count no Inception preprocessing knows.
  const net = loadInception({ path: writeTinyGraphModel(join(root, 'ok')) });
  const four = tf.zeros([1, 28, 28, 4]) as tf.Tensor4D;
  try {
    assert.throws(() => net.features(four), /grey or RGB images; these have 4 channels/);
  } finally {
    net.dispose();
    four.dispose();
  }
});
