/**
 * THE INSTALL ROUTE (slow: it installs the dependencies, from the npm registry or npm's cache): `npm pack`
 * gives a tarball that installs into an empty prefix with `npm install -g`, and the
 * installed `ecvae` runs `--version`, `info` and a short `compare` from outside the clone. Dependencies come
 * from the registry, `--prefer-offline` so a warm npm cache answers without it.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, tempDir } from '../helpers.ts';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd: string, args: string[], cwd: string, timeout: number): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, npm_config_update_notifier: 'false' } });
  return { status: r.status, stdout: r.stdout ?? '', stderr: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

test('the packed tarball installs into an empty prefix and its ecvae runs --version, info and compare', { timeout: 240_000 }, () => {
  const dir = tempDir('ecvae-pack-');
  const packed = run(npm, ['pack', '--ignore-scripts', '--pack-destination', dir, '--json'], repoRoot, 120_000);
  assert.equal(packed.status, 0, packed.stderr);
  const tarball = readdirSync(dir).find((f) => /^ecvae-studio-.*\.tgz$/.test(f));
  assert.ok(tarball, `npm pack wrote a tarball: ${readdirSync(dir).join(', ')}`);
  const files = (JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  for (const f of [
    'bin/ecvae.js',
    'dist/cli.js',
    'dist/pool-worker.js',
    'dist/train-worker.js',
    'schemas/ecvae-run.schema.json',
    'schemas/ecvae-protocol.schema.json',
  ])
    assert.ok(files.includes(f), `the tarball holds ${f}`);
  assert.ok(!files.some((f) => f.startsWith('sidecar/') || f.startsWith('test/') || f.endsWith('.map')), 'no sources, tests or source maps');

  const prefix = join(dir, 'prefix');
  const empty = tempDir('ecvae-empty-');
  const installed = run(npm, ['install', '-g', '--prefix', prefix, join(dir, tarball), '--prefer-offline', '--no-audit', '--no-fund'], empty, 200_000);
  assert.equal(installed.status, 0, installed.stderr);
  const bin = join(prefix, process.platform === 'win32' ? 'ecvae.cmd' : join('bin', 'ecvae'));
  assert.ok(existsSync(bin), `npm linked ${bin}`);

  const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  const v = run(bin, ['--version'], empty, 30_000);
  assert.equal(v.status, 0, v.stderr);
  assert.equal(v.stdout.trim(), version);
  const info = run(bin, ['info', '--json'], empty, 60_000);
  assert.equal(info.status, 0, info.stderr);
  const j = JSON.parse(info.stdout.trim().split('\n').pop()!) as { ok: boolean; backend: string };
  assert.equal(j.ok, true);
  assert.ok(['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'].includes(j.backend), j.backend);
  // The bundled worker entries run from the install: compare trains its variants on threads where cores allow.
  const toy = join(prefix, 'lib', 'node_modules', 'ecvae-studio', 'examples', 'toy-25gaussians.ecvae.json');
  const cmp = run(bin, ['compare', toy, '--iterations', '3', '--n', '50', '--mcmc-steps', '0', '--out', join(empty, 'cmp'), '--json'], empty, 120_000);
  assert.equal(cmp.status, 0, cmp.stderr);
  const report = JSON.parse(cmp.stdout.trim().split('\n').pop()!) as { ok: boolean; rows: { variant: string }[] };
  assert.deepEqual(
    report.rows.map((r) => r.variant),
    ['vae', 'ecvae'],
  );
});
