/**
 * What every CLI command shares: its flags as parseArgs gives them, the errors that mean
 * bad usage, the one-JSON-line output contract, and the checks on flag values (the
 * protocol schema's limits, so the CLI and the sidecar refuse the same values).
 */
import { BACKEND_ORDER } from '../engine/core/backend.ts';
import { formatDiagnostics, requireConfigFile, type BackendName, type RunConfig } from '../engine/config/config.ts';
import { paramsProblem } from '../params.ts';

/** The flags parseArgs gives a command. */
export type Flags = Record<string, string | boolean | undefined>;

/** What a command does; the number is the exit code. */
export interface Command {
  /** Its usage lines, for the help text. */
  usage: string;
  run(positionals: string[], flags: Flags, out: Out): Promise<number>;
}

export class UsageError extends Error {}

export interface Out {
  json: boolean;
}

export function emit(out: Out, obj: Record<string, unknown>, human?: string): void {
  if (out.json) process.stdout.write(JSON.stringify(obj) + '\n');
  else if (human) process.stdout.write(human + '\n');
}

export function intFlag(v: string | undefined, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min} (got "${v}").`);
  return n;
}

/** The CLI's flag for a protocol param, where the names differ. */
const FLAG_OF_PARAM: Record<string, string> = {
  mcmcSteps: 'mcmc-steps',
  fromClean: 'from-clean',
  batchSize: 'batch-size',
  learningRate: 'learning-rate',
  outDir: 'out',
};

/**
 * The same limits as the sidecar's (schemas/ecvae-protocol.schema.json), on the values
 * the flags gave; the message names the flag. Undefined values are left out.
 */
export function checkParams(method: string, params: Record<string, unknown>): void {
  const given = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
  const problem = paramsProblem(method, given);
  if (problem) throw new UsageError(problem.replace(/param "([^"]+)"/g, (_, k: string) => `--${FLAG_OF_PARAM[k] ?? k}`));
}

export function backendFlag(v: string | undefined): 'auto' | BackendName | undefined {
  if (v === undefined) return undefined;
  if (v !== 'auto' && !BACKEND_ORDER.includes(v as BackendName))
    throw new UsageError(`--backend must be one of auto, ${BACKEND_ORDER.join(', ')} (got "${v}").`);
  return v as 'auto' | BackendName;
}

/** The validated config named by a command's first argument, with --backend applied; warnings go to stderr. */
export function configFromArgs(cmd: string, pos: string[], f: Flags): RunConfig {
  const file = pos[0];
  if (!file) throw new UsageError(`${cmd} needs a config file.`);
  const r = requireConfigFile(file);
  if (r.warnings.length) process.stderr.write(formatDiagnostics(file, r.warnings) + '\n');
  const backend = backendFlag(f.backend as string | undefined);
  if (backend) r.config.backend = backend;
  return r.config;
}

export function numFlag(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a non-negative number (got "${v}").`);
  return n;
}
