/**
 * The paper's dataset formats, on small files generated here in each format: CIFAR-10/100
 * batches, STL-10 `*_X.bin`, IDX (plain and gzipped). Pixel layouts land where they
 * should, folders resolve to their split's files, sizes and channels convert, and broken
 * files are refused with a message that names the file and the problem.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseConfig } from '../../sidecar/engine/config/config.ts';
import { loadDataset, loadProbe } from '../../sidecar/engine/data/index.ts';
import { train } from '../../sidecar/engine/jobs/run.ts';
import { cifar } from '../datasetFiles.ts';
import { tempDir, useBackend, withDefaults } from '../helpers.ts';

const dir = tempDir();
const v = (byte: number): number => byte / 127.5 - 1;

function idx(shape: number[], fill: (k: number) => number, type = 0x08): Buffer {
  const head = Buffer.alloc(4 + 4 * shape.length);
  head[2] = type;
  head[3] = shape.length;
  shape.forEach((s, k) => head.writeUInt32BE(s, 4 + 4 * k));
  return Buffer.concat([head, Buffer.from(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, k) => fill(k)))]);
}

const data = (kind: string, path: string, extra: Record<string, unknown> = {}) => withDefaults({ data: { kind, path, ...extra } }).data;

test('CIFAR-10 and CIFAR-100: planar RGB to HWC, the fine label, a folder by split, limit, gray conversion', async () => {
  await useBackend('wasm');
  const c10 = join(dir, 'cifar-10-batches-bin');
  mkdirSync(c10, { recursive: true });
  writeFileSync(join(c10, 'data_batch_1.bin'), cifar(3, [[1], [2], [9]]));
  writeFileSync(join(c10, 'data_batch_2.bin'), cifar(2, [[0], [4]]));
  writeFileSync(join(c10, 'test_batch.bin'), cifar(1, [[5]]));
  const ds = loadDataset(data('cifar10', c10), 0);
  assert.deepEqual([ds.size, ...ds.shape], [5, 32, 32, 3], 'train = both data batches');
  // Image 1, pixel 33 (row 1, column 1), channel G: (7*33 + 50 + 3) mod 256.
  assert.ok(Math.abs(ds.x[1 * 3072 + 33 * 3 + 1]! - v((7 * 33 + 50 + 3) % 256)) < 1e-6);
  assert.equal(loadDataset(data('cifar10', c10, { split: 'test' }), 0).size, 1);
  assert.equal(loadDataset(data('cifar10', c10, { split: 'all' }), 0).size, 6);
  assert.equal(loadDataset(data('cifar10', c10, { limit: 4 }), 0).size, 4);
  const gray = loadDataset(data('cifar10', join(c10, 'test_batch.bin'), { channels: 1 }), 0);
  assert.deepEqual(gray.shape, [32, 32, 1]);
  const [r, g, b] = [0, 1, 2].map((ch) => (7 * 5 + 50 * ch) % 256);
  assert.ok(Math.abs(gray.x[5]! - (0.299 * v(r!) + 0.587 * v(g!) + 0.114 * v(b!))) < 1e-5, 'luma of the colour pixel');
  const c100 = join(dir, 'c100.bin');
  writeFileSync(
    c100,
    cifar(2, [
      [3, 99],
      [19, 42],
    ]),
  );
  const hundred = loadDataset(data('cifar100', c100, { size: 16 }), 0);
  assert.deepEqual([hundred.size, ...hundred.shape], [2, 16, 16, 3], 'resized to data.size');
  // Held out: the other split of a folder; a single file has none.
  assert.equal(loadProbe(data('cifar10', c10), 0, 8, ds).heldOut, true);
  assert.equal(loadProbe(data('cifar100', c100), 0, 8, hundred).heldOut, false);
});

test('STL-10: column-major channels to HWC, train + unlabeled, resized from 96 to the config size', async () => {
  await useBackend('wasm');
  const stl = join(dir, 'stl10_binary');
  mkdirSync(stl, { recursive: true });
  const img = Buffer.alloc(2 * 27648, 100);
  img[9216 + 0 * 96 + 1] = 250; // image 0, channel G, column 0, row 1
  writeFileSync(join(stl, 'train_X.bin'), img);
  writeFileSync(join(stl, 'unlabeled_X.bin'), Buffer.alloc(27648, 100));
  writeFileSync(join(stl, 'test_X.bin'), Buffer.alloc(27648, 100));
  const full = loadDataset(data('stl10', stl, { size: 96, limit: 2 }), 0);
  assert.ok(Math.abs(full.x[(1 * 96 + 0) * 3 + 1]! - v(250)) < 1e-6, 'row 1, column 0, G');
  assert.ok(Math.abs(full.x[(0 * 96 + 1) * 3 + 1]! - v(100)) < 1e-6, 'not transposed');
  const small = loadDataset(data('stl10', stl), 0);
  assert.deepEqual([small.size, ...small.shape], [3, 96, 96, 3], 'train + unlabeled at the stored size by default');
  const resized = loadDataset(data('stl10', join(stl, 'test_X.bin'), { size: 32 }), 0);
  assert.deepEqual(resized.shape, [32, 32, 3]);
  assert.ok(
    resized.x.every((x) => Math.abs(x - v(100)) < 1e-5),
    'a constant image stays constant through the resize',
  );
});

test('IDX: gray [n, h, w] plain or gzipped, by split in a folder; gray copied to RGB on request', async () => {
  await useBackend('wasm');
  const mn = join(dir, 'mnist-idx');
  mkdirSync(mn, { recursive: true });
  writeFileSync(join(mn, 'train-images-idx3-ubyte.gz'), gzipSync(idx([3, 8, 8], (k) => k % 256)));
  writeFileSync(
    join(mn, 't10k-images-idx3-ubyte'),
    idx([2, 8, 8], () => 7),
  );
  const tr = loadDataset(data('idx', mn, { channels: 1 }), 0);
  assert.deepEqual([tr.size, ...tr.shape], [3, 8, 8, 1]);
  assert.ok(Math.abs(tr.x[64 + 10]! - v(74)) < 1e-6, 'image 1, pixel 10');
  const te = loadDataset(data('idx', mn, { split: 'test', channels: 3 }), 0);
  assert.deepEqual([te.size, ...te.shape], [2, 8, 8, 3]);
  assert.ok(te.x.every((x) => Math.abs(x - v(7)) < 1e-6));
});

test('broken files are refused with the file and the problem: truncated, mislabelled, the other format, missing', () => {
  const file = (name: string, bytes: Buffer): string => {
    writeFileSync(join(dir, name), bytes);
    return join(dir, name);
  };
  const load = (kind: string, path: string) => () => loadDataset(data(kind, path), 0);
  assert.throws(
    load('cifar10', file('cut.bin', cifar(2, [[1], [1]]).subarray(0, 5000))),
    /cut\.bin is not a CIFAR10 batch: 5000 bytes is not a multiple of its 3073-byte record.*truncated/,
  );
  assert.throws(load('cifar10', file('c100-as-10.bin', cifar(1, [[1, 2]]))), /not a multiple of its 3073-byte record.*CIFAR-100 file/);
  assert.throws(load('cifar10', file('label12.bin', cifar(1, [[12]]))), /record 0 has label 12, but CIFAR10 has 10 classes/);
  assert.throws(load('stl10', file('train_y.bin', Buffer.alloc(5))), /not an STL-10 image file: 5 bytes .* labels file/);
  assert.throws(load('idx', file('bad-magic', Buffer.from([1, 2, 3, 4]))), /is not an IDX file/);
  assert.throws(
    load(
      'idx',
      file(
        'floats',
        idx([1, 2, 2], () => 0, 0x0d),
      ),
    ),
    /IDX data type 0xd is not supported/,
  );
  assert.throws(
    load(
      'idx',
      file(
        'labels-idx1-ubyte',
        idx([4], () => 1),
      ),
    ),
    /1-dimensional data.*labels file/,
  );
  assert.throws(
    load('idx', file('short', idx([2, 4, 4], () => 1).subarray(0, 30))),
    /the header says 2x4x4 = 32 bytes of pixels, the file has 14\. Is it truncated/,
  );
  assert.throws(load('idx', file('bad.gz', Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]))), /the gzip data is damaged/);
  assert.throws(load('cifar10', join(dir, 'nothing')), /Dataset path does not exist/);
  const empty = join(dir, 'empty-folder');
  mkdirSync(empty, { recursive: true });
  assert.throws(load('stl10', empty), /No stl10 files for split "train" in .*empty-folder/);
});

test('configs for on-disk datasets: the path is required and checked; a CIFAR run trains at its native 32x32', async () => {
  const noPath = parseConfig(JSON.stringify({ data: { kind: 'cifar10' } }), dir);
  assert.ok(!noPath.ok && noPath.diagnostics.some((d) => /data\.kind "cifar10" needs "data\.path"/.test(d.message)));
  const missing = parseConfig(JSON.stringify({ data: { kind: 'stl10', path: 'nope' } }), dir);
  assert.ok(!missing.ok && missing.diagnostics.some((d) => /Dataset path does not exist: .*nope/.test(d.message) && d.field === 'data.path'));
  const batches = join(dir, 'train-cifar');
  mkdirSync(batches, { recursive: true });
  writeFileSync(
    join(batches, 'data_batch_1.bin'),
    cifar(
      32,
      Array.from({ length: 32 }, (_, i) => [i % 10]),
    ),
  );
  const cfg = parseConfig(
    JSON.stringify({
      data: { kind: 'cifar10', path: 'train-cifar' },
      model: { kind: 'conv', width: 4, latentDim: 4, ebmHidden: 8 },
      training: { iterations: 2, batchSize: 8 },
      calibration: { sgldSteps: 1 },
      logging: { every: 1, sampleEvery: 10, checkpointEvery: 2 },
    }),
    dir,
  );
  assert.ok(cfg.ok, JSON.stringify(!cfg.ok && cfg.diagnostics));
  const r = await train(cfg.config, { runDir: join(dir, 'run') });
  assert.equal(r.status, 'finished');
  assert.match(r.dataset, /cifar10 .*\(32 images 32x32x3\)/);
});
