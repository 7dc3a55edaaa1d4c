/**
 * Language features of *.ecvae.json files, as pure functions of (text, offset): the
 * semantic diagnostics of the engine's own config check, hover docs for every field and
 * completion of enumerated values (dataset names, backends, ...). Positions are character
 * offsets; the LSP wiring (server.ts) converts them. No I/O except the backend probe.
 *
 * VS Code's JSON service also reads our schema (contributes.jsonValidation) and shows its
 * descriptions; ours add what a schema cannot know: the effective value after defaults,
 * the valid range, what each dataset is, and which backends this machine can load.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { findNodeAtOffset, getLocation, parseTree, type JSONPath, type Node } from 'jsonc-parser';
import { parseConfig, type Diagnostic } from '../engine/config/config.ts';
import { schemaPath } from '../engine/core/paths.ts';

interface SchemaNode {
  type?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  properties?: Record<string, SchemaNode>;
  anyOf?: SchemaNode[];
  /** One description per `enum` value (VS Code's JSON service shows them too). */
  enumDescriptions?: string[];
}

let schema: SchemaNode | undefined;
function rootSchema(): SchemaNode {
  return (schema ??= JSON.parse(readFileSync(schemaPath(), 'utf8')) as SchemaNode);
}

/** The schema of the field at `path` (object keys only; the run config has no arrays). */
export function schemaAt(path: JSONPath): SchemaNode | undefined {
  let node: SchemaNode | undefined = rootSchema();
  for (const seg of path) {
    node = typeof seg === 'string' ? node?.properties?.[seg] : undefined;
    if (!node) return undefined;
  }
  return node;
}

/** Per-value docs of fields whose schema has no enumDescriptions (data.kind's are in the schema). */
const VALUE_DOCS: Record<string, Record<string, string>> = {
  backend: {
    auto: 'The first that works of tensorflow-gpu, tensorflow, webgpu, wasm, cpu.',
    'tensorflow-gpu': 'CUDA through libtensorflow (`@tensorflow/tfjs-node-gpu`).',
    tensorflow: 'Native libtensorflow on the CPU (`@tensorflow/tfjs-node`).',
    webgpu: 'WebGPU through Dawn (`webgpu` + `@tensorflow/tfjs-backend-webgpu`): Vulkan, Metal or D3D12, no CUDA needed.',
    wasm: 'WebAssembly with XNNPACK on the CPU. Always available.',
    cpu: 'Pure JavaScript on the CPU. Always available; the slowest.',
  },
};

/** npm packages a backend needs: installed or not is knowable without starting it. */
const BACKEND_PACKAGES: Record<string, string[]> = {
  'tensorflow-gpu': ['@tensorflow/tfjs-node-gpu'],
  tensorflow: ['@tensorflow/tfjs-node'],
  webgpu: ['webgpu', '@tensorflow/tfjs-backend-webgpu'],
  wasm: [],
  cpu: [],
  auto: [],
};

const resolver = createRequire(import.meta.url);
/** Which backends' packages are installed here (starting one can still fail, e.g. WebGPU without a GPU). */
export function installedBackends(): Record<string, boolean> {
  const has = (p: string): boolean => {
    try {
      resolver.resolve(p);
      return true;
    } catch {
      return false;
    }
  };
  return Object.fromEntries(Object.entries(BACKEND_PACKAGES).map(([b, pkgs]) => [b, pkgs.every(has)]));
}

export interface Hover {
  markdown: string;
  offset: number;
  length: number;
}

function fmt(v: unknown): string {
  return '`' + JSON.stringify(v) + '`';
}

function typeText(s: SchemaNode): string {
  if (s.anyOf) return s.anyOf.map(typeText).join(' or ');
  if (s.enum) return `one of ${s.enum.map(fmt).join(', ')}`;
  return s.type ?? 'value';
}

