/**
 * `ecvae`: the command-line face of the engine (SPEC §4). Human progress goes to stderr;
 * with --json the last stdout line is exactly one JSON object, also on failure
 * ({"ok": false, "error": ...}). Exit codes: 0 ok, 1 failure, 2 bad usage, an invalid
 * config or any other input the user can fix (engine/errors.ts UserError), 130 stopped
 * by Ctrl-C (after a checkpoint).
 */
// TF.js and its backends print notices with console.log; stdout is reserved for results.
console.log = console.error;
console.info = console.error;

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BACKEND_ORDER, describeBackend, selectBackend } from '../engine/backend.ts';
import { formatDiagnostics, loadConfigFile, type BackendName, type Diagnostic, type RunConfig } from '../engine/config.ts';
import { train, type MetricsRecord } from '../engine/run.ts';
import { loadTrained } from '../engine/trained.ts';
import { restoreToFile, sampleToFile } from '../engine/actions.ts';
import { UserError } from '../engine/errors.ts';
import { compare } from '../engine/eval/compare.ts';
import { evaluate } from '../engine/eval/index.ts';
import { paramsProblem } from '../params.ts';
import { formatDuration, formatMetrics } from './format.ts';

const USAGE = `Usage:
  ecvae train <config.ecvae.json> [--out DIR] [--iterations N] [--resume] [--backend B] [--json]
  ecvae sample <checkpoint|run-folder> --out grid.png [--n 64] [--seed S] [--mcmc-steps K] [--backend B] [--json]
  ecvae restore <checkpoint|run-folder> <image> --task inpaint|colorize|sr|denoise --out out.png
        [--mask m.png|center|half|random:P] [--factor 4] [--sigma 0.1] [--reference clean.png | --from-clean]
        [--steps 50] [--step-size S] [--energy-weight W] [--seed S] [--compare strip.png] [--json]
  ecvae eval <checkpoint|run-folder> [--n 1000] [--mcmc-steps K] [--seed S] [--json]
  ecvae compare <config.ecvae.json> [--out DIR] [--iterations N] [--n 1000] [--mcmc-steps K] [--json]
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

/** The CLI's flag for a protocol param, where the names differ. */
const FLAG_OF_PARAM: Record<string, string> = { mcmcSteps: 'mcmc-steps', fromClean: 'from-clean' };

/**
 * The same limits as the sidecar's (schemas/ecvae-protocol.schema.json), on the values
 * the flags gave; the message names the flag. Undefined values are left out.
 */
function checkParams(method: string, params: Record<string, unknown>): void {
  const given = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
  const problem = paramsProblem(method, given);
  if (problem) throw new UsageError(problem.replace(/param "([^"]+)"/g, (_, k: string) => `--${FLAG_OF_PARAM[k] ?? k}`));
}

function backendFlag(v: string | undefined): 'auto' | BackendName | undefined {
  if (v === undefined) return undefined;
  if (v !== 'auto' && !BACKEND_ORDER.includes(v as BackendName)) throw new UsageError(`--backend must be one of auto, ${BACKEND_ORDER.join(', ')} (got "${v}").`);
  return v as 'auto' | BackendName;
}

class InvalidConfigError extends Error {
  constructor(readonly file: string, readonly diagnostics: Diagnostic[]) {
    super(`invalid config ${file}`);
  }
}

/** The validated config named by a command's first argument, with --backend applied; warnings go to stderr. */
function configFromArgs(cmd: string, pos: string[], f: Record<string, string | boolean | undefined>): RunConfig {
  const file = pos[0];
  if (!file) throw new UsageError(`${cmd} needs a config file.`);
  const r = loadConfigFile(file);
  if (!r.ok) throw new InvalidConfigError(file, r.diagnostics);
  if (r.warnings.length) process.stderr.write(formatDiagnostics(file, r.warnings) + '\n');
  const backend = backendFlag(f.backend as string | undefined);
  if (backend) r.config.backend = backend;
  return r.config;
}

async function cmdTrain(pos: string[], f: Record<string, string | boolean | undefined>, out: Out): Promise<number> {
  const config = configFromArgs('train', pos, f);
  const iterations = intFlag(f.iterations as string | undefined, 'iterations', 1);
  checkParams('train/start', { configPath: pos[0], iterations });
  const ac = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write('\nstopping after this iteration (Ctrl-C again to quit at once)...\n');
    ac.abort();
  };
  // Ctrl-C, kill (SIGTERM) and a closed terminal (SIGHUP) all stop after the current iteration, with a checkpoint.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSigint);
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
  const request = {
    checkpoint: ck, out: file, n: intFlag(f.n as string | undefined, 'n', 1) ?? 64,
    mcmcSteps: intFlag(f['mcmc-steps'] as string | undefined, 'mcmc-steps', 0) ?? 0, seed: intFlag(f.seed as string | undefined, 'seed', 0) ?? 0,
  };
  checkParams('sample', request);
  const report = await selectBackend(backendFlag(f.backend as string | undefined) ?? 'auto');
  const r = sampleToFile(request);
  emit(out, { ok: true, ...r, backend: report.backend }, `wrote ${r.n} samples to ${file} (checkpoint ${r.checkpoint}, iteration ${r.iteration})`);
  return 0;
}

function numFlag(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a non-negative number (got "${v}").`);
  return n;
}

