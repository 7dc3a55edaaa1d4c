/**
 * `ecvae`: the command-line face of the engine (SPEC §4). Human progress goes to stderr;
 * with --json the last stdout line is exactly one JSON object, also on failure
 * ({"ok": false, "error": ...}). Exit codes: 0 ok, 1 failure, 2 bad usage or config,
 * 130 stopped by Ctrl-C (after a checkpoint).
 */
// TF.js and its backends print notices with console.log; stdout is reserved for results.
console.log = console.error;
console.info = console.error;

import { parseArgs } from 'node:util';
import { BACKEND_ORDER, describeBackend, selectBackend } from '../engine/backend.ts';
import { formatDiagnostics, loadConfigFile, type BackendName } from '../engine/config.ts';
import { writeSamples, train, type MetricsRecord } from '../engine/run.ts';
import { generate, refine } from '../engine/sample.ts';
import { loadTrained } from '../engine/trained.ts';
import { formatDuration, formatMetrics } from './format.ts';

const USAGE = `Usage:
  ecvae train <config.ecvae.json> [--out DIR] [--iterations N] [--resume] [--backend B] [--json]
  ecvae sample <checkpoint|run-folder> --out grid.png [--n 64] [--seed S] [--mcmc-steps K] [--backend B] [--json]
  ecvae info [--backend B] [--json]
Backends: auto, ${BACKEND_ORDER.join(', ')}.`;

class UsageError extends Error {}

interface Out {
  json: boolean;
}

function emit(out: Out, obj: Record<string, unknown>, human?: string): void {
  if (out.json) process.stdout.write(JSON.stringify(obj) + '\n');
  else if (human) process.stdout.write(human + '\n');
}