function rangeText(s: SchemaNode): string | undefined {
  const lo = s.minimum !== undefined ? `≥ ${s.minimum}` : s.exclusiveMinimum !== undefined ? `> ${s.exclusiveMinimum}` : undefined;
  const hi = s.maximum !== undefined ? `≤ ${s.maximum}` : s.exclusiveMaximum !== undefined ? `< ${s.exclusiveMaximum}` : undefined;
  return lo || hi ? [lo, hi].filter(Boolean).join(' and ') : undefined;
}

function valueAt(config: unknown, path: JSONPath): unknown {
  return path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k as string] : undefined), config);
}

/** Hover for the field whose key or value is under `offset`: type, default, range, the value in effect, and what that value means. */
export function hover(text: string, offset: number, baseDir: string): Hover | undefined {
  const root = parseTree(text);
  const node = root && findNodeAtOffset(root, offset);
  if (!node) return undefined;
  const path = getLocation(text, offset).path.filter((s) => s !== '');
  const s = schemaAt(path);
  if (!s || path.length === 0) return undefined;
  const field = path.join('.');
  // No schema description here: VS Code's JSON service shows it in the same hover.
  const lines = [`**${field}**: ${typeText(s)}`, ''];
  const facts: string[] = [];
  if (s.default !== undefined) facts.push(`default ${fmt(s.default)}`);
  const range = rangeText(s);
  if (range) facts.push(`valid ${range}`);
  const parsed = parseConfig(text, baseDir);
  const effective = parsed.ok ? valueAt(parsed.config, path) : undefined;
  if (effective !== undefined && s.type !== 'object') facts.push(`this run uses ${fmt(effective)}`);
  if (facts.length) lines.push(facts.join(' · '));
  const doc = valueDoc(field, s, effective);
  if (doc) lines.push('', `${fmt(effective)}: ${doc}`);
  return { markdown: lines.join('\n').trim(), offset: node.offset, length: node.length };
}

export interface Completion {
  label: string;
  /** Text that replaces [offset, offset + length). */
  insertText: string;
  offset: number;
  length: number;
  detail?: string;
  documentation?: string;
}

/** What one value of an enumerated field means: the schema's enumDescriptions, else VALUE_DOCS. */
function valueDoc(field: string, s: SchemaNode | undefined, value: unknown): string | undefined {
  const i = s?.enum?.indexOf(value) ?? -1;
  return (i >= 0 ? s?.enumDescriptions?.[i] : undefined) ?? VALUE_DOCS[field]?.[String(value)];
}

function enumValues(s: SchemaNode): unknown[] {
  return s.enum ?? (s.anyOf ?? []).flatMap(enumValues);
}

/** Value completions for enumerated fields (dataset kinds, backends, ...) at `offset`. */
export function completions(text: string, offset: number): Completion[] {
  const loc = getLocation(text, offset);
  if (loc.isAtPropertyKey) return [];
  const s = schemaAt(loc.path);
  if (!s) return [];
  const values = enumValues(s);
  if (!values.length) return [];
  // Inside a string literal: replace the whole literal; otherwise insert at the cursor.
  const prev: Node | undefined = loc.previousNode;
  const inString = prev?.type === 'string' && prev.offset < offset && offset <= prev.offset + prev.length;
  const [start, length] = inString ? [prev.offset, prev.length] : [offset, 0];
  const field = loc.path.join('.');
  const installed = field === 'backend' ? installedBackends() : undefined;
  return values.map((v) => ({
    label: String(v),
    insertText: JSON.stringify(v),
    offset: start,
    length,
    ...(installed ? { detail: installed[String(v)] ? 'installed here' : 'package not installed here' } : s.default === v ? { detail: 'default' } : {}),
    ...(valueDoc(field, s, v) ? { documentation: valueDoc(field, s, v)! } : {}),
  }));
}

/** The engine's own check: schema errors, then semantic checks (paths, sizes, ...), located. */
export function diagnostics(text: string, baseDir: string): Diagnostic[] {
  const r = parseConfig(text, baseDir);
  return r.ok ? r.warnings : r.diagnostics;
}
