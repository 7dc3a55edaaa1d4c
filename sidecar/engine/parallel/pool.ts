/**
 * Data-parallel compute for a training iteration. The rows of a batch are independent in
 * both halves of an EC-VAE iteration: the short-run SGLD chains (the energy of a batch is
 * a sum of per-row energies, the proximity term is per row) and the gradients of the two
 * objectives (means over rows: shards weighted by their share add up to the batch,
 * objectives.ts). So the rows are split between this thread and worker threads, each
 * with its own TF.js backend. The WASM backend runs one thread per instance here, so this
 * is how the other cores are used.
 *
 * SGLD: each part draws the noise of its rows by their batch index (sgld.ts `rowOffset`),
 * so the result is the single-thread result, row for row. Gradients: the sum of the
 * shards' gradients equals the batch gradient up to float rounding.
 */
import type { BackendName, ModelConfig } from '../config/config.ts';
import { generateFrom, type EcvaeModel } from '../models/index.ts';
import { objectiveGrads, type ObjectiveInputs, type ObjectiveKind, type ObjectiveOptions, type ObjectiveResult } from '../algorithm/objectives.ts';
import { disposeParams, type Params } from '../core/params.ts';
import { sgldChain, type SgldOptions, type SgldResult } from '../algorithm/sgld.ts';
import * as tf from '../core/tf.ts';
import { pack, unpack, UPDATE_PREFIX, type PackedTensor, type PackedTensors, type SgldStart } from './messages.ts';
import { PoolWorker } from './poolWorker.ts';

export type RunnerObjectiveOptions = Omit<ObjectiveOptions, 'scale'>;

/** What a training iteration computes on batch rows: in this thread, or split across threads. */
export interface Runner {
  /**
   * SGLD on the energy with `params` from the decoder's samples G(n) of base noise n
   * (models/prior.ts generateFrom, on the parameters `vae`), conditioned on them; the
   * samples come back as `start`.
   */
  sgldFromPrior(params: Params, vae: Params, n: tf.Tensor2D, opts: SgldOptions, noise?: tf.Tensor4D[]): Promise<SgldResult & { start: tf.Tensor }>;
  /** Gradients of an objective on the whole batch `inputs` (rows first). */
  grads(kind: ObjectiveKind, params: Params, inputs: ObjectiveInputs, opts: RunnerObjectiveOptions): Promise<ObjectiveResult>;
}

export function localRunner(model: EcvaeModel): Runner {
  return {
    sgldFromPrior: (params, vae, n, opts, noise) => {
      const start = tf.tidy(() => generateFrom(model, vae, n, noise));
      try {
        return Promise.resolve({ ...sgldChain((v) => model.energy(params, v), start, start, opts), start });
      } catch (err) {
        start.dispose();
        throw err;
      }
    },
    grads: (kind, params, inputs, opts) => Promise.resolve(objectiveGrads(model, kind, params, inputs, { ...opts, scale: 1 })),
  };
}

/**
 * Whether the decoder maps each row on its own, so that its rows can be made on different
 * threads: not where it keeps buffers (BatchNorm's batch statistics, models/buffers.ts).
 */
const rowwiseDecoder = (model: EcvaeModel): boolean => !model.specs.dec.some((s) => s.buffer);

function packAll(p: Record<string, tf.Tensor>): PackedTensors {
  return Object.fromEntries(Object.entries(p).map(([k, t]) => [k, pack(t)]));
}

/** Rows [a, b) of every input. */
function rows(inputs: Record<string, tf.Tensor>, a: number, b: number): Record<string, tf.Tensor> {
  return Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, t.slice(a, b - a)]));
}

/** Rows [a, b) of t, packed for a worker. */
function packRows(t: tf.Tensor, a: number, b: number): PackedTensor {
  const part = t.slice(a, b - a);
  const packed = pack(part);
  part.dispose();
  return packed;
}

function disposeResult(r: ObjectiveResult): void {
  disposeParams(r.grads);
  disposeParams(r.updates);
  r.terms.dispose();
}

export class Pool implements Runner {
  private readonly local: Runner;

  private constructor(
    private readonly model: EcvaeModel,
    private readonly workers: PoolWorker[],
  ) {
    this.local = localRunner(model);
  }

