/**
 * One worker thread of the pool (pool.ts): started with the model's config, it answers
 * jobs by id; a crash or exit fails every pending and later job with a clear error
 * instead of leaving it waiting.
 */
import type { Worker } from 'node:worker_threads';
import { spawnWorker } from './spawnWorker.ts';
import type { PackedTensors, WorkerReply, WorkerRequest } from './messages.ts';

type Waiter = { resolve(t: PackedTensors): void; reject(e: Error): void };
type Job = Extract<WorkerRequest, { kind: 'sgld' | 'grads' }>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export class PoolWorker {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: WorkerReply) => {
      if (m.kind === 'result') this.settle(m.id, (w) => w.resolve(m.out));
      else if (m.kind === 'error' && m.id !== undefined) this.settle(m.id, (w) => w.reject(new Error(`pool worker: ${m.message}`)));
    });
    worker.on('error', (e) => this.fail(new Error(`pool worker crashed: ${e.message}`)));
    worker.on('exit', (code) => this.fail(new Error(`pool worker exited (code ${code})`)));
  }

  /** Marks the worker unusable: pending and later jobs reject with `e` (nothing waits forever). */
  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
  }

  private settle(id: number, f: (w: Waiter) => void): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    f(w);
  }

  static async start(init: Extract<WorkerRequest, { kind: 'init' }>): Promise<PoolWorker> {
    const worker = spawnWorker('pool-worker.js', new URL('./worker.ts', import.meta.url));
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: WorkerReply): void => {
        worker.off('message', onMessage);
        if (m.kind === 'ready') resolve();
        else reject(new Error(`pool worker failed to start: ${m.kind === 'error' ? m.message : m.kind}`));
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.postMessage(init satisfies WorkerRequest);
    });
    return new PoolWorker(worker);
  }

  run(job: DistributiveOmit<Job, 'id'>): Promise<PackedTensors> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ ...job, id } as Job satisfies WorkerRequest);
    });
  }

  async stop(): Promise<void> {
    this.fail(new Error('pool worker was stopped (the pool is closed)'));
    await this.worker.terminate();
  }
}
