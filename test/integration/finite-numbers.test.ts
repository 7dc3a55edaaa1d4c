/**
 * Only finite numbers in configs: a literal that JSON.parse reads as ±Infinity (1e400,
 * -1e400) is refused with a located error at every entry point that reads a config: the
 * config parser itself, the CLI, and the sidecar (the language server: language.test.ts).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { parseConfig } from '../../sidecar/engine/config/config.ts';
import { startServer } from '../../sidecar/server/methods.ts';
import { repoRoot, tempDir } from '../helpers.ts';

const dir = tempDir();
const text = '{\n  "data": { "kind": "gaussians25" },\n  "training": { "iterations": 1e400, "beta": -1e400 },\n  "calibration": { "lambdaMax": 1e999 }\n}\n';
const file = join(dir, 'inf.ecvae.json');
writeFileSync(file, text);

test('the parser: each non-finite literal is an error located on it, and nothing is validated past it', () => {
  const r = parseConfig(text, dir);
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.deepEqual(
    r.diagnostics.map((d) => [d.field, d.line, d.column, text.slice(d.offset, d.offset + d.length)]),
    [
      ['training.iterations', 3, 31, '1e400'],
      ['training.beta', 3, 46, '-1e400'],
      ['calibration.lambdaMax', 4, 33, '1e999'],
    ],
  );
  for (const d of r.diagnostics) assert.match(d.message, /is -?1e\d+, which is not a finite number/);
  // Large but finite numbers are the schema's business: refused by each field's maximum.
  const big = parseConfig(text.replace('1e400', '1e300').replace('-1e400', '0.1').replace('1e999', '10'), dir);
  assert.equal(big.ok, false);
  if (!big.ok) assert.match(big.diagnostics[0]!.message, /"training\.iterations" must be <= 100000000/);
});

test('the CLI: exit code 2 and the located error, compiler style', () => {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'train', file], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /inf\.ecvae\.json:3:31: error: "training\.iterations" is 1e400, which is not a finite number/);
});

test('the sidecar: config/validate returns the diagnostics, train/start refuses with InvalidConfig', async () => {
  const input = new PassThrough();
  const output = new PassThrough();
  startServer(input, output, () => undefined);
  const answers = new Map<
    unknown,
    { result?: { ok: boolean; diagnostics: { field: string }[] }; error?: { code: number; data?: { diagnostics: unknown[] } } }
  >();
  createInterface({ input: output }).on('line', (l) => {
    const m = JSON.parse(l) as { id: unknown };
    answers.set(m.id, m as never);
  });
  input.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'config/validate', params: { text, baseDir: dir } }) + '\n');
  input.write(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'train/start', params: { configPath: file, runDir: join(dir, 'run') } }) + '\n');
  for (let i = 0; i < 500 && answers.size < 2; i++) await new Promise((r) => setTimeout(r, 10));
  const v = answers.get(1)!.result!;
  assert.equal(v.ok, false);
  assert.deepEqual(
    v.diagnostics.map((d) => d.field),
    ['training.iterations', 'training.beta', 'calibration.lambdaMax'],
  );
  const start = answers.get(2)!.error!;
  assert.equal(start.code, -32002);
  assert.equal(start.data?.diagnostics.length, 3);
  input.end();
});
