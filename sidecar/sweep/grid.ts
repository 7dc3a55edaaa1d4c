/**
 * A sweep's grid: the axes (`--set path=v1,v2`, or named variants that change several
 * fields together), the seeds, and their expansion into one run per grid point and seed,
 * each with a folder name made of its values and its own fully validated config.
 * Pure: nothing here reads or writes run folders.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { formatDiagnostics, parseConfig, type RunConfig } from '../engine/config/config.ts';
import { UserError } from '../runLayout/errors.ts';
import { schemaPath } from '../engine/core/paths.ts';
import { isVariant, VARIANTS } from '../engine/eval/variants.ts';

/** One value of an axis: its label in run names and reports, and the config fields it sets. */
export interface AxisValue {
  label: string;
  overrides: Record<string, unknown>;
}

export interface Axis {
  /** The name in run names ("lambdaInit", "variant"). */
  key: string;
  /** What the axis varies, for reports: the dotted config path, or the variant set's name. */
  name: string;
  values: AxisValue[];
}

export interface PlannedRun {
  /** Folder name: `<key>=<label>_..._seed=<seed>`. */
  name: string;
  /** The grid point's name, the run name without its seed ("base" when nothing varies). */
  point: string;
  /** The axis labels of the point, by axis key. */
  labels: Record<string, string>;
  seed: number;
  /** Every field this run sets on the base config (the axes' overrides, then the seed). */
  overrides: Record<string, unknown>;
}

export class SweepError extends UserError {
  constructor(message: string) {
    super('request', message);
  }
}

/** Fields a sweep sets itself: the seed comes from --seeds and each run gets its own name. */
const RESERVED = new Set(['seed', 'name', '$schema']);

// ------------------------------------------------------------------ --set and the schema

interface SchemaNode {
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
}

let schemaRoot: SchemaNode | undefined;
function schema(): SchemaNode {
  return (schemaRoot ??= JSON.parse(readFileSync(schemaPath(), 'utf8')) as SchemaNode);
}

/** The object properties a schema node allows (through anyOf/oneOf branches too). */
function propertiesOf(node: SchemaNode): Record<string, SchemaNode> {
  const out: Record<string, SchemaNode> = { ...(node.properties ?? {}) };
  for (const branch of [...(node.anyOf ?? []), ...(node.oneOf ?? [])]) Object.assign(out, propertiesOf(branch));
  return out;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
  return d[a.length]![b.length]!;
}

/** Throws a SweepError naming the nearest fields when `path` is not a config field of the schema. */
export function checkConfigPath(path: string): void {
  if (!/^[A-Za-z0-9_$]+(\.[A-Za-z0-9_$]+)*$/.test(path))
    throw new SweepError(`--set "${path}": expected a dotted config field such as calibration.lambdaInit.`);
  const keys = path.split('.');
  if (RESERVED.has(keys[0]!) && keys.length === 1)
    throw new SweepError(keys[0] === 'seed' ? '--set seed: give the seeds with --seeds 0,1,2.' : `--set ${path}: a sweep names each run itself.`);
  // Every run of a sweep trains to the same count (local.ts passes it to each run), so a
  // per-run value would be overridden without a word.
  if (path === 'training.iterations')
    throw new SweepError('--set training.iterations: every run of a sweep trains as long; give the count with --iterations N.');
  let node = schema();
  for (let i = 0; i < keys.length; i++) {
    const props = propertiesOf(node);
    const k = keys[i]!;
    const next = Object.hasOwn(props, k) ? props[k] : undefined;
    if (!next) {
      const parent = keys.slice(0, i).join('.');
      const names = Object.keys(props).filter((n) => !RESERVED.has(n));
      const near = names.filter((n) => editDistance(n, k) <= Math.max(2, Math.floor(k.length / 4))).sort((a, b) => editDistance(a, k) - editDistance(b, k));
      const hint = near.length ? ` Did you mean "${[...keys.slice(0, i), near[0]].join('.')}"?` : '';
      const where = parent ? `"${parent}"` : 'the config';
      throw new SweepError(
        names.length
          ? `--set ${path}: ${where} has no field "${k}".${hint} Its fields: ${names.join(', ')}.`
          : `--set ${path}: "${parent}" is a value, not an object with fields.`,
      );
    }
    node = next;
  }
}

