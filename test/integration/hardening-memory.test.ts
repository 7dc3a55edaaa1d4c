/**
 * Bounds checked before decoding or allocating: an interlaced PNG whose data inflates
 * far past its header (a decompression bomb) is refused without inflating it all; EXIF
 * orientation is applied; evaluation's k-NN metrics work in blocks (memory linear in n,
 * the same values as the full distance matrix) and n has a documented limit.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { crc32, deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { decodeImage } from '../../sidecar/engine/data/images.ts';
import { applyOrientation, jpegOrientation } from '../../sidecar/engine/data/imageChecks.ts';
import { precisionRecall } from '../../sidecar/engine/eval/features.ts';
import { evaluate, EVAL_MAX_N } from '../../sidecar/engine/eval/evaluate.ts';
import type { TrainedModel } from '../../sidecar/engine/store/trainedModel.ts';
import * as tf from '../../sidecar/engine/core/tf.ts';
import { useBackend } from '../helpers.ts';

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function png(width: number, height: number, interlace: number, raw: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  ihdr[12] = interlace;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('an interlaced PNG that declares 2x2 pixels but inflates to 256 MB is refused before decoding', () => {
  const bomb = png(2, 2, 1, Buffer.alloc(256 * 1024 * 1024));
  assert.ok(bomb.length < 1024 * 1024, `a small file (${bomb.length} bytes)`);
  const before = process.memoryUsage().rss;
  assert.throws(() => decodeImage(bomb, 'bomb.png'), /bomb\.png: its compressed pixel data inflates past the \d+ bytes its header declares/);
  assert.ok(process.memoryUsage().rss - before < 64 * 1024 * 1024, 'nothing near the inflated size was allocated');
  // Not interlaced: the decoder's own bound (pngjs inflates at most what the header declares) refuses it as clearly.
  assert.throws(() => decodeImage(png(2, 2, 0, Buffer.alloc(256 * 1024 * 1024)), 'flat.png'), /Cannot read image flat\.png: corrupt or unsupported PNG data/);
  assert.ok(process.memoryUsage().rss - before < 64 * 1024 * 1024, 'nor for the non-interlaced one');
  // A well-formed interlaced PNG still decodes (Adam7 on 2x2 RGBA: pass 1 and pass 6 one pixel each, pass 7 one row of two; a filter byte per row).
  const passes = Buffer.from([0, 1, 2, 3, 4, 0, 5, 6, 7, 8, 0, 9, 10, 11, 12, 13, 14, 15, 16]);
  const ok = decodeImage(png(2, 2, 1, passes), 'ok.png');
  assert.deepEqual([ok.width, ok.height], [2, 2]);
});

test('EXIF orientation is applied to JPEGs: a sideways portrait is decoded upright', () => {
  // 16 wide x 8 high: left half red, right half blue.
  const w = 16,
    h = 8;
  const rgba = Buffer.alloc(w * h * 4, 255);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = 4 * (y * w + x);
      rgba.set(x < w / 2 ? [255, 0, 0] : [0, 0, 255], i);
    }
  const plain = Buffer.from(jpeg.encode({ data: rgba, width: w, height: h }, 100).data);
  // APP1 Exif, little-endian TIFF, IFD0 with one entry: Orientation (0x0112) = 6 (rotate 90° clockwise to view).
  const tiff = Buffer.alloc(26);
  tiff.write('II', 0, 'latin1');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(8, 4);
  tiff.writeUInt16LE(1, 8);
  tiff.writeUInt16LE(0x0112, 10);
  tiff.writeUInt16LE(3, 12);
  tiff.writeUInt32LE(1, 14);
  tiff.writeUInt16LE(6, 18);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const app1 = Buffer.alloc(4);
  app1.writeUInt16BE(0xffe1, 0);
  app1.writeUInt16BE(payload.length + 2, 2);
  const rotated = Buffer.concat([plain.subarray(0, 2), app1, payload, plain.subarray(2)]);
  assert.equal(jpegOrientation(rotated), 6);
  assert.equal(jpegOrientation(plain), 1);
  const img = decodeImage(rotated, 'portrait.jpg');
  assert.deepEqual([img.width, img.height], [8, 16], 'width and height swapped');
  const px = (x: number, y: number): number[] => Array.from(img.data.subarray(4 * (y * img.width + x), 4 * (y * img.width + x) + 3));
  assert.ok(px(4, 2)[0]! > 200 && px(4, 2)[2]! < 60, 'the left (red) half is on top');
  assert.ok(px(4, 13)[2]! > 200 && px(4, 13)[0]! < 60, 'the right (blue) half is at the bottom');
  // Every orientation is a bijection of the pixels, and 2, 3, 4 keep the size.
  const small = { width: 3, height: 2, data: Uint8Array.from({ length: 24 }, (_, i) => i) };
  for (let o = 1; o <= 8; o++) {
    const r = applyOrientation(small, o);
    assert.deepEqual(
      [...r.data].sort((a, b) => a - b),
      [...small.data],
      `orientation ${o}`,
    );
    assert.deepEqual([r.width, r.height], o >= 5 ? [2, 3] : [3, 2]);
  }
});

test('k-NN precision and recall in blocks equal the full-matrix computation', async () => {
  await useBackend('cpu');
  const d = 4;
  const rand = (n: number, shift: number, seed: number): Float32Array => {
    let s = seed;
    return Float32Array.from({ length: n * d }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1 + shift);
  };
  // Above the block size (512) so that several blocks are compared.
  const real = rand(700, 0, 1);
  const fake = rand(650, 0.3, 2);
  const full = tf.tidy(() => {
    const dist = (a: Float32Array, b: Float32Array): tf.Tensor2D => {
      const A = tf.tensor2d(a, [a.length / d, d]),
        B = tf.tensor2d(b, [b.length / d, d]);
      return A.square().sum(1, true).add(B.square().sum(1, true).transpose()).sub(tf.matMul(A, B.transpose()).mul(2)).relu() as tf.Tensor2D;
    };
    const radii = (a: Float32Array): tf.Tensor => tf.topk(dist(a, a).neg(), 4).values.slice([0, 3], [-1, 1]).neg().reshape([1, -1]);
    const cov = (q: Float32Array, r: Float32Array): number => dist(q, r).lessEqual(radii(r)).cast('float32').max(1).mean().dataSync()[0]!;
    return { precision: cov(fake, real), recall: cov(real, fake) };
  });
  const blocked = precisionRecall(real, fake, d);
  assert.ok(Math.abs(blocked.precision - full.precision) < 1e-6 && Math.abs(blocked.recall - full.recall) < 1e-6, JSON.stringify({ blocked, full }));
  const stub = { config: { data: { kind: 'gaussians25' } } } as unknown as TrainedModel;
  for (const n of [0, EVAL_MAX_N + 1, 1.5]) assert.throws(() => evaluate(stub, { n, mcmcSteps: 0, seed: 0 }), /Evaluation takes 1 to 10,000 samples/);
});
