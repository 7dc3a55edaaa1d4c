/**
 * Method params checked against schemas/ecvae-protocol.schema.json (Ajv): one place for
 * the limits of every request, used by the JSON-RPC server for each message and by the
 * CLI for the same values given as flags. A violation comes back as a message that
 * names the param (the CLI rewrites names into its flags).
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { protocolSchemaPath } from './engine/core/paths.ts';
import type { Methods } from './protocol.ts';

interface ProtocolSchema {
  definitions: Record<string, object>;
  methods: Record<string, { params: object; result: object }>;
}

let compiled: Map<string, ValidateFunction> | undefined;

function validators(): Map<string, ValidateFunction> {
  if (compiled) return compiled;
  const schema = JSON.parse(readFileSync(protocolSchemaPath(), 'utf8')) as ProtocolSchema & { $id: string };
  const ajv = new Ajv({ allErrors: false, strict: false });
  ajv.addSchema(schema);
  compiled = new Map(Object.keys(schema.methods).map((m) => [m, ajv.getSchema(`${schema.$id}#/methods/${m.replace(/\//g, '~1')}/params`)!]));
  return compiled;
}

/** The methods the schema defines (a test checks them against protocol.ts). */
export function schemaMethods(): string[] {
  return [...validators().keys()];
}

function describe(e: ErrorObject): string {
  const field = e.instancePath.replace(/^\//, '');
  switch (e.keyword) {
    case 'required':
      return `missing required param "${(e.params as { missingProperty: string }).missingProperty}"`;
    case 'additionalProperties':
      return `unknown param "${(e.params as { additionalProperty: string }).additionalProperty}"`;
    case 'type':
      return field ? `param "${field}" must be ${e.params.type === 'integer' ? 'an integer' : `a ${String(e.params.type)}`}` : 'params must be an object';
    case 'enum':
      return `param "${field}" must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `param "${field}" ${e.message ?? 'is invalid'}`;
  }
}

/**
 * The first number in `v` that is not finite, with its path ("latents/0/1"). JSON has no
 * Infinity, but 1e400 parses to it, and the schema's "number" lets it through.
 */
export function nonFiniteAt(v: unknown, path = ''): string | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : path;
  if (typeof v !== 'object' || v === null) return undefined;
  for (const [k, x] of Object.entries(v)) {
    const at = nonFiniteAt(x, path ? `${path}/${k}` : k);
    if (at !== undefined) return at;
  }
  return undefined;
}

/** Undefined when `params` are valid for `method`; otherwise what is wrong, naming the param and the value given. */
export function paramsProblem(method: keyof Methods | string, params: unknown): string | undefined {
  const validate = validators().get(method);
  if (!validate) return `unknown method "${method}"`;
  const bad = nonFiniteAt(params);
  if (bad !== undefined) return `param "${bad}" must be a finite number (a value such as 1e400 overflows to infinity).`;
  if (validate(params)) return undefined;
  const e = validate.errors![0]!;
  const field = e.instancePath.replace(/^\//, '');
  const given = field && typeof params === 'object' && params !== null ? ` (got ${JSON.stringify((params as Record<string, unknown>)[field])})` : '';
  return `${describe(e)}${given}.`;
}