/** Splits on commas outside brackets, braces and quotes. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0,
    quoted = false,
    start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}

/** Whether a parsed value is or holds a number that is not finite. */
const hasNonFinite = (v: unknown): boolean =>
  typeof v === 'number' ? !Number.isFinite(v) : v !== null && typeof v === 'object' ? Object.values(v).some(hasNonFinite) : false;

/** A value as typed: JSON when it parses (numbers, booleans, quoted strings, arrays), else the bare string. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A value's label in run names: short, and safe in file names and shells. */
export function valueLabel(v: unknown): string {
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return text.replace(/[^A-Za-z0-9.+-]/g, '~') || '~';
}

/** `path=v1,v2,...` to an axis; the path must be a field of the config schema. */
export function parseSetFlag(spec: string): Axis {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new SweepError(`--set "${spec}": expected path=value[,value...], e.g. calibration.lambdaInit=10,30.`);
  const path = spec.slice(0, eq).trim();
  checkConfigPath(path);
  const raw = spec.slice(eq + 1);
  const texts = splitTopLevel(raw);
  if (texts.some((t) => t === '')) throw new SweepError(`--set ${path}: an empty value in "${raw}".`);
  const values = texts.map(parseValue);
  // JSON.parse reads 1e400 as Infinity, which the run config would record as null: refused here, in words.
  const infinite = texts.find((_, i) => hasNonFinite(values[i]));
  if (infinite !== undefined) throw new SweepError(`--set ${path}: ${infinite} is not a finite number.`);
  return { key: path.split('.').pop()!, name: path, values: values.map((v) => ({ label: valueLabel(v), overrides: { [path]: v } })) };
}

/** `0,1,2` or `0-4` (inclusive) to distinct non-negative integer seeds. */
export function parseSeeds(text: string): number[] {
  const seeds: number[] = [];
  for (const part of text.split(',').map((s) => s.trim())) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      const [a, b] = [Number(range[1]), Number(range[2])];
      if (b < a || b - a > 10_000) throw new SweepError(`--seeds: bad range "${part}".`);
      for (let s = a; s <= b; s++) seeds.push(s);
    } else if (/^\d+$/.test(part) && Number.isSafeInteger(Number(part))) seeds.push(Number(part));
    else throw new SweepError(`--seeds takes integers >= 0 separated by commas, or a range like 0-4 (got "${text}").`);
  }
  const dup = seeds.find((s, i) => seeds.indexOf(s) !== i);
  if (dup !== undefined) throw new SweepError(`--seeds: seed ${dup} is given twice.`);
  return seeds;
}

// ------------------------------------------------------------------ expansion and names

/**
 * Gives axes that share a key (two fields both named "epsilon") their full path as key, and
 * refuses an axis that repeats a value or two axes that set the same field.
 */
export function checkAxes(axes: Axis[]): Axis[] {
  const fields = new Map<string, string>();
  for (const a of axes)
    for (const f of Object.keys(a.values[0]?.overrides ?? {})) {
      if (fields.has(f)) throw new SweepError(`"${f}" is varied twice (by ${fields.get(f)} and by ${a.name}); give it once with all its values.`);
      fields.set(f, a.name);
    }
  const out = axes.map((a) => {
    if (!a.values.length) throw new SweepError(`${a.name}: no values.`);
    const labels = a.values.map((v) => v.label);
    const dup = labels.find((l, i) => labels.indexOf(l) !== i);
    if (dup !== undefined) throw new SweepError(`${a.name}: the value ${dup} is given twice (or two values have the same name in run folders).`);
    const clash = axes.filter((b) => b.key === a.key).length > 1;
    return clash ? { ...a, key: a.name } : a;
  });
  const keys = out.map((a) => a.key);
  const dupKey = keys.find((k, i) => keys.indexOf(k) !== i);
  if (dupKey !== undefined) throw new SweepError(`two axes are both called "${dupKey}".`);
  return out;
}

