/**
 * The Slurm executor on a real one-node cluster (scripts/test-slurm.sh starts it and sets
 * SLURM_CONF; `npm run test:slurm`): a toy sweep of 2 values x 2 seeds as one job array
 * gives the same metrics as the local executor; a task cancelled while running stops with
 * a checkpoint and one cancelled before it started leaves no record, and submitting the
 * sweep again resumes the first from its checkpoint and starts the second.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, lastJson, repoRoot, tempDir } from '../helpers.ts';

const conf = process.env.SLURM_CONF;
const toy = join(repoRoot, 'examples', 'toy-25gaussians.ecvae.json');
const grid = [toy, '--seeds', '0,1', '--set', 'calibration.lambdaInit=10,30', '--iterations', '100'];

interface RunState {
  name: string;
  state: string;
  iteration: number;
  detail?: string;
  log: string;
}

function ok(args: string[]): Record<string, unknown> {
  const r = cli([...args, '--json']);
  assert.equal(r.status, 0, `ecvae ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return lastJson(r.stdout);
}

const states = (dir: string): RunState[] => ok(['sweep', '--status', dir]).runs as RunState[];

async function until<T>(what: string, seconds: number, probe: () => T | undefined): Promise<T> {
  const end = Date.now() + seconds * 1000;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const settled = (dir: string): RunState[] | undefined => {
  const s = states(dir);
  return s.some((x) => x.state === 'queued' || x.state === 'running') ? undefined : s;
};

/** Each run's metrics from the sweep report, by run and sampler. */
function metrics(dir: string): Map<string, Record<string, number>> {
  const r = ok(['sweep', '--report', dir, '--n', '500', '--backend', 'wasm']) as { runs: { run: string; sampler: string; metrics: Record<string, number> }[] };
  return new Map(r.runs.map((x) => [`${x.run} ${x.sampler}`, x.metrics]));
}

test(
  'a Slurm sweep: one job array, cancelled tasks resume when resubmitted, the same metrics as the local executor',
  { skip: conf ? false : 'SLURM_CONF is not set: run npm run test:slurm' },
  async () => {
    const base = tempDir('ecvae-slurm-sweep-');
    const local = join(base, 'local');
    const onSlurm = join(base, 'slurm');

    const submitted = ok(['sweep', ...grid, '--out', onSlurm, '--executor', 'slurm']);
    const job = String(submitted.jobId);
    assert.match(job, /^\d+$/);
    assert.equal((submitted.submitted as string[]).length, 4);
    // The node has 2 CPUs and each toy run takes 1: tasks 0 and 1 run, 2 and 3 wait. Cancel 3
    // while it waits (Slurm keeps no record of it) and 0 once it has trained a little.
    const first = await until('task 0 to train past its first log line', 120, () => {
      const s = states(onSlurm);
      return s[0]!.state === 'running' && s[0]!.iteration > 0 ? s : undefined;
    });
    assert.equal(first[3]!.state, 'queued', `task 3 waits for a CPU: ${first[3]!.detail}`);
    const cancel = spawnSync('scancel', [`${job}_3`, `${job}_0`], { encoding: 'utf8' });
    assert.equal(cancel.status, 0, cancel.stderr);

    // Meanwhile, the same sweep on the local executor (the reference metrics).
    ok(['sweep', ...grid, '--out', local, '--parallel', '1']);

    const after = await until('the first submission to settle', 300, () => settled(onSlurm));
    assert.deepEqual(
      after.map((s) => s.state),
      ['stopped', 'finished', 'finished', 'stopped'],
      JSON.stringify(after, null, 1),
    );
    const stoppedAt = after[0]!.iteration;
    assert.ok(stoppedAt > 0 && stoppedAt < 100, `task 0 stopped mid-run, at ${stoppedAt}`);
    assert.match(after[0]!.detail!, /CANCELLED at iteration \d+; the next ecvae sweep resumes it/);
    assert.match(after[3]!.detail!, /before it started/);

    const again = ok(['sweep', ...grid, '--out', onSlurm, '--executor', 'slurm', '--wait']);
    assert.deepEqual(again.submitted, ['lambdaInit=10_seed=0', 'lambdaInit=30_seed=1'], 'only the unfinished runs are resubmitted');
    assert.deepEqual(
      (again.runs as RunState[]).map((s) => s.state),
      ['finished', 'finished', 'finished', 'finished'],
    );
    const log0 = readFileSync(after[0]!.log, 'utf8');
    assert.match(log0, new RegExp(`resuming from .*iter-0*${stoppedAt}\\.ckpt at iteration ${stoppedAt}`), 'task 0 resumed from its checkpoint');
    assert.match(log0, new RegExp(`Slurm task ${job}_0 on .*\\n[^]*Slurm task \\d+_0 on `), 'both attempts appended to one log');
    const log3 = readFileSync(after[3]!.log, 'utf8');
    assert.equal(log3.match(/== .* Slurm task/g)?.length, 1, 'task 3 ran once, in the resubmission');

    const bySlurm = metrics(onSlurm);
    const byLocal = metrics(local);
    assert.equal(bySlurm.size, 4);
    assert.deepEqual([...bySlurm.keys()].sort(), [...byLocal.keys()].sort());
    for (const [k, m] of bySlurm) assert.deepEqual(m, byLocal.get(k), `${k}: the same metrics on Slurm (resumed or not) as locally`);
    assert.match(readFileSync(join(onSlurm, 'report.md'), 'utf8'), /^\| 30 \| one-step \| 2 \| /m);
  },
);