const TASKS = ['inpaint', 'colorize', 'sr', 'denoise'] as const;

async function cmdRestore(pos: string[], f: Record<string, string | boolean | undefined>, out: Out): Promise<number> {
  const [ck, imageFile] = pos;
  if (!ck || !imageFile) throw new UsageError('restore needs a checkpoint (or run folder) and an image.');
  const task = f.task as (typeof TASKS)[number] | undefined;
  if (!task || !TASKS.includes(task)) throw new UsageError(`restore needs --task ${TASKS.join('|')}.`);
  const file = f.out as string | undefined;
  if (!file) throw new UsageError('restore needs --out restored.png.');
  if (f.reference && f['from-clean']) throw new UsageError('--reference and --from-clean exclude each other (--from-clean makes the input its own reference).');
  const factor = intFlag(f.factor as string | undefined, 'factor', 1);
  const sigma = numFlag(f.sigma as string | undefined, 'sigma');
  const options = {
    ...(f.steps !== undefined ? { steps: intFlag(f.steps as string, 'steps', 1)! } : {}),
    ...(f['step-size'] !== undefined ? { stepSize: numFlag(f['step-size'] as string, 'step-size')! } : {}),
    ...(f['energy-weight'] !== undefined ? { energyWeight: numFlag(f['energy-weight'] as string, 'energy-weight')! } : {}),
    ...(f.seed !== undefined ? { seed: intFlag(f.seed as string, 'seed', 0)! } : {}),
  };
  checkParams('restore', {
    checkpoint: ck, image: imageFile, task, out: file, mask: f.mask, factor, sigma, reference: f.reference, fromClean: Boolean(f['from-clean']), steps: options.steps,
  });
  const report = await selectBackend(backendFlag(f.backend as string | undefined) ?? 'auto');
  const r = await restoreToFile({
    checkpoint: ck, image: imageFile, task, out: file, options, fromClean: Boolean(f['from-clean']),
    ...(f.mask ? { mask: f.mask as string } : {}), ...(factor ? { factor } : {}), ...(sigma !== undefined ? { sigma } : {}),
    ...(f.reference ? { reference: f.reference as string } : {}), ...(f.compare ? { compare: f.compare as string } : {}),
  });
  emit(out, { ok: true, backend: report.backend, ...r }, [
    `${r.degradation}: wrote ${file} (${r.secondsPerImage.toFixed(2)} s/image)`,
    ...(r.psnr !== undefined ? [`EC-VAE   PSNR ${r.psnr.toFixed(2)} dB  SSIM ${r.ssim!.toFixed(3)}`] : []),
    ...Object.entries(r.baselines).filter(([, b]) => b.psnr !== undefined).map(([k, b]) => `${k.padEnd(8)} PSNR ${b.psnr!.toFixed(2)} dB  SSIM ${b.ssim!.toFixed(3)}`),
    ...r.notes,
  ].join('\n'));
  return 0;
}

