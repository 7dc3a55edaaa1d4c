/**
 * Checkpoints: one tensor file (tensorfile.ts) per save, written atomically (atomic.ts).
 * The header holds the run config, iteration, lambda and optimiser step counts; the
 * tensors are the parameters and both Adam states. The `latest` pointer is replaced only
 * after the checkpoint is complete, so a crash at any moment leaves the previous
 * checkpoint intact and pointed to.
 */
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from './atomic.ts';
import type { AdamState } from '../algorithm/adam.ts';
import type { RunConfig } from '../config/config.ts';
import type { Params } from '../core/params.ts';
import { encodeTensorFile, readTensorFile, TensorFileError, type TensorFile, type TensorIndexEntry } from './tensorfile.ts';
import * as tf from '../core/tf.ts';
import type { TrainState } from '../algorithm/trainer.ts';
import { UserError } from '../../runLayout/errors.ts';
import { describeFsError, READ_LIMITS, readTextGuarded } from '../../runLayout/guardedRead.ts';
import { byIteration, CHECKPOINT_NAME } from '../../runLayout/runFolder.ts';

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
  /** The training data's identity (run.ts datasetFingerprint); absent in checkpoints written before it existed. */
  dataFingerprint?: string;
  tensors: TensorIndexEntry[];
  crc32: number;
}

