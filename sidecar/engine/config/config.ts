/**
 * Run configuration: schema validation (Ajv, defaults filled from the schema) and
 * semantic checks, with every problem reported as a diagnostic that points at a
 * line/column of the config text. Errors are values here; callers decide how to show them.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { ParseErrorCode, parseTree, type ParseError } from 'jsonc-parser';
import { semanticChecks } from './checks.ts';
import { DiagnosticBuilder, duplicateKeys, fieldOf, lineColumn, nonFiniteNumbers, type Diagnostic } from './diagnostics.ts';
import { UserError } from '../../runLayout/errors.ts';
import { schemaPath } from '../core/paths.ts';
import { READ_LIMITS, readTextGuarded } from '../../runLayout/guardedRead.ts';

// The config's types are generated from its schema (scripts/config-types.mjs), its one
// declaration: they describe a config after validation, defaults filled.
import type { RunConfig } from './config.generated.ts';
export type { CalibrationConfig, DataConfig, FourierConfig, LoggingConfig, ModelConfig, RunConfig, TrainingConfig } from './config.generated.ts';

export type { Diagnostic } from './diagnostics.ts';

export type BackendName = Exclude<RunConfig['backend'], 'auto'>;

export type ConfigResult = { ok: true; config: RunConfig; warnings: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

let validator: ReturnType<Ajv['compile']> | undefined;
function compiledSchema(): ReturnType<Ajv['compile']> {
  if (!validator) {
    const schema = JSON.parse(readFileSync(schemaPath(), 'utf8')) as object;
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
    validator = ajv.compile(schema);
  }
  return validator;
}

function segmentsOf(instancePath: string): (string | number)[] {
  if (!instancePath) return [];
  return instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describeAjvError(e: ErrorObject): { path: (string | number)[]; message: string; atKey: boolean } {
  const path = segmentsOf(e.instancePath);
  const where = path.length ? `"${path.join('.')}"` : 'the config';
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = String((e.params as { additionalProperty: string }).additionalProperty);
      return {
        path: [...path, extra],
        message: `Unknown field "${[...path, extra].join('.')}". Remove it or check its spelling (see the schema for the fields ${where} accepts).`,
        atKey: true,
      };
    }
    case 'required': {
      const missing = String((e.params as { missingProperty: string }).missingProperty);
      return { path, message: `Missing required field "${[...path, missing].join('.')}".`, atKey: false };
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ');
      return { path, message: `${where} must be one of ${allowed}.`, atKey: false };
    }
    case 'type':
      return { path, message: `${where} must be ${(e.params as { type: string }).type}.`, atKey: false };
    default:
      return { path, message: `${where} ${e.message ?? 'is invalid'}.`, atKey: false };
  }
}

/**
 * Parses and validates config text. `baseDir` resolves relative dataset paths (the
 * config file's folder). Never throws for bad input: problems come back as diagnostics.
 */
export function parseConfig(text: string, baseDir: string): ConfigResult {
  const parseErrors: ParseError[] = [];
  const root = parseTree(text, parseErrors, { allowTrailingComma: false, disallowComments: true });
  const d = new DiagnosticBuilder(text, root);
  if (parseErrors.length || !root) {
    for (const e of parseErrors) {
      d.items.push({
        severity: 'error',
        field: '',
        offset: e.offset,
        length: e.length,
        message: `Invalid JSON: ${jsonErrorWords(text, e)}.`,
        ...lineColumn(text, e.offset),
      });
    }
    if (!root) d.add('error', [], 'The config is empty; it must be a JSON object with at least a "data" field.');
    return { ok: false, diagnostics: dedupe(d.items) };
  }
  for (const prop of duplicateKeys(root)) {
    const key = prop.children![0]!;
    const field = fieldOf(key).join('.');
    d.items.push({
      severity: 'warning',
      field,
      message: `Duplicate key "${field}": this later value is the one used; the earlier one is ignored. Remove one of them.`,
      offset: key.offset,
      length: key.length,
      ...lineColumn(text, key.offset),
    });
  }
  const infinite = nonFiniteNumbers(root);
  if (infinite.length) {
    for (const n of infinite) {
      const field = fieldOf(n).join('.');
      d.add(
        'error',
        fieldOf(n),
        `"${field}" is ${text.slice(n.offset, n.offset + n.length)}, which is not a finite number; use a value within the field's range (see the schema).`,
      );
    }
    return { ok: false, diagnostics: d.items };
  }
  const value: unknown = JSON.parse(text);
  const validate = compiledSchema();
  if (!validate(value)) {
    for (const e of validate.errors ?? []) {
      const { path, message, atKey } = describeAjvError(e);
      d.add('error', path, message, atKey);
    }
    return { ok: false, diagnostics: dedupe(d.items) };
  }
  const config = value as RunConfig;
  semanticChecks(config, baseDir, d);
  const errors = d.items.filter((x) => x.severity === 'error');
  if (errors.length) return { ok: false, diagnostics: d.items };
  if (config.data.path && !isAbsolute(config.data.path)) config.data.path = resolve(baseDir, config.data.path);
  return { ok: true, config, warnings: d.items };
}