async function cmdEval(pos: string[], f: Record<string, string | boolean | undefined>, out: Out): Promise<number> {
  const ck = pos[0];
  if (!ck) throw new UsageError('eval needs a checkpoint file or run folder.');
  const n = intFlag(f.n as string | undefined, 'n', 10) ?? 1000;
  const mcmcSteps = intFlag(f['mcmc-steps'] as string | undefined, 'mcmc-steps', 0) ?? 0;
  const seed = intFlag(f.seed as string | undefined, 'seed', 0) ?? 0;
  const report = await selectBackend(backendFlag(f.backend as string | undefined) ?? 'auto');
  const m = loadTrained(ck);
  try {
    const r = evaluate(m, { n, mcmcSteps, seed });
    emit(out, { ok: true, checkpoint: m.file, iteration: m.iteration, backend: report.backend, ...r }, [
      `${m.file} (iteration ${m.iteration}), ${r.n} ${r.sampler} samples, ${r.secondsPerImage.toExponential(2)} s/image:`,
      ...Object.entries(r.metrics).map(([k, v]) => `  ${k.padEnd(10)} ${v.toPrecision(5)}`),
      ...r.notes.map((x) => `note: ${x}`),
    ].join('\n'));
  } finally {
    m.dispose();
  }
  return 0;
}

async function cmdCompare(pos: string[], f: Record<string, string | boolean | undefined>, out: Out): Promise<number> {
  const config = configFromArgs('compare', pos, f);
  const iterations = intFlag(f.iterations as string | undefined, 'iterations', 1);
  const outDir = (f.out as string | undefined) ?? join(config.output.dir, `${config.name}-compare`);
  const report = await compare(config, {
    outDir, n: intFlag(f.n as string | undefined, 'n', 10) ?? 1000,
    mcmcSteps: intFlag(f['mcmc-steps'] as string | undefined, 'mcmc-steps', 0) ?? config.calibration.sgldSteps,
    ...(iterations ? { iterations } : {}),
    events: { onLog: (m) => process.stderr.write(m + '\n') },
  });
  emit(out, { ok: true, outDir, ...report }, `wrote ${join(outDir, 'report.md')}\n\n${readFileSync(join(outDir, 'report.md'), 'utf8')}`);
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
        task: { type: 'string' }, mask: { type: 'string' }, factor: { type: 'string' }, sigma: { type: 'string' },
        reference: { type: 'string' }, 'from-clean': { type: 'boolean' }, steps: { type: 'string' }, 'step-size': { type: 'string' },
        'energy-weight': { type: 'string' }, compare: { type: 'string' },
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
      case 'restore': return await cmdRestore(rest, values, out);
      case 'eval': return await cmdEval(rest, values, out);
      case 'compare': return await cmdCompare(rest, values, out);
      case 'info': return await cmdInfo(values, out);
      default: throw new UsageError(`Unknown command "${cmd}".`);
    }
  } catch (err) {
    if (err instanceof InvalidConfigError) {
      process.stderr.write(formatDiagnostics(err.file, err.diagnostics) + '\n');
      emit(out, { ok: false, error: err.message, diagnostics: err.diagnostics });
      return 2;
    }
    // Bad usage and every UserError (bad input a user can fix) exit 2; anything else is a failure.
    const usage = err instanceof UsageError || Boolean((err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS'));
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`ecvae: error: ${message}\n${usage ? USAGE + '\n' : ''}`);
    emit(out, { ok: false, error: message, ...(err instanceof UserError ? { kind: err.kind } : {}) });
    return usage || err instanceof UserError ? 2 : 1;
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
