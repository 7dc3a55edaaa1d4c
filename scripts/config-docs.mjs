// Prints the Markdown table of run-config fields from schemas/ecvae-run.schema.json.
// `node scripts/config-docs.mjs --write` refreshes the table in README.md between the
// <!-- config-fields --> markers (a test checks that it is up to date).
import { readFileSync, writeFileSync } from 'node:fs';

const schema = JSON.parse(readFileSync(new URL('../schemas/ecvae-run.schema.json', import.meta.url), 'utf8'));

export function configTable() {
  const rows = ['| field | type | default | meaning |', '| --- | --- | --- | --- |'];
  const walk = (props, prefix) => {
    for (const [key, p] of Object.entries(props)) {
      if (key === '$schema') continue;
      const name = prefix + key;
      if (p.type === 'object' && p.properties) {
        walk(p.properties, name + '.');
        continue;
      }
      const typeOf = (q) => (q.enum ? q.enum.map((v) => JSON.stringify(v)).join(' \\| ') : q.type);
      const type = p.anyOf ? p.anyOf.map(typeOf).join(' \\| ') : typeOf(p);
      const def = p.default === undefined ? '' : `\`${JSON.stringify(p.default)}\``;
      rows.push(`| \`${name}\` | ${type} | ${def} | ${(p.description ?? '').replace(/\|/g, '\\|').replace(/</g, '&lt;')} |`);
    }
  };
  walk(schema.properties, '');
  return rows.join('\n');
}

const START = '<!-- config-fields -->';
const END = '<!-- /config-fields -->';

export function readmeWithTable(readme) {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < 0) throw new Error('README.md lacks the config-fields markers');
  return readme.slice(0, a + START.length) + '\n' + configTable() + '\n' + readme.slice(b);
}

if (process.argv.includes('--write')) {
  const file = new URL('../README.md', import.meta.url);
  writeFileSync(file, readmeWithTable(readFileSync(file, 'utf8')));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(configTable());
}