/** The parser's error code as a sentence a user can act on. */
const JSON_ERROR_WORDS: Record<ParseErrorCode, string> = {
  [ParseErrorCode.InvalidSymbol]: 'unexpected character',
  [ParseErrorCode.InvalidNumberFormat]: 'malformed number',
  [ParseErrorCode.PropertyNameExpected]: 'expected a property name in double quotes',
  [ParseErrorCode.ValueExpected]: 'expected a value',
  [ParseErrorCode.ColonExpected]: 'expected a colon after the property name',
  [ParseErrorCode.CommaExpected]: 'expected a comma between entries',
  [ParseErrorCode.CloseBraceExpected]: 'expected a closing brace "}"',
  [ParseErrorCode.CloseBracketExpected]: 'expected a closing bracket "]"',
  [ParseErrorCode.EndOfFileExpected]: 'unexpected text after the end of the JSON object',
  [ParseErrorCode.InvalidCommentToken]: 'comments are not allowed in a config',
  [ParseErrorCode.UnexpectedEndOfComment]: 'a comment is not closed',
  [ParseErrorCode.UnexpectedEndOfString]: 'a string is not closed (missing ")',
  [ParseErrorCode.UnexpectedEndOfNumber]: 'a number ends too early',
  [ParseErrorCode.InvalidUnicode]: 'invalid \\u escape in a string',
  [ParseErrorCode.InvalidEscapeCharacter]: 'invalid escape character in a string',
  [ParseErrorCode.InvalidCharacter]: 'a control character in a string (escape it, e.g. \\n)',
};

function jsonErrorWords(text: string, e: ParseError): string {
  // A trailing comma shows up as a missing name or value right before } or ].
  if (e.error === ParseErrorCode.PropertyNameExpected || e.error === ParseErrorCode.ValueExpected) {
    const before = text.slice(0, e.offset).trimEnd();
    if (before.endsWith(',') && /^\s*[}\]]/.test(text.slice(e.offset))) return 'a trailing comma is not allowed in JSON';
  }
  if (e.error === ParseErrorCode.InvalidSymbol) {
    const word = /^[A-Za-z_$][\w$]*/.exec(text.slice(e.offset))?.[0];
    if (word) return `unexpected "${word}" (names and strings need double quotes)`;
    return `unexpected character ${JSON.stringify(text.slice(e.offset, e.offset + 1))}`;
  }
  return JSON_ERROR_WORDS[e.error] ?? 'syntax error';
}

function dedupe(items: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return items.filter((i) => {
    const k = `${i.offset}:${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Reads and validates a config file; unreadable files become a diagnostic too. */
export function loadConfigFile(file: string): ConfigResult {
  let text: string;
  try {
    // Regular files only, bounded and non-blocking: a FIFO named as a config must not freeze the sidecar.
    text = readTextGuarded(file, { what: 'config', kind: 'config', maxBytes: READ_LIMITS.config });
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    return {
      ok: false,
      diagnostics: [{ severity: 'error', field: '', message: err.message, line: 1, column: 1, offset: 0, length: 0 }],
    };
  }
  return parseConfig(text, dirname(resolve(file)));
}

/** An invalid config file: its located diagnostics, formatted as the message. */
export class ConfigError extends UserError {
  constructor(
    readonly file: string,
    readonly diagnostics: Diagnostic[],
  ) {
    super('config', formatDiagnostics(file, diagnostics));
  }
}

/** A valid config from `file` with its warnings, or a ConfigError. */
export function requireConfigFile(file: string): { config: RunConfig; warnings: Diagnostic[] } {
  const r = loadConfigFile(file);
  if (!r.ok) throw new ConfigError(file, r.diagnostics);
  return r;
}

/** Formats diagnostics the way compilers do: file:line:column: severity: message. */
export function formatDiagnostics(file: string, items: Diagnostic[]): string {
  return items.map((i) => `${file}:${i.line}:${i.column}: ${i.severity}: ${i.message}`).join('\n');
}

/** The fully defaulted config for a minimal one (used by tests and templates). */
export function withDefaults(partial: unknown): RunConfig {
  const r = parseConfig(JSON.stringify(partial), process.cwd());
  if (!r.ok) throw new Error(formatDiagnostics('<config>', r.diagnostics));
  return r.config;
}
