/**
 * What the commands share: the --json output contract, the options every command of a
 * kind takes (--json, --backend), the config named by a command's argument, and the
 * protocol schema's checks on the values flags gave. Free of the engine's TF.js side, so
 * a command's definition (its index.ts) loads nothing heavy; its run.ts does.
 */
import { readFileSync, statSync, type Stats } from 'node:fs';
import { Option, type Command } from 'commander';
import { formatDiagnostics, requireConfigFile, type BackendName, type RunConfig } from '../engine/config/config.ts';
import { UserError } from '../runLayout/errors.ts';
import { describeFsError, fileTypeName } from '../runLayout/guardedRead.ts';
import { schemaPath } from '../engine/core/paths.ts';
import { paramsProblem } from '../params.ts';
import { UsageError } from './errors.ts';

export { UsageError } from './errors.ts';

export interface Out {
  json: boolean;
}

/** The options every command takes. */
export interface CommonOptions {
  json?: boolean;
}

/** Commands that load a backend take --backend. */
export interface BackendOptions extends CommonOptions {
  backend?: 'auto' | BackendName;
}

export const outOf = (o: CommonOptions): Out => ({ json: Boolean(o.json) });

/** With --json, `obj` as the one JSON line; otherwise `human`, when there is one. */
export function emit(out: Out, obj: Record<string, unknown>, human?: string): void {
  if (out.json) process.stdout.write(JSON.stringify(obj) + '\n');
  else if (human) process.stdout.write(human + '\n');
}

export function jsonOption(cmd: Command): Command {
  return cmd.option('--json', 'print the result as one JSON line (also on failure)');
}

/** The backends a config or flag may name, from the run config schema. */
export function backendChoices(): string[] {
  const schema = JSON.parse(readFileSync(schemaPath(), 'utf8')) as { properties: { backend: { enum: string[] } } };
  return schema.properties.backend.enum;
}

export function backendOption(cmd: Command, what = 'TF.js backend'): Command {
  const names = backendChoices();
  const parse = (v: string): string => {
    if (!names.includes(v)) throw new UsageError(`--backend takes one of ${names.join(', ')}; got "${v}".`, cmd.name());
    return v;
  };
  return cmd.addOption(new Option('--backend <name>', `${what}: ${names.join(', ')} (default: auto)`).argParser(parse));
}

/** Commands that measure sample quality take --inception and --inception-output (FID). */
export interface InceptionFlags {
  inception?: string;
  inceptionOutput?: string;
}

export function inceptionOptions(cmd: Command, prefix = ''): Command {
  return cmd
    .option('--inception <dir>', `${prefix}an Inception-v3 TF.js graph model (its folder or model.json): also report fid, the FID on its pool features`)
    .option('--inception-output <node>', `${prefix}the graph node that holds the pool features (default: the model's only output)`);
}

/** The engine's Inception options from the flags; --inception-output alone is refused. */
export function inceptionOf(o: InceptionFlags, command: string): { path: string; output?: string } | undefined {
  if (o.inceptionOutput !== undefined && o.inception === undefined)
    throw new UsageError('--inception-output names a node of the --inception model; give --inception too.', command);
  return o.inception === undefined ? undefined : { path: o.inception, ...(o.inceptionOutput !== undefined ? { output: o.inceptionOutput } : {}) };
}

/** A file argument that must exist and be a file: said plainly, not as a parser's error code. */
export function requireFile(file: string, what: string): void {
  let st: Stats;
  try {
    st = statSync(file);
  } catch (err) {
    const why = describeFsError(err, file);
    throw new UserError('request', why === 'file not found' ? `The ${what} ${file} does not exist.` : `Cannot read the ${what} ${file}: ${why}.`, file);
  }
  if (!st.isFile()) throw new UserError('request', `The ${what} ${file} is ${fileTypeName(st)}, not a file.`, file);
}

/** The validated config `file`, with --backend applied; its warnings go to stderr. */
export function loadConfig(file: string, backend?: 'auto' | BackendName): RunConfig {
  try {
    requireFile(file, 'config file');
  } catch (err) {
    throw new UserError('config', (err as Error).message);
  }
  const r = requireConfigFile(file);
  if (r.warnings.length) process.stderr.write(formatDiagnostics(file, r.warnings) + '\n');
  if (backend) r.config.backend = backend;
  return r.config;
}

/** The CLI's flag for a protocol param, where the names differ. */
const FLAG_OF_PARAM: Record<string, string> = {
  mcmcSteps: 'mcmc-steps',
  fromClean: 'from-clean',
  batchSize: 'batch-size',
  learningRate: 'learning-rate',
  stepSize: 'step-size',
  energyWeight: 'energy-weight',
  outDir: 'out',
};

/**
 * The sidecar's checks (schemas/ecvae-protocol.schema.json) on the values the flags
 * gave; the message names the flag. Undefined values are left out.
 */
export function checkParams(method: string, params: Record<string, unknown>, command: string): void {
  const given = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
  const problem = paramsProblem(method, given);
  if (problem)
    throw new UsageError(
      problem.replace(/param "([^"]+)"/g, (_, k: string) => `--${FLAG_OF_PARAM[k] ?? k}`),
      command,
    );
}
