/**
 * The CLI's conventions, on the built bin: --version, per-command help on stdout, unknown
 * flags refused with a suggestion, numeric flags parsed strictly, file and config
 * problems said in words, and argument checks done before any TF.js backend loads.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProgram } from '../../sidecar/cli/program.ts';
import { cli, lastJson, repoRoot, tempDir } from '../helpers.ts';

const dir = tempDir();

/** A bad-usage run: exit 2, one JSON line under --json, the message on stderr. */
function refused(args: string[], message: RegExp): void {
  const r = cli([...args, '--json']);
  assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  const j = lastJson(r.stdout);
  assert.equal(j.ok, false);
  assert.match(String(j.error), message, args.join(' '));
  assert.match(r.stderr, message, args.join(' '));
}

test('--version prints the package version', () => {
  const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const r = cli([flag]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), version);
  }
});

test("each command's help is on stdout, exit 0, and lists exactly that command's flags", () => {
  const commands = buildProgram().commands.filter((c) => c.name() !== 'help');
  const flagsOf = new Map(commands.map((c) => [c.name(), new Set(c.options.map((o) => o.long!))]));
  const everyFlag = new Set([...flagsOf.values()].flatMap((s) => [...s]));
  assert.ok(commands.length >= 7);
  for (const c of commands) {
    const viaFlag = cli([c.name(), '--help']);
    const viaHelp = cli(['help', c.name()]);
    assert.equal(viaFlag.status, 0, viaFlag.stderr);
    assert.equal(viaHelp.status, 0, viaHelp.stderr);
    assert.equal(viaFlag.stdout, viaHelp.stdout, `${c.name()}: the same help both ways`);
    assert.match(viaFlag.stdout, new RegExp(`^Usage: ecvae ${c.name()} `));
    const listed = new Set(viaFlag.stdout.match(/--[a-z][a-z-]*/g));
    const own = flagsOf.get(c.name())!;
    for (const f of own) assert.ok(listed.has(f), `${c.name()} --help lists ${f}`);
    for (const f of everyFlag) if (!own.has(f)) assert.ok(!listed.has(f), `${c.name()} --help does not list ${f}, another command's flag`);
    assert.ok(own.has('--json'), `${c.name()} takes --json`);
  }
  const top = cli(['help']);
  assert.equal(top.status, 0);
  for (const c of commands) assert.match(top.stdout, new RegExp(`^  ${c.name()} `, 'm'));
  const bare = cli([]);
  assert.equal(bare.status, 2, 'no command is bad usage');
  assert.match(bare.stderr, /Usage: ecvae/);
});

test('a flag the command does not take is refused with exit 2, with a suggestion when one is close', () => {
  refused(['train', 'x.ecvae.json', '--iteration', '5'], /unknown option '--iteration'.*Did you mean --iterations\?/s);
  refused(['info', '--task', 'inpaint', '--resume'], /unknown option '--task'/);
  refused(['sample', 'run', '--out', 'g.png', '--mcmc-step', '3'], /Did you mean --mcmc-steps\?/);
  refused(['frobnicate'], /unknown command 'frobnicate'/);
  refused(['trian'], /Did you mean train\?/);
});

test('numeric flags are parsed strictly, with messages in words', () => {
  const restore = ['restore', 'run', 'x.png', '--task', 'denoise', '--out', join(dir, 'o.png')];
  refused([...restore, '--sigma', 'nan'], /--sigma takes a number at least 0 and at most 1; "nan" is not a finite number/);
  refused([...restore, '--sigma', '2'], /--sigma takes a number at least 0 and at most 1; got 2/);
  refused([...restore, '--steps', '1e9'], /--steps takes a whole number at least 1 and at most 10,000; "1e9" is not a whole number/);
  refused([...restore, '--steps', '20000'], /got 20000/);
  refused([...restore, '--step-size', '1e30'], /--step-size takes a number greater than 0 and at most 1; got 1e30/);
  refused(['train', 'x.ecvae.json', '--iterations', '-5'], /--iterations takes a whole number at least 1 .*; got -5/);
  refused(['train', 'x.ecvae.json', '--iterations', 'many'], /"many" is not a whole number/);
  refused(['sample', 'run', '--out', 'g.png', '--n', '2.5'], /--n takes a whole number/);
  refused(['sample', 'run', '--out', 'g.png', '--backend', 'gpu'], /--backend takes one of auto, .*wasm, cpu; got "gpu"/);
});

test('tasks, files and configs: what is wrong, in words', () => {
  refused(['restore', 'run', 'x.png', '--task', 'blur', '--out', 'o.png'], /argument 'blur' is invalid\. Allowed choices are inpaint, colorize, sr, denoise/);
  refused(['restore', 'run', 'x.png', '--out', 'o.png'], /required option '--task <task>' not specified/);
  refused(['train', join(dir, 'missing.ecvae.json')], /The config file .*missing\.ecvae\.json does not exist/);
  refused(['train', dir], /is a folder, not a file/);
  const broken = join(dir, 'broken.ecvae.json');
  writeFileSync(broken, '{\n  "data": {"kind": "mnist"},\n  "training": {"batchSize": 3,}\n}\n');
  const r = cli(['train', broken, '--json']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /broken\.ecvae\.json:3:31: error: Invalid JSON: a trailing comma is not allowed in JSON\./);
  assert.doesNotMatch(r.stderr, /PropertyNameExpected|ValueExpected/);
});

test('flags are checked before any TF.js backend loads; Dawn only when WebGPU can be reached', () => {
  const traced = (args: string[]): ReturnType<typeof spawnSync> =>
    spawnSync(process.execPath, ['--import', join(repoRoot, 'test', 'fixtures', 'trace-tfjs-imports.mjs'), join(repoRoot, 'bin', 'ecvae.js'), ...args], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 120_000,
    });
  for (const args of [
    ['sample', 'run', '--out', 'g.png', '--n', '0'],
    ['restore', 'run', 'x.png', '--task', 'blur', '--out', 'o.png'],
    ['train', join(dir, 'missing.ecvae.json'), '--bogus'],
    ['info', '--help'],
    ['--version'],
  ]) {
    const r = traced(args);
    assert.doesNotMatch(String(r.stderr), /\[trace\] import/, `${args.join(' ')} loads no backend`);
  }
  // The control: a command that runs does load one (so the trace works).
  const info = traced(['info']);
  assert.equal(info.status, 0, String(info.stderr));
  assert.match(String(info.stderr), /\[trace\] import @tensorflow\//);
  // 'auto' loads Dawn only where a Vulkan loader exists; without one it says why, and Dawn's warning never prints.
  const report = lastJson(cli(['info', '--json']).stdout) as { attempts: { name: string; detail: string }[] };
  const webgpu = report.attempts.find((a) => a.name === 'webgpu');
  if (webgpu && /no Vulkan loader/.test(webgpu.detail)) {
    assert.doesNotMatch(String(info.stderr), /Couldn't load Vulkan|\[trace\] import webgpu/);
  }
});
