/**
 * The user-facing docs hold together: the README stays a manual (at most 250 lines, the
 * two set-up commands in it, no commit hashes), and every relative link or picture in the
 * README, CONTRIBUTING.md and docs/*.md points at a file that exists.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot } from '../helpers.ts';

const docs = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(join(repoRoot, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

test('README.md is a manual: at most 250 lines, with the two set-up commands and no commit hashes', () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const lines = readme.trimEnd().split('\n').length;
  assert.ok(lines <= 250, `README.md has ${lines} lines`);
  assert.match(readme, /npm install && npm run demo/);
  assert.match(readme, /npm install && npm test/);
  assert.doesNotMatch(readme, /\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,40}\b/, 'no commit hashes');
});

test("README's sizes of the built-in datasets are the schema's (which a test checks against the packages)", () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const schema = JSON.parse(readFileSync(join(repoRoot, 'schemas', 'ecvae-run.schema.json'), 'utf8')) as {
    properties: { data: { properties: { kind: { enum: string[]; enumDescriptions: string[] } } } };
  };
  const kind = schema.properties.data.properties.kind;
  for (const name of ['mnist', 'fashion-mnist']) {
    const said = kind.enumDescriptions[kind.enum.indexOf(name)]!;
    const split = /([\d,]+) train, ([\d,]+) held out/.exec(said)!;
    const row = readme.split('\n').find((l) => l.startsWith(`| \`"${name}"\``)) ?? '';
    assert.ok(row.includes(`${split[1]} train, ${split[2]} held out`), `README's ${name} row says ${split[0]}`);
  }
});

test('relative links and pictures in the docs resolve to files', () => {
  for (const doc of docs) {
    const text = readFileSync(join(repoRoot, doc), 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target!) || target!.startsWith('#')) continue;
      const file = join(repoRoot, dirname(doc), target!.split('#')[0]!);
      assert.ok(existsSync(file), `${doc} links to ${target}, which does not exist`);
    }
  }
});
