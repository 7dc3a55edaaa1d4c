/** `ecvae train`: a config to its iterations; Ctrl-C, SIGTERM and SIGHUP stop after the iteration with a checkpoint (exit 130). */
import { trainRun } from '../../../app/training.ts';
import type { MetricsRecord } from '../../../protocol.ts';
import { checkParams, emit, loadConfig, outOf } from '../../args.ts';
import { formatDuration, formatMetrics } from '../../format.ts';
import type { TrainOptions } from './options.ts';
import { outputGone } from '../../stdio.ts';

export async function run(file: string, o: TrainOptions): Promise<number> {
  const out = outOf(o);
  checkParams('train/start', { configPath: file, iterations: o.iterations }, 'train');
  const config = loadConfig(file, o.backend);
  const ac = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write('\nstopping after this iteration (Ctrl-C again to quit at once)...\n');
    ac.abort();
  };
  // Ctrl-C, kill (SIGTERM) and a closed terminal (SIGHUP) all stop after the current iteration, with a checkpoint.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSigint);
  // A reader of stdout or stderr that goes away (EPIPE) stops the run the same way (stdio.ts).
  outputGone.signal.addEventListener('abort', () => ac.abort(), { once: true });
  const tty = process.stderr.isTTY;
  const progress = (m: MetricsRecord, total: number): void => {
    if (out.json && !tty) return;
    const eta = m.itPerSec > 0 ? formatDuration((total - m.iteration) / m.itPerSec) : '?';
    const line = `iter ${m.iteration}/${total}  ${formatMetrics(m)}  ${m.itPerSec.toFixed(2)} it/s  ETA ${eta}`;
    process.stderr.write(tty ? `\r${line}\x1b[K` : line + '\n');
  };
  const result = await trainRun(
    config,
    { configFile: file, ...(o.out ? { runDir: o.out } : {}), ...(o.iterations ? { iterations: o.iterations } : {}), resume: Boolean(o.resume) },
    {
      signal: ac.signal,
      events: {
        onLog: (m) => process.stderr.write(`${tty ? '\n' : ''}${m}\n`),
        onMetrics: progress,
      },
    },
  );
  if (tty) process.stderr.write('\n');
  const summary = {
    ok: true,
    runDir: result.runDir,
    status: result.status,
    iteration: result.iteration,
    checkpoint: result.checkpoint,
    secPerIter: result.secPerIter,
    iterationsThisSession: result.iterationsThisSession,
    backend: result.backend.backend,
    dataset: result.dataset,
    metrics: result.last,
    ...(result.resumedFrom !== undefined ? { resumedFrom: result.resumedFrom } : {}),
  };
  emit(
    out,
    summary,
    `${result.status}: ${result.runDir} at iteration ${result.iteration} (${result.secPerIter.toFixed(3)} s/iter on ${result.backend.backend})\ncheckpoint: ${result.checkpoint}`,
  );
  return result.status === 'stopped' ? 130 : 0;
}
