/**
 * Datasets from the binary files of CIFAR-10/100, STL-10 and IDX (binaryFormats.ts): which
 * files a path and split mean, concatenated up to `limit`, converted to [-1, 1] with the
 * config's channels, and resized to the config's size (area-pooled, then bilinear, as
 * image folders are).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DataConfig } from '../config/config.ts';
import * as tf from '../core/tf.ts';
import type { Dataset } from './dataset.ts';
import { DataFileError, readCifar, readIdx, readStl, type ByteImages } from './binaryFormats.ts';
import { resizeImages, type ResizeMethod } from './resize.ts';

export type BinaryKind = 'cifar10' | 'cifar100' | 'stl10' | 'idx';

/** The files of each split inside a dataset's folder, as the datasets are distributed. */
const SPLIT_FILES: Record<BinaryKind, Record<'train' | 'test', RegExp>> = {
  cifar10: { train: /^data_batch_\d+\.bin$/, test: /^test_batch\.bin$/ },
  cifar100: { train: /^train\.bin$/, test: /^test\.bin$/ },
  // The paper trains on train + unlabeled.
  stl10: { train: /^(train|unlabeled)_X\.bin$/, test: /^test_X\.bin$/ },
  idx: { train: /^train-images.*-ubyte(\.gz)?$/, test: /^t10k-images.*-ubyte(\.gz)?$/ },
};

/** The files a path means: the file itself, or the split's files in the folder (sorted). */
function binaryFiles(kind: BinaryKind, path: string, split: DataConfig['split']): string[] {
  if (!existsSync(path)) throw new DataFileError(`Dataset path does not exist: ${path}.`);
  if (!statSync(path).isDirectory()) return [path];
  const want = split === 'all' ? [SPLIT_FILES[kind].train, SPLIT_FILES[kind].test] : [SPLIT_FILES[kind][split]];
  const files = readdirSync(path)
    .filter((f) => want.some((re) => re.test(f)))
    .sort()
    .map((f) => join(path, f));
  if (!files.length)
    throw new DataFileError(
      `No ${kind} files for split "${split}" in ${path} (looked for ${want.map((re) => re.source).join(' and ')}). Give the folder as the dataset unpacks, or one file.`,
    );
  return files;
}

const READERS: Record<BinaryKind, (file: string) => ByteImages> = {
  cifar10: (f) => readCifar(f, 'cifar10'),
  cifar100: (f) => readCifar(f, 'cifar100'),
  stl10: readStl,
  idx: readIdx,
};

/** uint8 HWC images -> [-1, 1] floats with `channels`, resized to size x size, in chunks (bounded memory). */
function toDataset(parts: ByteImages[], size: number, channels: 1 | 3, limit: number | undefined, resize: ResizeMethod): { x: Float32Array; n: number } {
  const total = Math.min(
    parts.reduce((a, p) => a + p.n, 0),
    limit ?? Infinity,
  );
  const per = size * size * channels;
  const x = new Float32Array(total * per);
  let n = 0;
  for (const p of parts) {
    for (let start = 0; start < p.n && n < total; start += 256) {
      const m = Math.min(256, p.n - start, total - n);
      const chunk = tf.tidy(() => {
        let t = tf
          .tensor4d(p.pixels.subarray(start * p.h * p.w * p.c, (start + m) * p.h * p.w * p.c), [m, p.h, p.w, p.c], 'int32')
          .toFloat()
          .div(127.5)
          .sub(1);
        if (channels === 1 && p.c === 3) t = t.mul(tf.tensor1d([0.299, 0.587, 0.114])).sum(3, true);
        if (channels === 3 && p.c === 1) t = tf.tile(t, [1, 1, 1, 3]);
        return p.h === size && p.w === size ? t : resizeImages(t as tf.Tensor4D, size, resize);
      });
      x.set(chunk.dataSync(), n * per);
      chunk.dispose();
      n += m;
    }
  }
  return { x, n };
}

export function loadBinary(kind: BinaryKind, d: DataConfig): Dataset {
  const files = binaryFiles(kind, d.path!, d.split);
  const parts: ByteImages[] = [];
  let count = 0;
  for (const f of files) {
    if (d.limit && count >= d.limit) break;
    const p = READERS[kind](f);
    parts.push(p);
    count += p.n;
  }
  const native = parts[0]!;
  const size = d.size ?? native.h;
  const { x, n } = toDataset(parts, size, d.channels, d.limit, d.resize ?? 'area');
  return {
    name: `${kind} ${files.length === 1 ? files[0] : `${d.path} (${d.split})`} (${n} images ${size}x${size}x${d.channels})`,
    shape: [size, size, d.channels],
    size: n,
    x,
    warnings: parts.some((p) => p.h !== native.h || p.w !== native.w) ? ['the files hold images of different sizes; all were resized'] : [],
  };
}
