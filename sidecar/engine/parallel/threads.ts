/**
 * How many threads a run uses, and so how many runs fit the cores at once: training
 * (openRun.ts) resolves `training.parallelism` once its backend is known; sweeps and
 * `compare` decide from the config alone, before any backend is loaded.
 */
import { availableParallelism } from 'node:os';
import type { BackendName, RunConfig } from '../config/config.ts';
import type { EcvaeModel } from '../models/index.ts';

/** Backends whose threads are ours to use (one WASM or JS instance per thread); native and GPU backends thread internally. */
const ownThreads = (backend: BackendName): boolean => backend === 'wasm' || backend === 'cpu';

/**
 * Threads to use for `parallelism`. "auto": every core (up to 4) for image models on the
 * CPU backends. Models of vector data (MLPs, flows on 2-D points) are too small:
 * messaging costs more than it saves (the toy example trains slower on 2 threads than on
 * 1; docs/performance.md), and native/GPU backends thread internally.
 */
export function resolveParallelism(parallelism: number | 'auto', backend: BackendName, model: Pick<EcvaeModel, 'dataShape'>): number {
  return parallelism !== 'auto' ? parallelism : autoThreads(model.dataShape.length === 3, ownThreads(backend), availableParallelism());
}

/** Threads one run uses on a CPU backend (resolveParallelism, before the backend is known). */
export function threadsPerRun(c: RunConfig, cores = availableParallelism()): number {
  const p = c.training.parallelism;
  return p !== 'auto' ? p : autoThreads(c.data.kind !== 'gaussians25', true, cores);
}

/** "auto"'s rule, for both of the above: every core, up to 4, for an image model on a backend whose threads are ours; else 1. */
function autoThreads(image: boolean, threadsAreOurs: boolean, cores: number): number {
  return image && threadsAreOurs ? Math.min(cores, 4) : 1;
}

/** How many runs at a time fit the cores, given each run's threads. */
export function defaultParallel(c: RunConfig, cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / threadsPerRun(c, cores)));
}

/** Runs of `c` to train at once in one process on `backend`: as many as fit the cores on a CPU backend, one on native and GPU backends. */
export function runsAtOnce(c: RunConfig, backend: BackendName, cores = availableParallelism()): number {
  return ownThreads(backend) ? defaultParallel(c, cores) : 1;
}
