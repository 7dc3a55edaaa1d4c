/**
 * Checkpoints: one self-describing file per save, written atomically.
 *
 * Layout: "ECVAECK1" | u32 LE header length | header JSON | float32 payload.
 * The header holds the run config, iteration, lambda, optimiser step counts and an index
 * of the tensors (name, shape, byte offset); a CRC-32 of the payload catches truncated or
 * corrupted files. Writes go to a temp file that is fsync'ed and renamed over the target,
 * then the `latest` pointer is replaced the same way, so a crash at any moment leaves the
 * previous checkpoint intact and pointed to.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { AdamState } from './adam.ts';
import type { RunConfig } from './config.ts';
import type { Params } from './params.ts';
import * as tf from './tf.ts';
import type { TrainState } from './trainer.ts';

const MAGIC = Buffer.from('ECVAECK1', 'ascii');
export const CHECKPOINT_FORMAT = 1;

export interface CheckpointHeader {
  format: number;
  iteration: number;
  lambda: number;
  seed: number;
  config: RunConfig;
  dataShape: number[];
  adamSteps: { vae: number; ebm?: number };
  createdAt: string;
  tensors: { name: string; shape: number[]; offset: number }[];
  crc32: number;
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/** Seam for tests: the one place bytes reach the disk. */
export const checkpointIO = {
  write(fd: number, buf: Uint8Array): void {
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
  },
};

/** Writes bytes to `file` atomically: temp file in the same folder, fsync, rename, fsync folder. */
export function writeFileAtomic(file: string, parts: Uint8Array[]): void {
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    for (const p of parts) checkpointIO.write(fd, p);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOSPC' ? 'the disk is full' : e.code === 'EROFS' ? 'the file system is read-only' : e.code === 'EACCES' ? 'permission denied' : e.message;
    throw new CheckpointError(`Could not write ${file}: ${why}. Nothing was overwritten; the previous checkpoint is intact.`);
  }
  try {
    const dfd = openSync(dirname(file), 'r');
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    // Directory fsync is best effort (not supported everywhere).
  }
}

function tensorsOf(state: TrainState): [string, tf.Tensor][] {
  const out: [string, tf.Tensor][] = [];
  const add = (prefix: string, p: Params | undefined): void => {
    if (p) for (const k of Object.keys(p).sort()) out.push([`${prefix}/${k}`, p[k]!]);
  };
  add('vae', state.vae);
  add('vae.m', state.vaeOpt.m);
  add('vae.v', state.vaeOpt.v);
  add('ebm', state.ebm);
  add('ebm.m', state.ebmOpt?.m);
  add('ebm.v', state.ebmOpt?.v);
  return out;
}

export const checkpointName = (iteration: number): string => `iter-${String(iteration).padStart(6, '0')}.ckpt`;

/** Saves `state` under runDir/checkpoints, updates `latest`, prunes to `keep` files. Returns the path. */
export function saveCheckpoint(runDir: string, state: TrainState, config: RunConfig, dataShape: number[], keep: number): string {
  const dir = join(runDir, 'checkpoints');
  mkdirSync(dir, { recursive: true });
  const entries = tensorsOf(state);
  const index: CheckpointHeader['tensors'] = [];
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
  const header: CheckpointHeader = {
    format: CHECKPOINT_FORMAT, iteration: state.iteration, lambda: state.lambda, seed: config.seed, config, dataShape,
    adamSteps: { vae: state.vaeOpt.t, ...(state.ebmOpt ? { ebm: state.ebmOpt.t } : {}) },
    createdAt: new Date().toISOString(), tensors: index, crc32: crc,
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(headerBytes.length, 0);
  const file = join(dir, checkpointName(state.iteration));
  writeFileAtomic(file, [MAGIC, len, headerBytes, ...blobs]);
  writeFileAtomic(join(dir, 'latest'), [Buffer.from(basename(file) + '\n', 'utf8')]);
  const old = readdirSync(dir).filter((f) => /^iter-\d+\.ckpt$/.test(f)).sort();
  for (const f of old.slice(0, Math.max(0, old.length - keep))) rmSync(join(dir, f), { force: true });
  return file;
}

export interface LoadedCheckpoint {
  file: string;
  header: CheckpointHeader;
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

export function readCheckpoint(file: string): LoadedCheckpoint {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CheckpointError(`Cannot read checkpoint ${file}: ${e.code === 'ENOENT' ? 'file not found' : e.message}.`);
  }
  if (buf.length < 12 || !buf.subarray(0, 8).equals(MAGIC)) throw new CheckpointError(`${file} is not an EC-VAE checkpoint (bad magic bytes).`);
  const hlen = buf.readUInt32LE(8);
  if (12 + hlen > buf.length) throw new CheckpointError(`Checkpoint ${file} is truncated (header cut off).`);
  let header: CheckpointHeader;
  try {
    header = JSON.parse(buf.subarray(12, 12 + hlen).toString('utf8')) as CheckpointHeader;
  } catch {
    throw new CheckpointError(`Checkpoint ${file} is corrupt (unreadable header).`);
  }
  if (header.format !== CHECKPOINT_FORMAT) throw new CheckpointError(`Checkpoint ${file} has format ${header.format}; this version reads format ${CHECKPOINT_FORMAT}.`);
  const payload = buf.subarray(12 + hlen);
  if (crc32(payload) !== header.crc32) throw new CheckpointError(`Checkpoint ${file} is corrupt or truncated (checksum mismatch). Use an earlier checkpoint from the same folder.`);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const t of header.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const copy = new Float32Array(n);
    new Uint8Array(copy.buffer).set(payload.subarray(t.offset, t.offset + 4 * n));
    tensors.set(t.name, { shape: t.shape, data: copy });
  }
  return { file, header, tensors };
}

