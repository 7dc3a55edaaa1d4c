/**
 * Starts a worker thread on one of the engine's entry modules: the bundled file beside
 * this module in dist/ (scripts/build.mjs names it), or, when running from TypeScript
 * sources, the .ts entry through tsx.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function spawnWorker(bundled: string, source: URL, options: WorkerOptions = {}): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(`./${bundled}`, import.meta.url), { stdout: false, ...options });
  // Node 20 does not apply `--import tsx` hooks to a worker's entry module: register tsx first, then import it.
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(source.href)}); });`;
  return new Worker(boot, { stdout: false, ...options, eval: true });
}