export class CheckpointError extends UserError {
  constructor(message: string, path?: string) {
    super('checkpoint', message, path);
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
export function saveCheckpoint(
  runDir: string,
  state: TrainState,
  config: RunConfig,
  dataShape: number[],
  keep: number,
  extra: { dataFingerprint?: string } = {},
): string {
  const dir = join(runDir, 'checkpoints');
  mkdirSync(dir, { recursive: true });
  const meta: Omit<CheckpointHeader, 'tensors' | 'crc32'> = {
    format: CHECKPOINT_FORMAT,
    iteration: state.iteration,
    lambda: state.lambda,
    seed: config.seed,
    config,
    dataShape,
    adamSteps: { vae: state.vaeOpt.t, ...(state.ebmOpt ? { ebm: state.ebmOpt.t } : {}) },
    createdAt: new Date().toISOString(),
    ...extra,
  };
  const file = join(dir, checkpointName(state.iteration));
  writeFileAtomic(file, encodeTensorFile(meta, tensorsOf(state)));
  writeFileAtomic(join(dir, 'latest'), [Buffer.from(basename(file) + '\n', 'utf8')]);
  // Oldest first by iteration number (names of 7+ digits sort wrong as strings); the one just written is never pruned.
  const old = byIteration(readdirSync(dir), CHECKPOINT_NAME).filter((f) => f !== basename(file));
  for (const f of old.slice(0, Math.max(0, old.length - (keep - 1)))) rmSync(join(dir, f), { force: true });
  return file;
}

export type LoadedCheckpoint = TensorFile<CheckpointHeader>;

export function readCheckpoint(file: string): LoadedCheckpoint {
  let c: LoadedCheckpoint;
  try {
    c = readTensorFile<CheckpointHeader>(file, 'checkpoint');
  } catch (err) {
    if (err instanceof TensorFileError) throw new CheckpointError(err.message + (/corrupt|truncated/.test(err.message) ? earlierHint(file) : ''), file);
    if (err instanceof UserError) throw new CheckpointError(err.message, file);
    throw err;
  }
  if (c.header.format !== CHECKPOINT_FORMAT)
    throw new CheckpointError(`Checkpoint ${file} has format ${c.header.format}; this version reads format ${CHECKPOINT_FORMAT}.`, file);
  const problem = headerProblem(c.header);
  if (problem) throw new CheckpointError(`Checkpoint ${file} is corrupt (${problem}).${earlierHint(file)}`, file);
  return c;
}

/** Advice a user can follow: the earlier checkpoints beside a damaged one, and how to use them. */
function earlierHint(file: string): string {
  let earlier: string[] = [];
  try {
    earlier = byIteration(readdirSync(dirname(file)), CHECKPOINT_NAME).filter((f) => f !== basename(file));
  } catch {
    // the folder is unreadable: no list to give
  }
  if (!earlier.length) return ' No earlier checkpoint is beside it.';
  return (
    ` Earlier checkpoints beside it: ${earlier.slice(-3).join(', ')}. Pass one of them as the checkpoint (sample, eval, restore and fit-prior take a .ckpt file);` +
    ` to resume training from one, write its name into ${join(dirname(file), 'latest')}.`
  );
}

const isCount = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0;

/** The header fields a resume and a model build rely on, checked (the tensor index is checked by tensorfile.ts). */
function headerProblem(h: CheckpointHeader): string | undefined {
  if (!isCount(h.iteration)) return `bad iteration ${JSON.stringify(h.iteration)}`;
  if (typeof h.lambda !== 'number' || !Number.isFinite(h.lambda) || h.lambda < 0) return `bad lambda ${JSON.stringify(h.lambda)}`;
  if (!isCount(h.adamSteps?.vae) || (h.adamSteps.ebm !== undefined && !isCount(h.adamSteps.ebm)))
    return `bad optimiser step counts ${JSON.stringify(h.adamSteps)}`;
  if (!Array.isArray(h.dataShape) || !h.dataShape.length || !h.dataShape.every((d) => Number.isInteger(d) && d > 0))
    return `bad data shape ${JSON.stringify(h.dataShape)}`;
  if (typeof h.config !== 'object' || h.config === null || typeof h.config.model !== 'object' || typeof h.config.data !== 'object') return 'no run config';
  return undefined;
}

/**
 * A checkpoint argument may be a checkpoint file, a run folder, or its checkpoints/
 * folder; folders resolve through their `latest` pointer.
 */
export function resolveCheckpoint(arg: string): string {
  let isDir: boolean;
  try {
    isDir = statSync(arg).isDirectory();
  } catch (err) {
    const why = describeFsError(err, arg);
    throw new CheckpointError(why === 'file not found' ? `No such checkpoint or run folder: ${arg}.` : `Cannot read checkpoint ${arg}: ${why}.`, arg);
  }
  if (!isDir) return arg;
  for (const dir of [join(arg, 'checkpoints'), arg]) {
    const pointer = join(dir, 'latest');
    let exists = true;
    try {
      statSync(pointer);
    } catch {
      exists = false;
    }
    if (!exists) continue;
    const name = readTextGuarded(pointer, { what: 'checkpoint pointer', kind: 'checkpoint', maxBytes: READ_LIMITS.runFile }).trim();
    // The pointer names a file in its own folder, nothing else (a hand-edited "../x" would read any file).
    if (!CHECKPOINT_NAME.test(name))
      throw new CheckpointError(`${pointer} should name a checkpoint file such as iter-000100.ckpt; it holds ${JSON.stringify(name.slice(0, 80))}.`, pointer);
    const file = join(dir, name);
    try {
      statSync(file);
    } catch {
      throw new CheckpointError(`${pointer} points to ${name}, which is missing.${earlierHint(file)}`, pointer);
    }
    return file;
  }
  throw new CheckpointError(`${arg} has no checkpoint yet (no checkpoints/latest). Train first, or pass a .ckpt file.`, arg);
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
export function assertMatchesModel(c: LoadedCheckpoint, expected: { name: string; shape: number[]; fixed?: boolean }[], prefix: string): void {
  for (const s of expected) {
    const t = c.tensors.get(`${prefix}/${s.name}`);
    if (!t) {
      // Runs trained before Fourier features existed (or with them off) have none to load.
      const hint = s.fixed ? ' It was trained without Fourier features: set model.energyFourier.count and model.decoderFourier.count to 0 to continue it.' : '';
      throw new CheckpointError(`Checkpoint ${c.file} lacks parameter ${prefix}/${s.name}; it was trained with a different architecture.${hint}`);
    }
    if (t.shape.join('x') !== s.shape.join('x')) {
      // The conv energy's first dense layer takes the last map's channel means or every position: only model.ebmHead changes its input size alone.
      const headHint =
        s.name === 'ebm.head1.w' && t.shape[1] === s.shape[1]
          ? ' Its energy head differs: set model.ebmHead to what the run was trained with ("mean" or "flatten").'
          : '';
      throw new CheckpointError(
        `Checkpoint ${c.file}: parameter ${s.name} has shape ${t.shape.join('x')}, the config's model needs ${s.shape.join('x')}; it was trained with a different architecture.${headHint}`,
      );
    }
  }
}
