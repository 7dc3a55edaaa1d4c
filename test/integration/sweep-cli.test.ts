/** `ecvae sweep` on the built bin: flags checked before anything runs, --status and --report of a sweep whose runs have not started. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makePlan } from '../../sidecar/sweep/plan.ts';
import { cli, lastJson, repoRoot, tempDir } from '../helpers.ts';

const toy = join(repoRoot, 'examples', 'toy-25gaussians.ecvae.json');

function refused(args: string[], message: RegExp): void {
  const r = cli(['sweep', ...args, '--json']);
  assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  const j = lastJson(r.stdout);
  assert.equal(j.ok, false);
  assert.match(String(j.error), message, args.join(' '));
}

test('ecvae sweep refuses bad input with a clear message and exit 2, before any run starts', () => {
  const out = join(tempDir('ecvae-sweep-cli-'), 'sw');
  refused([toy, '--out', out, '--set', 'calibration.lamdaInit=1,2'], /Did you mean "calibration\.lambdaInit"\?/);
  refused([toy, '--out', out, '--seeds', '0,x'], /--seeds takes integers/);
  refused([toy, '--out', out, '--set', 'calibration.lambdaInit=1,-2'], /run lambdaInit=-2_seed=0: .*invalid/s);
  refused([toy], /needs --out/);
  refused(['--status', out, '--set', 'a=1'], /--set is for starting a sweep/);
  refused([toy, '--out', out, '--inception', join(out, 'inception')], /--inception is for --report/);
  refused(['--status', out, '--inception-output', 'pool_3'], /--inception-output is for --report/);
  refused([toy, '--out', out, '--executor', 'slurm', '--parallel', '2'], /--parallel is for --executor local/);
  refused([toy, '--out', out, '--slurm-opt', 'partition=x'], /--slurm-opt is for --executor slurm/);
  refused([toy, '--out', out, '--executor', 'slurm', '--slurm-opt', 'array=1-3'], /sets --array itself/);
  refused(['--status', out], /is not a sweep folder/);
  assert.ok(!existsSync(join(out, 'sweep.json')), 'nothing was planned');
});

test('--status and --report of a planned sweep: every run queued, the report lists them as not finished', () => {
  const out = join(tempDir('ecvae-sweep-cli-'), 'sw');
  makePlan({ config: toy, seeds: '0,1', sets: ['calibration.epsilon=0.001,0.01'], iterations: 50, out });
  const status = cli(['sweep', '--status', out, '--json']);
  assert.equal(status.status, 0, status.stderr);
  const s = lastJson(status.stdout) as { counts: Record<string, number>; runs: { name: string; state: string; total: number }[] };
  assert.deepEqual(s.counts, { queued: 4, running: 0, finished: 0, failed: 0, stopped: 0 });
  assert.deepEqual(
    s.runs.map((r) => [r.name, r.total]),
    [
      ['epsilon=0.001_seed=0', 50],
      ['epsilon=0.001_seed=1', 50],
      ['epsilon=0.01_seed=0', 50],
      ['epsilon=0.01_seed=1', 50],
    ],
  );
  const human = cli(['sweep', '--status', out]);
  assert.match(human.stdout, /4 runs: 4 queued\n {2}epsilon=0\.001_seed=0 +queued +0\/50/);
  const report = cli(['sweep', '--report', out, '--json', '--n', '100']);
  assert.equal(report.status, 0, report.stderr);
  const r = lastJson(report.stdout) as { runs: unknown[]; missing: { run: string; state: string }[] };
  assert.equal(r.runs.length, 0);
  assert.equal(r.missing.length, 4);
  assert.match(readFileSync(join(out, 'report.md'), 'utf8'), /## Not in the report \(not finished\)\n\n- epsilon=0\.001_seed=0: queued/);
  refused(['--report', out, '--inception', join(out, 'inception')], /FID needs image data/);
});
