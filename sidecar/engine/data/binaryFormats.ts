/**
 * The binary files the paper's datasets come in, read from disk (they cannot ship with the
 * project): CIFAR-10/100 batches, STL-10 `*_X.bin`, and IDX (`*-ubyte`, optionally .gz).
 * Each reader returns uint8 HWC pixels, or a DataFileError that names the file and what
 * is wrong with it (truncated, mislabelled, not that format).
 */
import { gunzipSync } from 'node:zlib';
import { UserError } from '../../runLayout/errors.ts';
import { READ_LIMITS, readGuarded } from '../../runLayout/guardedRead.ts';

export class DataFileError extends UserError {
  constructor(message: string) {
    super('data', message);
  }
}

/** n images of h x w x c bytes, row-major HWC. */
export interface ByteImages {
  n: number;
  h: number;
  w: number;
  c: number;
  pixels: Uint8Array;
  labels?: Uint8Array;
}

function read(file: string): Buffer {
  return readGuarded(file, { what: 'dataset file', kind: 'data', maxBytes: READ_LIMITS.dataset });
}

/**
 * CIFAR-10 (`data_batch_N.bin`, `test_batch.bin`): per record 1 label byte then 3072 bytes,
 * 1024 per channel R, G, B, each row-major 32x32. CIFAR-100 (`train.bin`, `test.bin`):
 * 2 label bytes (coarse, fine) first; the fine label is kept.
 */
export function readCifar(file: string, variant: 'cifar10' | 'cifar100'): ByteImages {
  const buf = read(file);
  const head = variant === 'cifar10' ? 1 : 2;
  const record = head + 3072;
  const classes = variant === 'cifar10' ? 10 : 100;
  if (buf.length === 0 || buf.length % record !== 0)
    throw new DataFileError(
      `${file} is not a ${variant.toUpperCase()} batch: ${buf.length} bytes is not a multiple of its ${record}-byte record (${head} label byte${head > 1 ? 's' : ''} + 32x32x3). Is it truncated, or a ${variant === 'cifar10' ? 'CIFAR-100' : 'CIFAR-10'} file?`,
    );
  const n = buf.length / record;
  const pixels = new Uint8Array(n * 3072);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const r = i * record;
    const label = buf[r + head - 1]!;
    if (label >= classes)
      throw new DataFileError(
        `${file}: record ${i} has label ${label}, but ${variant.toUpperCase()} has ${classes} classes. Is it the other CIFAR variant, or corrupt?`,
      );
    labels[i] = label;
    // Planar R, G, B -> interleaved HWC.
    for (let p = 0; p < 1024; p++) for (let ch = 0; ch < 3; ch++) pixels[i * 3072 + p * 3 + ch] = buf[r + head + ch * 1024 + p]!;
  }
  return { n, h: 32, w: 32, c: 3, pixels, labels };
}

/** STL-10 `*_X.bin`: uint8 96x96x3 per image, each channel column-major (as MATLAB writes it). */
export function readStl(file: string): ByteImages {
  const buf = read(file);
  const size = 96 * 96 * 3;
  if (buf.length === 0 || buf.length % size !== 0)
    throw new DataFileError(
      `${file} is not an STL-10 image file: ${buf.length} bytes is not a multiple of 96x96x3 = ${size}. Is it truncated, or a labels file (*_y.bin)?`,
    );
  const n = buf.length / size;
  const pixels = new Uint8Array(n * size);
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < 3; ch++)
      for (let col = 0; col < 96; col++)
        for (let row = 0; row < 96; row++) pixels[i * size + (row * 96 + col) * 3 + ch] = buf[i * size + ch * 9216 + col * 96 + row]!;
  return { n, h: 96, w: 96, c: 3, pixels };
}

/** IDX (MNIST's format): 0x00 0x00, type 0x08 (uint8), the number of dimensions, big-endian sizes, data. [n, h, w] or [n, h, w, c]. */
export function readIdx(file: string): ByteImages {
  let buf = read(file);
  if (buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = gunzipSync(buf);
    } catch (err) {
      throw new DataFileError(`${file}: the gzip data is damaged (${(err as Error).message}).`);
    }
  }
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0) throw new DataFileError(`${file} is not an IDX file (it must start with two zero bytes).`);
  if (buf[2] !== 0x08) throw new DataFileError(`${file}: IDX data type 0x${buf[2]!.toString(16)} is not supported; images are unsigned bytes (0x08).`);
  const dims = buf[3]!;
  if (dims !== 3 && dims !== 4)
    throw new DataFileError(
      `${file} holds ${dims}-dimensional data; images are [n, rows, columns] or [n, rows, columns, channels]${dims === 1 ? ' (this looks like a labels file)' : ''}.`,
    );
  if (buf.length < 4 + 4 * dims) throw new DataFileError(`${file} is truncated inside its header.`);
  const shape = Array.from({ length: dims }, (_, k) => buf.readUInt32BE(4 + 4 * k));
  const [n, h, w, c = 1] = shape as [number, number, number, number?];
  if (c !== 1 && c !== 3) throw new DataFileError(`${file}: images with ${c} channels are not supported (1 or 3).`);
  const expected = n * h * w * c;
  const data = buf.subarray(4 + 4 * dims);
  if (data.length !== expected)
    throw new DataFileError(`${file}: the header says ${shape.join('x')} = ${expected} bytes of pixels, the file has ${data.length}. Is it truncated?`);
  return { n, h, w, c, pixels: new Uint8Array(data) };
}