function intFlag(v: string | undefined, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min} (got "${v}").`);
  return n;
}

function backendFlag(v: string | undefined): 'auto' | BackendName | undefined {
  if (v === undefined) return undefined;
  if (v !== 'auto' && !BACKEND_ORDER.includes(v as BackendName)) throw new UsageError(`--backend must be one of auto, ${BACKEND_ORDER.join(', ')} (got "${v}").`);
  return v as 'auto' | BackendName;
}

async function cmdTrain(pos: string[], f: Record<string, string | boolean | undefined>, out: Out): Promise<number> {
  const file = pos[0];
  if (!file) throw new UsageError('train needs a config file.');
  const r = loadConfigFile(file);
  if (!r.ok) {
    process.stderr.write(formatDiagnostics(file, r.diagnostics) + '\n');
    emit(out, { ok: false, error: `invalid config ${file}`, diagnostics: r.diagnostics });
    return 2;
  }
  if (r.warnings.length) process.stderr.write(formatDiagnostics(file, r.warnings) + '\n');
  const config = r.config;
  const backend = backendFlag(f.backend as string | undefined);
  if (backend) config.backend = backend;
  const iterations = intFlag(f.iterations as string | undefined, 'iterations', 1);
  const ac = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write('\nstopping after this iteration (Ctrl-C again to quit at once)...\n');
    ac.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const tty = process.stderr.isTTY;
  const progress = (m: MetricsRecord, total: number): void => {
    if (out.json && !tty) return;
    const eta = m.itPerSec > 0 ? formatDuration((total - m.iteration) / m.itPerSec) : '?';
    const line = `iter ${m.iteration}/${total}  ${formatMetrics(m)}  ${m.itPerSec.toFixed(2)} it/s  ETA ${eta}`;
    process.stderr.write(tty ? `\r${line}\x1b[K` : line + '\n');
  };
  const result = await train(config, {
    ...(f.out ? { runDir: f.out as string } : {}),
    ...(iterations ? { iterations } : {}),
    resume: Boolean(f.resume),
    signal: ac.signal,
    events: {
      onLog: (m) => process.stderr.write(`${tty ? '\n' : ''}${m}\n`),
      onMetrics: progress,
    },
  });
  if (tty) process.stderr.write('\n');
  const summary = {
    ok: true, runDir: result.runDir, status: result.status, iteration: result.iteration, checkpoint: result.checkpoint,
    secPerIter: result.secPerIter, iterationsThisSession: result.iterationsThisSession, backend: result.backend.backend,
    dataset: result.dataset, metrics: result.last, ...(result.resumedFrom !== undefined ? { resumedFrom: result.resumedFrom } : {}),
  };
  emit(out, summary, `${result.status}: ${result.runDir} at iteration ${result.iteration} (${result.secPerIter.toFixed(3)} s/iter on ${result.backend.backend})\ncheckpoint: ${result.checkpoint}`);
  return result.status === 'stopped' ? 130 : 0;
}

async function cmdSample(pos: string[], f: Record<string, string | boolean | undefined>, out: Out): Promise<number> {
  const ck = pos[0];
  if (!ck) throw new UsageError('sample needs a checkpoint file or run folder.');
  const file = f.out as string | undefined;
  if (!file) throw new UsageError('sample needs --out grid.png.');
  const n = intFlag(f.n as string | undefined, 'n', 1) ?? 64;
  const steps = intFlag(f['mcmc-steps'] as string | undefined, 'mcmc-steps', 0) ?? 0;
  const seed = intFlag(f.seed as string | undefined, 'seed', 0) ?? 0;
  const report = await selectBackend(backendFlag(f.backend as string | undefined) ?? 'auto');
  const m = loadTrained(ck);
  try {
    if (steps > 0 && !m.ebm) throw new UsageError(`--mcmc-steps needs an energy model, but ${m.file} is a plain VAE (calibration.enabled false).`);
    const t0 = performance.now();
    const x = generate(m.model, m.vae, n, seed);
    const tOne = (performance.now() - t0) / 1000;
    let final = x;
    let tMcmc = 0;
    if (steps > 0) {
      const t1 = performance.now();
      final = refine(m.model, m.ebm!, x, steps, m.config, seed);
      tMcmc = (performance.now() - t1) / 1000;
      x.dispose();
    }
    writeSamples(file, m.model, final);
    final.dispose();
    emit(out, {
      ok: true, out: file, n, seed, mcmcSteps: steps, checkpoint: m.file, iteration: m.iteration, backend: report.backend,
      secondsPerImage: { oneStep: tOne / n, ...(steps ? { mcmc: tMcmc / n } : {}) },
    }, `wrote ${n} samples to ${file} (checkpoint ${m.file}, iteration ${m.iteration})`);
  } finally {
    m.dispose();
  }
  return 0;
}

async function cmdInfo(f: Record<string, string | boolean | undefined>, out: Out): Promise<number> {
  const report = await selectBackend(backendFlag(f.backend as string | undefined) ?? 'auto');
  emit(out, { ok: true, ...report, node: process.version, platform: `${process.platform}-${process.arch}` }, describeBackend(report));
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  let out: Out = { json: argv.includes('--json') };
  try {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        json: { type: 'boolean' }, out: { type: 'string' }, iterations: { type: 'string' }, resume: { type: 'boolean' },
        backend: { type: 'string' }, n: { type: 'string' }, seed: { type: 'string' }, 'mcmc-steps': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    out = { json: Boolean(values.json) };
    const [cmd, ...rest] = positionals;
    if (values.help || !cmd) {
      process.stderr.write(USAGE + '\n');
      return cmd || values.help ? 0 : 2;
    }
    switch (cmd) {
      case 'train': return await cmdTrain(rest, values, out);
      case 'sample': return await cmdSample(rest, values, out);
      case 'info': return await cmdInfo(values, out);
      default: throw new UsageError(`Unknown command "${cmd}".`);
    }
  } catch (err) {
    const usage = err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`ecvae: error: ${message}\n${usage ? USAGE + '\n' : ''}`);
    emit(out, { ok: false, error: message });
    return usage ? 2 : 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`ecvae: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