/**
 * Every grid point (cartesian product of the axes, in the order given) times every seed,
 * seeds innermost; with the axes as named in the runs (checkAxes).
 */
export function expandGrid(axesIn: Axis[], seeds: number[]): { axes: Axis[]; runs: PlannedRun[] } {
  if (!seeds.length) throw new SweepError('a sweep needs at least one seed.');
  const axes = checkAxes(axesIn);
  let points: { parts: string[]; labels: Record<string, string>; overrides: Record<string, unknown> }[] = [{ parts: [], labels: {}, overrides: {} }];
  for (const a of axes)
    points = points.flatMap((p) =>
      a.values.map((v) => ({
        parts: [...p.parts, `${a.key}=${v.label}`],
        labels: { ...p.labels, [a.key]: v.label },
        overrides: { ...p.overrides, ...v.overrides },
      })),
    );
  const runs = points.flatMap((p) => {
    const point = shortened(p.parts.length ? p.parts.join('_') : 'base', 180);
    return seeds.map((seed) => ({
      name: `${point}_seed=${seed}`.replace(/^base_/, ''),
      point,
      labels: p.labels,
      seed,
      overrides: { ...p.overrides, seed },
    }));
  });
  return { axes, runs };
}

/** `text`, or where longer than `max` its start and a hash of the whole (names stay unique and fit a path segment). */
function shortened(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 9)}-${createHash('sha256').update(text).digest('hex').slice(0, 8)}`;
}

/** Sets a dotted path in a plain object, creating objects on the way. */
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) {
    const next = o[k];
    o = (o[k] = next !== null && typeof next === 'object' && !Array.isArray(next) ? next : {}) as Record<string, unknown>;
  }
  o[keys[keys.length - 1]!] = value;
}

/**
 * The config of one run: the base config with the run's overrides, named
 * `<base name>-<run name>`, validated again as a whole (schema, defaults, semantic
 * checks), so a value the schema refuses is an error naming the run.
 */
export function runConfig(base: RunConfig, run: Pick<PlannedRun, 'name' | 'overrides'>, baseDir: string): RunConfig {
  const raw = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  for (const [path, value] of Object.entries(run.overrides)) setPath(raw, path, value);
  raw.name = configName(base.name, run.name);
  const r = parseConfig(JSON.stringify(raw, null, 2), baseDir);
  if (!r.ok) {
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    throw new SweepError(`run ${run.name}: the config with ${describeOverrides(run.overrides)} is invalid:\n${formatDiagnostics('<run config>', errors)}`);
  }
  return r.config;
}

/**
 * A run's config name (the schema allows [A-Za-z0-9._-], up to 64 characters): the base
 * name and the run name, other characters as "-", shortened with a hash when too long.
 */
export function configName(base: string, run: string): string {
  const full = `${base}-${run}`.replace(/[^A-Za-z0-9._-]/g, '-');
  if (full.length <= 64) return full;
  return `${full.slice(0, 55)}-${createHash('sha256').update(full).digest('hex').slice(0, 8)}`;
}

export function describeOverrides(o: Record<string, unknown>): string {
  return Object.entries(o)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(', ');
}

/** An axis of named variants (engine/eval/variants.ts), each setting its model and calibration fields. */
export function variantAxis(names: string[]): Axis {
  return {
    key: 'variant',
    name: 'variant',
    values: names.map((v) => {
      if (!isVariant(v)) throw new SweepError(`variant "${v}" is not one of ${Object.keys(VARIANTS).join(', ')}.`);
      const d = VARIANTS[v];
      const overrides: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(d.model)) overrides[`model.${k}`] = x;
      for (const [k, x] of Object.entries(d.calibration)) overrides[`calibration.${k}`] = x;
      return { label: v, overrides };
    }),
  };
}
