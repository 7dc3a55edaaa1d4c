/**
 * Self-describing tensor files, used for checkpoints and shipped model weights:
 *   "ECVAECK2" | u32 LE header length | u32 LE CRC-32 of the header | header JSON | float32 payload
 * The header carries the caller's metadata, an index of the tensors (name, shape, byte
 * offset) and a CRC-32 of the payload. Both checksums and the index are verified before
 * any tensor is built, so a truncated, corrupted or hand-edited file is refused with a
 * reason. Files of the first format ("ECVAECK1": no header checksum, e.g. the shipped
 * classifier weights) are still read, with the same index checks.
 */
import { crc32 } from 'node:zlib';
import * as tf from '../core/tf.ts';
import { READ_LIMITS, readGuarded } from '../../runLayout/guardedRead.ts';

const MAGIC = Buffer.from('ECVAECK2', 'ascii');
const MAGIC_V1 = Buffer.from('ECVAECK1', 'ascii');

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
  const prelude = Buffer.alloc(8);
  prelude.writeUInt32LE(header.length, 0);
  prelude.writeUInt32LE(crc32(header), 4);
  return [MAGIC, prelude, header, ...blobs];
}

export interface TensorFile<H> {
  file: string;
  header: H & { tensors: TensorIndexEntry[]; crc32: number };
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

/** Reads and verifies a tensor file; `what` names it in errors ("checkpoint", "classifier weights"). */
export function readTensorFile<H>(file: string, what: string): TensorFile<H> {
  const What = what[0]!.toUpperCase() + what.slice(1);
  // Regular files only, bounded, non-blocking (a FIFO named as a checkpoint must not freeze the sidecar).
  const buf = readGuarded(file, { what, kind: 'checkpoint', maxBytes: READ_LIMITS.checkpoint });
  const v2 = buf.length >= 16 && buf.subarray(0, 8).equals(MAGIC);
  if (!v2 && (buf.length < 12 || !buf.subarray(0, 8).equals(MAGIC_V1))) throw new TensorFileError(`${file} is not an EC-VAE ${what} (bad magic bytes).`);
  const hlen = buf.readUInt32LE(8);
  const start = v2 ? 16 : 12;
  if (start + hlen > buf.length) throw new TensorFileError(`${What} ${file} is truncated (header cut off).`);
  const headerBytes = buf.subarray(start, start + hlen);
  if (v2 && crc32(headerBytes) !== buf.readUInt32LE(12)) throw new TensorFileError(`${What} ${file} is corrupt (header checksum mismatch: edited or damaged).`);
  let header: TensorFile<H>['header'];
  try {
    header = JSON.parse(headerBytes.toString('utf8')) as TensorFile<H>['header'];
  } catch {
    throw new TensorFileError(`${What} ${file} is corrupt (unreadable header).`);
  }
  const payload = buf.subarray(start + hlen);
  if (typeof header !== 'object' || header === null || crc32(payload) !== header.crc32)
    throw new TensorFileError(`${What} ${file} is corrupt or truncated (checksum mismatch).`);
  const problem = indexProblem(header.tensors, payload.length);
  if (problem) throw new TensorFileError(`${What} ${file} is corrupt (${problem}).`);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const t of header.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const copy = new Float32Array(n);
    new Uint8Array(copy.buffer).set(payload.subarray(t.offset, t.offset + 4 * n));
    tensors.set(t.name, { shape: t.shape, data: copy });
  }
  return { file, header, tensors };
}

/** Why a tensor index does not describe the payload exactly (undefined when it does). */
function indexProblem(index: unknown, payloadBytes: number): string | undefined {
  if (!Array.isArray(index)) return 'no tensor index';
  const names = new Set<string>();
  let covered = 0;
  for (const t of index as Partial<TensorIndexEntry>[]) {
    if (typeof t?.name !== 'string' || names.has(t.name)) return `bad or repeated tensor name ${JSON.stringify(t?.name)}`;
    names.add(t.name);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) return `tensor ${t.name} has a bad shape ${JSON.stringify(t.shape)}`;
    const bytes = 4 * t.shape.reduce((a, b) => a * b, 1);
    if (!Number.isInteger(t.offset) || t.offset! < 0 || t.offset! % 4 !== 0 || t.offset! + bytes > payloadBytes)
      return `tensor ${t.name} lies outside the payload`;
    covered += bytes;
  }
  return covered === payloadBytes ? undefined : `the index covers ${covered} of ${payloadBytes} payload bytes`;
}
