/**
 * Self-describing tensor files, used for checkpoints and shipped model weights:
 *   "ECVAECK1" | u32 LE header length | header JSON | float32 payload
 * The header carries the caller's metadata, an index of the tensors (name, shape, byte
 * offset) and a CRC-32 of the payload, so truncated or corrupted files are refused.
 */
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import * as tf from './tf.ts';

const MAGIC = Buffer.from('ECVAECK1', 'ascii');

export interface TensorIndexEntry {
  name: string;
  shape: number[];
  offset: number;
}

export class TensorFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TensorFileError';
  }
}

/** The byte parts of a tensor file (write them with writeFileAtomic). */
export function encodeTensorFile(meta: object, entries: [string, tf.Tensor][]): Uint8Array[] {
  const index: TensorIndexEntry[] = [];
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    const data = t.dataSync() as Float32Array;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    index.push({ name, shape: t.shape, offset });
    blobs.push(bytes);
    offset += bytes.byteLength;
  }
  let crc = 0;
  for (const b of blobs) crc = crc32(b, crc);
  const header = Buffer.from(JSON.stringify({ ...meta, tensors: index, crc32: crc }), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length, 0);
  return [MAGIC, len, header, ...blobs];
}

export interface TensorFile<H> {
  file: string;
  header: H & { tensors: TensorIndexEntry[]; crc32: number };
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

/** Reads and verifies a tensor file; `what` names it in errors ("checkpoint", "classifier weights"). */
export function readTensorFile<H>(file: string, what: string): TensorFile<H> {
  const What = what[0]!.toUpperCase() + what.slice(1);
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new TensorFileError(`Cannot read ${what} ${file}: ${e.code === 'ENOENT' ? 'file not found' : e.message}.`);
  }
  if (buf.length < 12 || !buf.subarray(0, 8).equals(MAGIC)) throw new TensorFileError(`${file} is not an EC-VAE ${what} (bad magic bytes).`);
  const hlen = buf.readUInt32LE(8);
  if (12 + hlen > buf.length) throw new TensorFileError(`${What} ${file} is truncated (header cut off).`);
  let header: TensorFile<H>['header'];
  try {
    header = JSON.parse(buf.subarray(12, 12 + hlen).toString('utf8')) as TensorFile<H>['header'];
  } catch {
    throw new TensorFileError(`${What} ${file} is corrupt (unreadable header).`);
  }
  const payload = buf.subarray(12 + hlen);
  if (crc32(payload) !== header.crc32) throw new TensorFileError(`${What} ${file} is corrupt or truncated (checksum mismatch).`);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const t of header.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const copy = new Float32Array(n);
    new Uint8Array(copy.buffer).set(payload.subarray(t.offset, t.offset + 4 * n));
    tensors.set(t.name, { shape: t.shape, data: copy });
  }
  return { file, header, tensors };
}