/**
 * A checkpoint argument may be a checkpoint file, a run folder, or its checkpoints/
 * folder; folders resolve through their `latest` pointer.
 */
export function resolveCheckpoint(arg: string): string {
  if (!existsSync(arg)) throw new CheckpointError(`No such checkpoint or run folder: ${arg}.`);
  if (!statSync(arg).isDirectory()) return arg;
  for (const dir of [join(arg, 'checkpoints'), arg]) {
    const pointer = join(dir, 'latest');
    if (existsSync(pointer)) {
      const name = readFileSync(pointer, 'utf8').trim();
      const file = join(dir, name);
      if (!existsSync(file)) throw new CheckpointError(`${pointer} points to ${name}, which is missing.`);
      return file;
    }
  }
  throw new CheckpointError(`${arg} has no checkpoint yet (no checkpoints/latest). Train first, or pass a .ckpt file.`);
}

/** The tensors stored under `prefix/` as a parameter map (undefined when there are none). */
export function paramsFrom(c: LoadedCheckpoint, prefix: string): Params | undefined {
  const out: Params = {};
  for (const [name, t] of c.tensors) if (name.startsWith(prefix + '/')) out[name.slice(prefix.length + 1)] = tf.tensor(t.data, t.shape);
  return Object.keys(out).length ? out : undefined;
}

/** Rebuilds the training state (params, Adam moments, lambda, iteration) from a checkpoint. */
export function stateFromCheckpoint(c: LoadedCheckpoint): TrainState {
  const vae = paramsFrom(c, 'vae');
  if (!vae) throw new CheckpointError(`Checkpoint ${c.file} holds no VAE parameters.`);
  const opt = (p: string, steps: number | undefined): AdamState | undefined => {
    const m = paramsFrom(c, `${p}.m`);
    const v = paramsFrom(c, `${p}.v`);
    return m && v && steps !== undefined ? { t: steps, m, v } : undefined;
  };
  const vaeOpt = opt('vae', c.header.adamSteps.vae);
  if (!vaeOpt) throw new CheckpointError(`Checkpoint ${c.file} has no optimiser state; it cannot be resumed.`);
  const ebm = paramsFrom(c, 'ebm');
  const ebmOpt = opt('ebm', c.header.adamSteps.ebm);
  return { iteration: c.header.iteration, lambda: c.header.lambda, vae, vaeOpt, ...(ebm ? { ebm } : {}), ...(ebmOpt ? { ebmOpt } : {}) };
}

/** Checks that checkpoint tensors have the shapes the model expects, before any use. */
export function assertMatchesModel(c: LoadedCheckpoint, expected: { name: string; shape: number[] }[], prefix: string): void {
  for (const s of expected) {
    const t = c.tensors.get(`${prefix}/${s.name}`);
    if (!t) throw new CheckpointError(`Checkpoint ${c.file} lacks parameter ${prefix}/${s.name}; it was trained with a different architecture.`);
    if (t.shape.join('x') !== s.shape.join('x')) {
      throw new CheckpointError(`Checkpoint ${c.file}: parameter ${s.name} has shape ${t.shape.join('x')}, the config's model needs ${s.shape.join('x')}; it was trained with a different architecture.`);
    }
  }
}
