/**
 * Numeric flags, parsed strictly: digits (and a decimal point or exponent for real
 * numbers) and nothing else, inside the limits of schemas/ecvae-protocol.schema.json, so
 * the CLI and the sidecar refuse the same values. Each refusal is a sentence naming the
 * flag, what it takes and what was given. Free of the engine: flags are checked before
 * any TF.js backend loads.
 */
import { readFileSync } from 'node:fs';
import { protocolSchemaPath } from '../engine/core/paths.ts';
import { UsageError } from './errors.ts';

export interface Range {
  min?: number;
  /** Values must be greater than this (not equal). */
  above?: number;
  max?: number;
}

interface PropertySchema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
}

interface ObjectSchema {
  $ref?: string;
  properties?: Record<string, PropertySchema>;
}

let schema: { definitions: Record<string, PropertySchema & ObjectSchema>; methods: Record<string, { params: ObjectSchema }> } | undefined;

/** The params schema of `method` (a $ref to a definition, or inline). */
function paramsOf(method: string): ObjectSchema | undefined {
  schema ??= JSON.parse(readFileSync(protocolSchemaPath(), 'utf8')) as NonNullable<typeof schema>;
  const p = schema.methods[method]?.params;
  return p?.$ref ? schema.definitions[p.$ref.replace('#/definitions/', '')] : p;
}

/** The range the protocol schema gives `param` of `method` (e.g. restore's `steps`). */
export function protocolRange(method: string, param: string): Range {
  let p = paramsOf(method)?.properties?.[param];
  if (p?.$ref) p = schema!.definitions[p.$ref.replace('#/definitions/', '')];
  if (!p) throw new Error(`the protocol schema has no param ${method}.${param}`);
  return { min: p.minimum, above: p.exclusiveMinimum, max: p.maximum };
}

/** The values the protocol schema allows for `param` of `method`, when it lists them (restore's `factor`). */
export function protocolChoices(method: string, param: string): number[] {
  const p = paramsOf(method)?.properties?.[param];
  if (!p?.enum) throw new Error(`the protocol schema lists no values for ${method}.${param}`);
  return p.enum as number[];
}

/** A parser for a whole-number flag that takes one of `choices`. */
export function wholeNumberOf(flag: string, choices: number[]): (value: string) => number {
  const whole = wholeNumber(flag, {});
  return (value) => {
    const n = whole(value);
    if (!choices.includes(n)) throw new UsageError(`${flag} takes one of ${choices.join(', ')}; got ${value}.`);
    return n;
  };
}

const fmt = (n: number): string => (Number.isInteger(n) ? n.toLocaleString('en-US') : String(n));

function rangeWords(r: Range): string {
  const low = r.above !== undefined ? `greater than ${fmt(r.above)}` : r.min !== undefined ? `at least ${fmt(r.min)}` : '';
  const high = r.max !== undefined ? `at most ${fmt(r.max)}` : '';
  return [low, high].filter(Boolean).join(' and ');
}

function inRange(n: number, r: Range): boolean {
  return (r.min === undefined || n >= r.min) && (r.above === undefined || n > r.above) && (r.max === undefined || n <= r.max);
}

/** A parser for a whole-number flag: written in digits only ("50", not "5e1" or "50.0"). */
export function wholeNumber(flag: string, range: Range): (value: string) => number {
  return (value) => {
    const n = /^[+-]?\d+$/.test(value.trim()) ? Number(value) : NaN;
    const what = `${flag} takes a whole number ${rangeWords(range)}`.trimEnd();
    if (!Number.isSafeInteger(n)) throw new UsageError(`${what}; "${value}" is not a whole number.`);
    if (!inRange(n, range)) throw new UsageError(`${what}; got ${value}.`);
    return n;
  };
}

/** A parser for a real-number flag: finite, in decimal or exponent notation. */
export function realNumber(flag: string, range: Range): (value: string) => number {
  return (value) => {
    const n = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value.trim()) ? Number(value) : NaN;
    const what = `${flag} takes a number ${rangeWords(range)}`.trimEnd();
    if (!Number.isFinite(n)) throw new UsageError(`${what}; "${value}" is not a finite number.`);
    if (!inRange(n, range)) throw new UsageError(`${what}; got ${value}.`);
    return n;
  };
}
