// Generates the reference parts of docs/config.md and docs/protocol.md from the two JSON
// schemas, between <!-- generated:NAME --> and <!-- /generated:NAME --> markers; the prose
// around them is written by hand. `node scripts/schema-docs.mjs --write` (npm run docs)
// refreshes them; test/unit/schema-docs.test.ts fails when either is stale.
import { readFileSync, writeFileSync } from 'node:fs';

const read = (rel) => readFileSync(new URL(`../${rel}`, import.meta.url), 'utf8');
const runSchema = () => JSON.parse(read('schemas/ecvae-run.schema.json'));
const protocolSchema = () => JSON.parse(read('schemas/ecvae-protocol.schema.json'));

const cell = (s) =>
  String(s ?? '')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/\n/g, ' ');
const typeOf = (q) => (q.enum ? q.enum.map((v) => JSON.stringify(v)).join(' \\| ') : q.type);

/** Every run-config field: its type, default and meaning. */
export function configTable(schema = runSchema()) {
  const rows = ['| field | type | default | meaning |', '| --- | --- | --- | --- |'];
  const walk = (props, prefix) => {
    for (const [key, p] of Object.entries(props)) {
      if (key === '$schema') continue;
      const name = prefix + key;
      if (p.type === 'object' && p.properties) {
        walk(p.properties, name + '.');
        continue;
      }
      const type = p.anyOf ? p.anyOf.map(typeOf).join(' \\| ') : typeOf(p);
      const def = p.default === undefined ? '' : `\`${JSON.stringify(p.default)}\``;
      rows.push(`| \`${name}\` | ${type} | ${def} | ${cell(p.description)} |`);
    }
  };
  walk(schema.properties, '');
  return rows.join('\n');
}

/** What each `data.kind` holds (the schema's enumDescriptions, also the editor's hover). */
export function dataKindsTable(schema = runSchema()) {
  const kind = schema.properties.data.properties.kind;
  const rows = ['| `data.kind` | what it is |', '| --- | --- |'];
  kind.enum.forEach((v, i) => rows.push(`| \`"${v}"\` | ${cell(kind.enumDescriptions?.[i])} |`));
  return rows.join('\n');
}

function resolve(schema, node) {
  return node?.$ref ? resolve(schema, schema.definitions[node.$ref.replace('#/definitions/', '')]) : node;
}

function limits(p) {
  const parts = [];
  if (p.minimum !== undefined) parts.push(`≥ ${p.minimum}`);
  if (p.exclusiveMinimum !== undefined) parts.push(`> ${p.exclusiveMinimum}`);
  if (p.maximum !== undefined) parts.push(`≤ ${p.maximum}`);
  if (p.minLength !== undefined) parts.push(`length ≥ ${p.minLength}`);
  if (p.maxLength !== undefined) parts.push(`length ≤ ${p.maxLength}`);
  if (p.minItems !== undefined) parts.push(`${p.minItems}–${p.maxItems ?? '∞'} items`);
  return parts.join(', ');
}

/** Each JSON-RPC method with its params: type, required or not, limits, meaning. */
export function protocolReference(schema = protocolSchema()) {
  const out = [];
  /** A schema's TypeScript name in sidecar/protocol.generated.ts. */
  const typeName = (node) => (node.$ref ? resolve(schema, node).title : node.title) ?? 'an object';
  for (const [method, entry] of Object.entries(schema.methods)) {
    const m = resolve(schema, entry.params);
    out.push(`### \`${method}\``, '');
    const progress = entry.progress ? ` Progress: \`${entry.progress}\` notifications carrying the request's \`progressToken\`.` : '';
    out.push(`Result: \`${typeName(entry.result)}\` (sidecar/protocol.generated.ts).${progress}`, '');
    const props = Object.entries(m.properties ?? {});
    if (!props.length) {
      out.push('No params (`{}`).', '');
      continue;
    }
    out.push('| param | type | required | limits | meaning |', '| --- | --- | --- | --- | --- |');
    for (const [name, rawP] of props) {
      const p = resolve(schema, rawP);
      const type =
        p.type === 'array' ? `array of ${resolve(schema, p.items)?.type === 'array' ? 'arrays of numbers' : resolve(schema, p.items)?.type}` : typeOf(p);
      out.push(
        `| \`${name}\` | ${type} | ${(m.required ?? []).includes(name) ? 'yes' : ''} | ${cell(limits(p))} | ${cell(p.description ?? rawP.description)} |`,
      );
    }
    out.push('');
  }
  out.push('### Notifications', '', '| notification | from | params |', '| --- | --- | --- |');
  const fields = (n) =>
    Object.keys(resolve(schema, n).properties ?? {})
      .map((k) => `\`${k}\``)
      .join(', ');
  for (const [name, n] of Object.entries(schema.notifications)) out.push(`| \`${name}\` | sidecar | \`${typeName(n)}\`: ${fields(n)} |`);
  for (const [name, n] of Object.entries(schema.clientNotifications))
    out.push(`| \`${name}\` | client | \`${typeName(n)}\`: ${fields(n)}. ${cell(n.description)} |`);
  return out.join('\n').trim();
}

/** `text` with the block NAME replaced by `content`. */
export function withBlock(text, name, content) {
  const start = `<!-- generated:${name} -->`;
  const end = `<!-- /generated:${name} -->`;
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`missing the ${start} ... ${end} markers`);
  return text.slice(0, a + start.length) + '\n' + content + '\n' + text.slice(b);
}

/** The two docs as they should read: [relative path, current text, up-to-date text]. */
export function generatedDocs() {
  const config = read('docs/config.md');
  const protocol = read('docs/protocol.md');
  return [
    ['docs/config.md', config, withBlock(withBlock(config, 'data-kinds', dataKindsTable()), 'config-fields', configTable())],
    ['docs/protocol.md', protocol, withBlock(protocol, 'methods', protocolReference())],
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [rel, now, want] of generatedDocs()) {
    if (now === want) continue;
    if (process.argv.includes('--write')) {
      writeFileSync(new URL(`../${rel}`, import.meta.url), want);
      console.error(`wrote ${rel}`);
    } else {
      console.error(`${rel} is out of date: run npm run docs`);
      process.exitCode = 1;
    }
  }
}