  /** A pool of `threads` in all: this thread plus threads - 1 workers. */
  static async create(model: EcvaeModel, modelConfig: ModelConfig, backend: BackendName, threads: number): Promise<Pool> {
    const init = { kind: 'init' as const, model: modelConfig, dataShape: model.dataShape, backend };
    const workers = await Promise.all(Array.from({ length: Math.max(0, threads - 1) }, () => PoolWorker.start(init)));
    return new Pool(model, workers);
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  /** Row bounds of the parts, as equal as possible; part 0 stays on this thread. */
  private bounds(total: number): number[] {
    const parts = Math.min(this.threads, total);
    return Array.from({ length: parts + 1 }, (_, i) => Math.round((i * total) / parts));
  }

  /**
   * Runs part 0 here while the workers run the others; `remote(i, a, b)` starts part i
   * (rows [a, b)) on worker i - 1. Remote results are unpacked into tensors.
   */
  private async split<T>(
    total: number,
    here: (a: number, b: number) => T,
    remote: (w: PoolWorker, a: number, b: number) => Promise<PackedTensors>,
    disposeHere: (t: T) => void,
  ): Promise<{ mine: T; others: Record<string, tf.Tensor>[] }> {
    const b = this.bounds(total);
    const pending = this.workers.slice(0, b.length - 2).map((w, i) => remote(w, b[i + 1]!, b[i + 2]!));
    const mine = here(b[0]!, b[1]!);
    try {
      return { mine, others: (await Promise.all(pending)).map(unpack) };
    } catch (err) {
      disposeHere(mine);
      throw err;
    }
  }

  /** SGLD on the energy with `params` from `start`, conditioned on it, split across the threads. */
  async sgld(params: Params, start: tf.Tensor, opts: SgldOptions): Promise<SgldResult> {
    return this.chains(
      params,
      start.shape[0]!,
      opts,
      (a, b) => start.slice(a, b - a),
      (a, b) => ({ start: packRows(start, a, b) }),
    );
  }

  /** Each thread decodes its own rows of n, then runs their chains (rows of a row-wise decoder only; else the decoder runs here first). */
  async sgldFromPrior(params: Params, vae: Params, n: tf.Tensor2D, opts: SgldOptions, noise?: tf.Tensor4D[]): Promise<SgldResult & { start: tf.Tensor }> {
    const total = n.shape[0];
    if (this.threads === 1 || total === 1) return this.local.sgldFromPrior(params, vae, n, opts, noise);
    if (!rowwiseDecoder(this.model) || noise) {
      const start = tf.tidy(() => generateFrom(this.model, vae, n, noise));
      try {
        return { ...(await this.sgld(params, start, opts)), start };
      } catch (err) {
        start.dispose();
        throw err;
      }
    }
    const decoder = packAll(Object.fromEntries(this.model.specs.dec.map((s) => [s.name, vae[s.name]!])));
    const r = await this.chains(
      params,
      total,
      opts,
      (a, b) => tf.tidy(() => generateFrom(this.model, vae, n.slice(a, b - a))),
      (a, b) => ({ decoder, latents: packRows(n, a, b) }),
      true,
    );
    return r as SgldResult & { start: tf.Tensor };
  }

  /**
   * Chains on rows split across the threads: `startHere` makes this thread's start (rows
   * [a, b), a new tensor), `startThere` tells a worker its start. With `withStart`, the
   * starts come back joined (the workers then reply with theirs).
   */
  private async chains(
    params: Params,
    total: number,
    opts: SgldOptions,
    startHere: (a: number, b: number) => tf.Tensor,
    startThere: (a: number, b: number) => SgldStart,
    withStart = false,
  ): Promise<SgldResult & { start?: tf.Tensor }> {
    const packedParams = packAll(params);
    const { mine, others } = await this.split(
      total,
      (a, b) => {
        const start = startHere(a, b);
        return { ...sgldChain((v) => this.model.energy(params, v), start, start, { ...opts, rowOffset: a }), start };
      },
      (w, a, b) => w.run({ kind: 'sgld', params: packedParams, from: startThere(a, b), opts: { ...opts, rowOffset: a } }),
      (r) => disposeParams({ ...r }),
    );
    const join = (key: 'x' | 'drift' | 'start'): tf.Tensor => tf.concat([mine[key], ...others.map((o) => o[key]!)]);
    const out = { x: join('x'), drift: join('drift'), ...(withStart ? { start: join('start') } : {}) };
    disposeParams({ ...mine });
    others.forEach(disposeParams);
    return out;
  }

  async grads(kind: ObjectiveKind, params: Params, inputs: ObjectiveInputs, opts: RunnerObjectiveOptions): Promise<ObjectiveResult> {
    const total = Object.values(inputs)[0]!.shape[0]!;
    if (this.threads === 1 || total === 1) return this.local.grads(kind, params, inputs, opts);
    const packedParams = packAll(params);
    const { mine, others } = await this.split(
      total,
      (a, b) => {
        const part = tf.tidy(() => rows(inputs, a, b));
        const r = objectiveGrads(this.model, kind, params, part, { ...opts, scale: (b - a) / total });
        disposeParams(part);
        return r;
      },
      (w, a, b) => {
        const packed = Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, packRows(t, a, b)]));
        return w.run({ kind: 'grads', objective: kind, params: packedParams, inputs: packed, opts: { ...opts, scale: (b - a) / total } });
      },
      disposeResult,
    );
    const sum = (mineT: tf.Tensor, key: string): tf.Tensor => tf.addN([mineT, ...others.map((o) => o[key]!)]);
    const grads = Object.fromEntries(Object.entries(mine.grads).map(([k, g]) => [k, sum(g, k)]));
    const terms = sum(mine.terms, 'terms') as tf.Tensor1D;
    const updates = Object.fromEntries(Object.entries(mine.updates).map(([k, u]) => [k, sum(u, UPDATE_PREFIX + k)]));
    disposeResult(mine);
    others.forEach(disposeParams);
    return { grads, terms, updates };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
  }
}
