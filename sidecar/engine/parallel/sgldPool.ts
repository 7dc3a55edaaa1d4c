/**
 * Data-parallel SGLD. The short-run chains are ~90% of an EC-VAE iteration and every row
 * is independent (the energy of a batch is a sum of per-row energies, the proximity term
 * is per row), so the rows are split between the main thread and worker threads, each
 * with its own TF.js backend. Each part draws the noise of the whole batch and keeps its
 * rows (sgld.ts `slice`), so the result is the single-thread result, row for row.
 * The WASM backend runs one thread per instance here, so this is how a second core is used.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BackendName, ModelConfig } from '../config.ts';
import type { EcvaeModel } from '../models/index.ts';
import type { Params } from '../params.ts';
import { sgld, type SgldOptions } from '../sgld.ts';
import * as tf from '../tf.ts';
import type { PackedTensor, WorkerReply, WorkerRequest } from './sgldWorker.ts';

/** Runs SGLD on the energy with `params`, from `start`, conditioned on `start`. */
export type SgldRunner = (params: Params, start: tf.Tensor, opts: SgldOptions) => Promise<tf.Tensor>;

export function localSgld(model: EcvaeModel): SgldRunner {
  return (params, start, opts) => Promise.resolve(sgld((v) => model.energy(params, v, true), start, start, opts));
}

/**
 * Threads to use for `parallelism`. "auto": every core (up to 4) for conv models on the
 * CPU backends. MLP chains are too small: messaging costs more than it saves (toy
 * example, 2 cores: 12.8 s with 1 thread, 14.7 s with 2), and native/GPU backends thread
 * internally.
 */
export function resolveParallelism(parallelism: number | 'auto', backend: BackendName, modelKind: EcvaeModel['kind']): number {
  if (parallelism !== 'auto') return parallelism;
  return modelKind === 'conv' && (backend === 'wasm' || backend === 'cpu') ? Math.min(availableParallelism(), 4) : 1;
}

/** The bundled worker (dist/sgld-worker.js) or, when running from TypeScript sources, the .ts entry through tsx. */
function spawnWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./sgld-worker.js', import.meta.url), { stdout: false });
  // Node 20 does not apply `--import tsx` hooks to a worker's entry module: register tsx first, then import it.
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./sgldWorker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, stdout: false });
}

function pack(t: tf.Tensor): PackedTensor {
  return { shape: t.shape, data: (t.dataSync() as Float32Array).slice() };
}

class PoolWorker {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(t: PackedTensor): void; reject(e: Error): void }>();
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: WorkerReply) => {
      if (m.kind === 'result') this.settle(m.id, (w) => w.resolve(m.out));
      else if (m.kind === 'error' && m.id !== undefined) this.settle(m.id, (w) => w.reject(new Error(`SGLD worker: ${m.message}`)));
    });
    worker.on('error', (e) => this.fail(new Error(`SGLD worker crashed: ${e.message}`)));
    worker.on('exit', (code) => this.fail(new Error(`SGLD worker exited (code ${code})`)));
  }

  /** Marks the worker unusable: pending and later runs reject with `e` (nothing waits forever). */
  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
  }

  private settle(id: number, f: (w: { resolve(t: PackedTensor): void; reject(e: Error): void }) => void): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    f(w);
  }

  static async start(init: Extract<WorkerRequest, { kind: 'init' }>): Promise<PoolWorker> {
    const worker = spawnWorker();
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: WorkerReply): void => {
        worker.off('message', onMessage);
        if (m.kind === 'ready') resolve();
        else reject(new Error(`SGLD worker failed to start: ${m.kind === 'error' ? m.message : m.kind}`));
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.postMessage(init satisfies WorkerRequest);
    });
    return new PoolWorker(worker);
  }

  run(params: Record<string, PackedTensor>, start: PackedTensor, opts: SgldOptions): Promise<PackedTensor> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ kind: 'run', id, params, start, opts } satisfies WorkerRequest);
    });
  }

  async stop(): Promise<void> {
    this.fail(new Error('SGLD worker was stopped (the pool is closed)'));
    await this.worker.terminate();
  }
}

export class SgldPool {
  private constructor(private readonly model: EcvaeModel, private readonly workers: PoolWorker[]) {}

  /** A pool of `threads` in all: this thread plus threads - 1 workers. */
  static async create(model: EcvaeModel, modelConfig: ModelConfig, backend: BackendName, threads: number): Promise<SgldPool> {
    const init = { kind: 'init' as const, model: modelConfig, dataShape: model.dataShape, backend };
    const workers = await Promise.all(Array.from({ length: Math.max(0, threads - 1) }, () => PoolWorker.start(init)));
    return new SgldPool(model, workers);
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  readonly run: SgldRunner = async (params, start, opts) => {
    const total = start.shape[0]!;
    const parts = Math.min(this.threads, total);
    if (parts === 1) return localSgld(this.model)(params, start, opts);
    // Row ranges: as equal as possible; part 0 stays on this thread.
    const bounds = Array.from({ length: parts + 1 }, (_, i) => Math.round((i * total) / parts));
    const packedParams = Object.fromEntries(Object.entries(params).map(([k, t]) => [k, pack(t)]));
    const remote = this.workers.slice(0, parts - 1).map((w, i) => {
      const [a, b] = [bounds[i + 1]!, bounds[i + 2]!];
      const rows = tf.tidy(() => start.slice(a, b - a));
      const packed = pack(rows);
      rows.dispose();
      return w.run(packedParams, packed, { ...opts, slice: { offset: a, total } });
    });
    const head = tf.tidy(() => start.slice(0, bounds[1]!));
    const mine = sgld((v) => this.model.energy(params, v, true), head, head, { ...opts, slice: { offset: 0, total } });
    head.dispose();
    let results: PackedTensor[];
    try {
      results = await Promise.all(remote);
    } catch (err) {
      mine.dispose();
      throw err;
    }
    const others = results.map((r) => tf.tensor(r.data, r.shape));
    const out = tf.concat([mine, ...others]);
    mine.dispose();
    others.forEach((t) => t.dispose());
    return out;
  };

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
  }
}
