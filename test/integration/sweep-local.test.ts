/**
 * The local sweep executor end to end on the toy data (needs dist/, `npm run build`): runs
 * in parallel child processes, a rerun skips finished runs, a stop checkpoints every child
 * and the next run resumes them to the same result as an uninterrupted run, and the report.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMetrics } from '../../sidecar/runLayout/runFolder.ts';
import { runLocal } from '../../sidecar/sweep/local.ts';
import { readManifest, runDirOf, runLogFile } from '../../sidecar/sweep/manifest.ts';
import { makePlan } from '../../sidecar/sweep/plan.ts';
import { sweepReport } from '../../sidecar/sweep/report.ts';
import { sweepStates } from '../../sidecar/sweep/state.ts';
import { repoRoot, tempDir, useBackend } from '../helpers.ts';

const toy = join(repoRoot, 'examples', 'toy-25gaussians.ecvae.json');

test('a local sweep trains each run in its own process, N at a time; rerunning skips finished runs; the report has every seed', async () => {
  const out = join(tempDir('ecvae-sweep-local-'), 'sw');
  const plan = makePlan({ config: toy, seeds: '0,1', sets: ['calibration.lambdaInit=10,30'], iterations: 30, out });
  const started: number[] = [];
  let running = 0,
    most = 0;
  const r = await runLocal(plan.dir, plan.manifest, plan.runs, {
    parallel: 2,
    events: {
      onStart: (_run, pid) => {
        started.push(pid);
        most = Math.max(most, ++running);
      },
      onEnd: () => running--,
    },
  });
  assert.deepEqual(
    r.states.map((s) => [s.name, s.state, s.iteration]),
    [
      ['lambdaInit=10_seed=0', 'finished', 30],
      ['lambdaInit=10_seed=1', 'finished', 30],
      ['lambdaInit=30_seed=0', 'finished', 30],
      ['lambdaInit=30_seed=1', 'finished', 30],
    ],
  );
  assert.equal(new Set(started).size, 4, 'one process per run');
  assert.equal(most, 2, 'two at a time');
  const cfg = JSON.parse(readFileSync(join(runDirOf(out, plan.runs[3]!), 'config.json'), 'utf8')) as { seed: number; calibration: { lambdaInit: number } };
  assert.deepEqual([cfg.seed, cfg.calibration.lambdaInit], [1, 30]);
  assert.match(readFileSync(runLogFile(out, plan.runs[0]!), 'utf8'), /"status":"finished"/);

  const again = await runLocal(plan.dir, readManifest(out), plan.runs, { parallel: 2 });
  assert.equal(again.states.length, 0);
  assert.equal(again.skipped.length, 4);

  await useBackend('wasm');
  const report = await sweepReport(out, { n: 200, mcmcSteps: 3 });
  assert.equal(report.runs.length, 8, 'one-step and MCMC for each of the 4 runs');
  assert.deepEqual(
    report.points.map((p) => [p.point, p.sampler, p.seeds.join(',')]),
    [
      ['lambdaInit=10', 'one-step', '0,1'],
      ['lambdaInit=10', 'mcmc', '0,1'],
      ['lambdaInit=30', 'one-step', '0,1'],
      ['lambdaInit=30', 'mcmc', '0,1'],
    ],
  );
  const hq = report.points[0]!.metrics.hqRatio!;
  const perSeed = report.runs.filter((x) => x.point === 'lambdaInit=10' && x.sampler === 'one-step').map((x) => x.metrics.hqRatio!);
  assert.deepEqual(hq.values, perSeed);
  assert.ok(Math.abs(hq.mean - (perSeed[0]! + perSeed[1]!) / 2) < 1e-12);
  for (const f of ['report.md', 'report.json', 'comparison.svg']) assert.ok(existsSync(join(out, f)), f);
  // Again: the runs whose samples are not pictured keep their metrics (same checkpoints, same settings).
  const logs: string[] = [];
  const again2 = await sweepReport(out, { n: 200, mcmcSteps: 3, onLog: (m) => logs.push(m) });
  assert.ok(logs.includes('2 runs unchanged since the last report: their metrics were kept'), logs.join('\n'));
  assert.deepEqual(
    again2.runs.map((x) => [x.run, x.sampler, x.metrics]),
    report.runs.map((x) => [x.run, x.sampler, x.metrics]),
  );
  const md = readFileSync(join(out, 'report.md'), 'utf8');
  assert.match(md, /^\| lambdaInit \| sampler \| seeds \| hqRatio \| modes \| reverseKL \|$/m);
  assert.match(readFileSync(join(out, 'comparison.svg'), 'utf8'), /hqRatio [0-9.]+ ± [0-9.]+ \(2 seeds\)/);
});

test('stopping a local sweep checkpoints every running child; the next run resumes them to what an uninterrupted run gives', async () => {
  const base = tempDir('ecvae-sweep-stop-');
  const out = join(base, 'sw');
  const plan = makePlan({ config: toy, seeds: '0,1', iterations: 100, out });
  const stop = new AbortController();
  // Stop once both runs have logged (toy logging.every is 25 iterations).
  const poll = setInterval(() => {
    if (plan.runs.every((r) => readMetrics(runDirOf(out, r)).length > 0)) stop.abort();
  }, 100);
  const first = await runLocal(plan.dir, plan.manifest, plan.runs, { parallel: 2, stop: stop.signal });
  clearInterval(poll);
  assert.ok(first.stopped);
  for (const s of first.states) {
    assert.equal(s.state, 'stopped', `${s.name}: ${s.detail}`);
    assert.ok(s.iteration > 0 && s.iteration < 100, `${s.name} stopped at ${s.iteration}`);
  }
  const second = await runLocal(plan.dir, readManifest(out), plan.runs, { parallel: 2 });
  assert.deepEqual(
    second.states.map((s) => s.state),
    ['finished', 'finished'],
  );
  for (const r of plan.runs) assert.match(readFileSync(runLogFile(out, r), 'utf8'), /resuming from .*iter-0000\d\d\.ckpt|"resumedFrom":\d+/);

  const straight = join(base, 'straight');
  const p2 = makePlan({ config: toy, seeds: '0', iterations: 100, out: straight });
  await runLocal(p2.dir, p2.manifest, p2.runs, { parallel: 1 });
  const last = (dir: string): unknown => readMetrics(dir).pop();
  assert.deepEqual(last(runDirOf(out, plan.runs[0]!)), { ...(last(runDirOf(straight, p2.runs[0]!)) as object), ...pick(last(runDirOf(out, plan.runs[0]!))) });
  assert.deepEqual(
    sweepStates(straight, readManifest(straight)).map((s) => s.state),
    ['finished'],
  );
});

/** Timing fields, which differ between any two runs. */
function pick(r: unknown): Record<string, unknown> {
  const x = r as Record<string, unknown>;
  return { itPerSec: x.itPerSec, elapsed: x.elapsed };
}
