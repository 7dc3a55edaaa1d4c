/** Messages between the pool (pool.ts) and its worker threads (worker.ts), and tensor packing. */
import type { BackendName, ModelConfig } from '../config/config.ts';
import type { ObjectiveKind, ObjectiveOptions } from '../algorithm/objectives.ts';
import type { SgldOptions } from '../algorithm/sgld.ts';
import * as tf from '../core/tf.ts';

export interface PackedTensor {
  shape: number[];
  data: Float32Array;
}
export type PackedTensors = Record<string, PackedTensor>;

/** Where a worker's chains start: given samples, or the decoder's samples of base noise (the decoder's parameters and the noise). */
export type SgldStart = { start: PackedTensor } | { decoder: PackedTensors; latents: PackedTensor };

export type WorkerRequest =
  | { kind: 'init'; model: ModelConfig; dataShape: number[]; backend: BackendName }
  | { kind: 'sgld'; id: number; params: PackedTensors; from: SgldStart; opts: SgldOptions }
  | { kind: 'grads'; id: number; objective: ObjectiveKind; params: PackedTensors; inputs: PackedTensors; opts: ObjectiveOptions };

/**
 * `out` holds "x" and "drift" (sgld.ts SgldResult) for sgld, and "start" where the
 * worker made it; for grads, the gradients by
 * parameter name, "terms", and each buffer update under UPDATE_PREFIX + its name.
 */
export type WorkerReply = { kind: 'ready' } | { kind: 'result'; id: number; out: PackedTensors } | { kind: 'error'; id?: number; message: string };

export function pack(t: tf.Tensor): PackedTensor {
  return { shape: t.shape, data: (t.dataSync() as Float32Array).slice() };
}

export function unpack(p: PackedTensors): Record<string, tf.Tensor> {
  return Object.fromEntries(Object.entries(p).map(([k, t]) => [k, tf.tensor(t.data, t.shape)]));
}

/** Marks buffer updates among a grads reply's gradients (a buffer also has a gradient: zero). */
export const UPDATE_PREFIX = 'update:';

export function prefixKeys<T>(r: Record<string, T>, prefix: string): Record<string, T> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [prefix + k, v]));
}
