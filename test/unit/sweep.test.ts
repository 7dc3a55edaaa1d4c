/** Sweeps: --set parsing against the schema, grid expansion and names, the sweep folder, run states, the report's tables. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { checkConfigPath, configName, expandGrid, parseSeeds, parseSetFlag, runConfig, valueLabel } from '../../sidecar/sweep/grid.ts';
import { readManifest, runConfigFile, runDirOf } from '../../sidecar/sweep/manifest.ts';
import { readSweepSummary } from '../../sidecar/runLayout/runFolder.ts';
import { makePlan } from '../../sidecar/sweep/plan.ts';
import { reportMarkdown, summarize, summarizePoints, type RunEval, type SweepReport } from '../../sidecar/sweep/report.ts';
import { batchScript, slurmOptArgs } from '../../sidecar/sweep/slurm.ts';
import { defaultParallel, runsAtOnce, threadsPerRun } from '../../sidecar/engine/parallel/threads.ts';
import { runState, sweepStates } from '../../sidecar/sweep/state.ts';
import { repoRoot, tempDir, withDefaults } from '../helpers.ts';

const toy = join(repoRoot, 'examples', 'toy-25gaussians.ecvae.json');

test('--set: values parse as JSON where they can, as strings otherwise, commas inside brackets kept', () => {
  assert.deepEqual(
    parseSetFlag('calibration.lambdaInit=10,30').values.map((v) => v.overrides),
    [{ 'calibration.lambdaInit': 10 }, { 'calibration.lambdaInit': 30 }],
  );
  const b = parseSetFlag('backend=wasm,cpu');
  assert.deepEqual(
    b.values.map((v) => v.overrides.backend),
    ['wasm', 'cpu'],
  );
  assert.equal(b.key, 'backend');
  const p = parseSetFlag('training.parallelism=1,"auto"');
  assert.deepEqual(
    p.values.map((v) => v.overrides['training.parallelism']),
    [1, 'auto'],
  );
  assert.equal(parseSetFlag('calibration.enabled=true,false').values[1]!.overrides['calibration.enabled'], false);
  assert.deepEqual(parseSetFlag('training.gradClipNorm=[1,2],3').values.length, 2, 'a bracketed value stays one value');
  assert.deepEqual(
    parseSetFlag('calibration.epsilon=1e-3,0.01').values.map((v) => v.label),
    ['0.001', '0.01'],
  );
});

test('--set: a path that is not in the config schema is a clear error that names the nearest field', () => {
  assert.throws(() => parseSetFlag('calibration.lamdaInit=1,2'), /"calibration" has no field "lamdaInit"\. Did you mean "calibration\.lambdaInit"\?/);
  assert.throws(() => parseSetFlag('trainig.iterations=5'), /the config has no field "trainig"\. Did you mean "training"\?/);
  assert.throws(() => parseSetFlag('training.iterations.x=5'), /is a value, not an object/);
  assert.throws(() => parseSetFlag('seed=1,2'), /--seeds/);
  assert.throws(() => parseSetFlag('training.iterations=9000'), /every run of a sweep trains as long; give the count with --iterations N/);
  assert.throws(() => parseSetFlag('calibration.lambdaInit'), /expected path=value/);
  assert.throws(() => parseSetFlag('calibration.lambdaInit=1,,2'), /empty value/);
  assert.throws(() => parseSetFlag('training.beta=0.1,1e400'), /--set training\.beta: 1e400 is not a finite number/);
  assert.throws(() => parseSetFlag('training.gradClipNorm=[1,-1e999]'), /\[1,-1e999\] is not a finite number/);
  assert.throws(() => checkConfigPath('a..b'), /dotted config field/);
  assert.doesNotThrow(() => checkConfigPath('model.flow.blocks'));
  assert.doesNotThrow(() => checkConfigPath('training.gradClipNorm'), 'a field whose schema is anyOf');
});

test('--seeds: lists and ranges, no repeats', () => {
  assert.deepEqual(parseSeeds('0,1,2'), [0, 1, 2]);
  assert.deepEqual(parseSeeds('3-5,9'), [3, 4, 5, 9]);
  assert.throws(() => parseSeeds('0,1,1'), /seed 1 is given twice/);
  assert.throws(() => parseSeeds('a'), /--seeds takes integers/);
  assert.throws(() => parseSeeds('-1'), /--seeds takes integers/);
});

test('the grid is the cartesian product of the axes in order, seeds innermost, each run named by its values', () => {
  const { axes, runs } = expandGrid([parseSetFlag('calibration.lambdaInit=10,30'), parseSetFlag('calibration.epsilon=0.001,0.01')], [0, 1]);
  assert.deepEqual(
    axes.map((a) => a.key),
    ['lambdaInit', 'epsilon'],
  );
  assert.equal(runs.length, 8);
  assert.deepEqual(
    runs.map((r) => r.name),
    [
      'lambdaInit=10_epsilon=0.001_seed=0',
      'lambdaInit=10_epsilon=0.001_seed=1',
      'lambdaInit=10_epsilon=0.01_seed=0',
      'lambdaInit=10_epsilon=0.01_seed=1',
      'lambdaInit=30_epsilon=0.001_seed=0',
      'lambdaInit=30_epsilon=0.001_seed=1',
      'lambdaInit=30_epsilon=0.01_seed=0',
      'lambdaInit=30_epsilon=0.01_seed=1',
    ],
  );
  assert.equal(runs[2]!.point, 'lambdaInit=10_epsilon=0.01');
  assert.deepEqual(runs[2]!.overrides, { 'calibration.lambdaInit': 10, 'calibration.epsilon': 0.01, seed: 0 });
  assert.deepEqual(runs[2]!.labels, { lambdaInit: '10', epsilon: '0.01' });
  // No axes: one point per seed.
  assert.deepEqual(
    expandGrid([], [4]).runs.map((r) => [r.name, r.point]),
    [['seed=4', 'base']],
  );
  // Two fields with the same last name are told apart by their full paths.
  const both = expandGrid([parseSetFlag('model.hidden=8'), parseSetFlag('model.flow.hidden=16')], [0]);
  assert.equal(both.runs[0]!.name, 'model.hidden=8_model.flow.hidden=16_seed=0');
  assert.throws(() => expandGrid([parseSetFlag('calibration.lambdaInit=1,1.0')], [0]), /given twice/);
  assert.throws(() => expandGrid([parseSetFlag('calibration.lambdaInit=1'), parseSetFlag('calibration.lambdaInit=2')], [0]), /varied twice/);
  assert.throws(() => expandGrid([], []), /at least one seed/);
  assert.equal(valueLabel('a/b c'), 'a~b~c', 'names stay safe in paths and shells');
});

test('each run config is the base with its values and seed, validated again (a refused value names the run)', () => {
  const base = withDefaults({ name: 'toy', data: { kind: 'gaussians25' }, model: { kind: 'mlp', latentDim: 2 } });
  const { runs } = expandGrid([parseSetFlag('calibration.lambdaInit=10,-1')], [7]);
  const c = runConfig(base, runs[0]!, repoRoot);
  assert.equal(c.calibration.lambdaInit, 10);
  assert.equal(c.seed, 7);
  assert.equal(c.name, 'toy-lambdaInit-10_seed-7', 'the config name keeps to the characters the schema allows');
  assert.match(configName('a'.repeat(60), 'lambdaInit=10_seed=7'), /^a{55}-[0-9a-f]{8}$/);
  assert.equal(c.training.iterations, base.training.iterations);
  assert.throws(
    () => runConfig(base, runs[1]!, repoRoot),
    /run lambdaInit=-1_seed=7: the config with calibration\.lambdaInit=-1, seed=7 is invalid:\n.*lambdaInit/,
  );
});

test('planning writes the manifest and each run folder with its expanded config; planning again is idempotent and may add runs', () => {
  const out = join(tempDir('ecvae-sweep-'), 'sw');
  const p = makePlan({ config: toy, seeds: '0,1', sets: ['calibration.lambdaInit=10,30'], iterations: 40, out });
  assert.equal(p.runs.length, 4);
  const m = readManifest(out);
  assert.equal(m.runs.length, 4);
  assert.equal(m.base.training.iterations, 40);
  for (const r of p.runs) {
    const c = JSON.parse(readFileSync(runConfigFile(out, r), 'utf8')) as {
      seed: number;
      calibration: { lambdaInit: number };
      training: { iterations: number };
    };
    assert.equal(c.seed, r.seed);
    assert.equal(c.calibration.lambdaInit, r.overrides['calibration.lambdaInit']);
    assert.equal(c.training.iterations, 40);
  }
  const again = makePlan({ config: toy, seeds: '0,1', sets: ['calibration.lambdaInit=10,30'], iterations: 40, out });
  assert.deepEqual(
    again.manifest.runs.map((r) => r.name),
    m.runs.map((r) => r.name),
  );
  const more = makePlan({ config: toy, seeds: '2', sets: ['calibration.lambdaInit=10,30'], iterations: 60, out });
  assert.deepEqual(
    more.manifest.runs.slice(4).map((r) => r.name),
    ['lambdaInit=10_seed=2', 'lambdaInit=30_seed=2'],
    'new runs are appended, so earlier runs keep their Slurm task ids',
  );
  assert.deepEqual(more.manifest.seeds, [0, 1, 2]);
  assert.equal(readManifest(out).base.training.iterations, 60, 'a sweep may be trained longer');
  // A different base config, or a folder holding something else, is refused.
  assert.throws(
    () => makePlan({ config: toy, seeds: '0', sets: ['calibration.lambdaInit=10', 'calibration.epsilon=0.1'], out }),
    /sweeps calibration\.lambdaInit; this sweep varies calibration\.lambdaInit, calibration\.epsilon/,
  );
  const changed = join(tempDir('ecvae-sweep-cfg-'), 'toy.ecvae.json');
  writeFileSync(changed, readFileSync(toy, 'utf8').replace('"hidden": 64, "depth": 3', '"hidden": 32, "depth": 3'));
  assert.throws(
    () => makePlan({ config: changed, seeds: '0', sets: ['calibration.lambdaInit=10'], out }),
    /holds a sweep of a different config \(model\.hidden differ/,
  );
  const other = tempDir('ecvae-sweep-other-');
  writeFileSync(join(other, 'notes.txt'), 'mine');
  assert.throws(() => makePlan({ config: toy, seeds: '0', out: other }), /exists and is not a sweep folder/);
  assert.throws(() => readManifest(other), /is not a sweep folder/);
});

test('run states come from the run folders: queued, running, finished, stopped (resumable) and failed', () => {
  const out = join(tempDir('ecvae-sweep-state-'), 'sw');
  const p = makePlan({ config: toy, seeds: '0-4', iterations: 40, out });
  const status = (i: number, s: object): void =>
    writeFileSync(join(runDirOf(out, p.runs[i]!), 'status.json'), JSON.stringify({ iteration: 20, total: 40, host: hostname(), updatedAt: '', ...s }));
  status(1, { status: 'running', pid: process.pid });
  status(2, { status: 'finished', iteration: 40, pid: 1 });
  status(3, { status: 'running', pid: 2 ** 22 + 12345 }); // a writer that is gone
  status(4, { status: 'failed', pid: 1, message: 'diverged' });
  const m = readManifest(out);
  const states = sweepStates(out, m);
  assert.deepEqual(
    states.map((s) => s.state),
    ['queued', 'running', 'finished', 'stopped', 'failed'],
  );
  assert.match(states[3]!.detail!, /interrupted at iteration 20 of 40; the next ecvae sweep resumes it/);
  assert.equal(states[4]!.detail, 'diverged');
  // A longer target makes a finished run resumable again.
  m.base.training.iterations = 80;
  assert.equal(runState(out, m, m.runs[2]!).state, 'stopped');
});

test('run states of Slurm tasks: the queue decides while a task waits or runs; a vanished task is stopped', () => {
  const out = join(tempDir('ecvae-sweep-slurm-'), 'sw');
  makePlan({ config: toy, seeds: '0-3', iterations: 40, out });
  const m = readManifest(out);
  m.slurm = { jobs: [{ jobId: '7', tasks: [0, 1, 2, 3], submittedAt: '', options: [] }] };
  writeFileSync(join(runDirOf(out, m.runs[2]!), 'status.json'), JSON.stringify({ status: 'running', iteration: 12, total: 40, pid: 1, host: 'node-b' }));
  writeFileSync(join(runDirOf(out, m.runs[3]!), 'status.json'), JSON.stringify({ status: 'running', iteration: 30, total: 40, pid: 1, host: 'node-b' }));
  const queue = new Map([
    [0, { jobId: '7', task: 0, state: 'PENDING', reason: 'Resources' }],
    [3, { jobId: '7', task: 3, state: 'RUNNING' }],
  ]);
  const s = sweepStates(out, m, queue);
  assert.deepEqual(
    s.map((x) => x.state),
    ['queued', 'stopped', 'stopped', 'running'],
  );
  assert.match(s[0]!.detail!, /7_0 pending \(Resources\)/);
  assert.match(s[1]!.detail!, /before it started; the next ecvae sweep resubmits it/);
  assert.match(s[2]!.detail!, /left the queue at iteration 12/);
  assert.equal(s[3]!.slurmTask, '7_3');
});

test('--slurm-opt becomes sbatch options; the executor keeps its own; the batch script runs this installation', () => {
  assert.deepEqual(slurmOptArgs(['partition=gpu', 'time=01:00:00', '--gres=gpu:1', 'mem=4G']), [
    '--partition=gpu',
    '--time=01:00:00',
    '--gres=gpu:1',
    '--mem=4G',
  ]);
  assert.throws(() => slurmOptArgs(['array=0-3']), /sets --array itself/);
  assert.throws(() => slurmOptArgs(['output=x']), /sets --output itself/);
  assert.throws(() => slurmOptArgs(['=x']), /expected name=value/);
  const out = join(tempDir("ecvae-sweep-o'q-"), 'sw');
  makePlan({ config: toy, seeds: '0,1', iterations: 40, out });
  const script = batchScript(out, readManifest(out));
  assert.match(script, /^RUNS=\('seed=0' 'seed=1'\)$/m);
  assert.match(script, new RegExp(`^exec '${process.execPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' '${repoRoot}/bin/ecvae.js' 'train' `, 'm'));
  assert.match(script, /'--resume' '--iterations' '40' '--json'$/m);
  assert.ok(script.includes(`'\\''`), 'a quote in the folder name is escaped for the shell');
});

test('parallel runs by default: the cores over each run’s threads', () => {
  const mlp = withDefaults({ data: { kind: 'gaussians25' }, model: { kind: 'mlp', latentDim: 2 } });
  assert.equal(threadsPerRun(mlp), 1);
  assert.equal(defaultParallel(mlp, 8), 8);
  const conv = withDefaults({ data: { kind: 'mnist' } });
  assert.equal(threadsPerRun(conv, 8), 4);
  assert.equal(defaultParallel(conv, 8), 2);
  assert.equal(defaultParallel(conv, 2), 1);
  assert.equal(defaultParallel({ ...conv, training: { ...conv.training, parallelism: 3 } }, 8), 2);
  // In one process (compare): the same on the CPU backends, one at a time on native and GPU ones.
  assert.equal(runsAtOnce(mlp, 'wasm', 8), 8);
  assert.equal(runsAtOnce(conv, 'cpu', 8), 2);
  assert.equal(runsAtOnce(mlp, 'tensorflow', 8), 1);
  assert.equal(runsAtOnce(mlp, 'tensorflow-gpu', 8), 1);
});

test('the report: mean ± sample sd per grid point and sampler, every seed listed, unfinished runs named', () => {
  assert.deepEqual(summarize([1, 2, 3]), { mean: 2, sd: 1, values: [1, 2, 3] });
  assert.equal(summarize([5]).sd, null);
  const ev = (run: string, point: string, seed: number, hq: number, sampler: RunEval['sampler'] = 'one-step'): RunEval => ({
    run,
    point,
    labels: { lambdaInit: point.split('=')[1]! },
    seed,
    iteration: 40,
    checkpoint: '',
    sampler,
    metrics: { hqRatio: hq, modes: 20 + seed },
    secondsPerImage: 0,
  });
  const runs = [
    ev('a0', 'lambdaInit=10', 0, 0.5),
    ev('a1', 'lambdaInit=10', 1, 0.7),
    ev('b0', 'lambdaInit=30', 0, 0.9),
    ev('b0', 'lambdaInit=30', 0, 0.95, 'mcmc'),
  ];
  const points = summarizePoints(runs);
  assert.deepEqual(
    points.map((p) => [p.point, p.sampler, p.seeds]),
    [
      ['lambdaInit=10', 'one-step', [0, 1]],
      ['lambdaInit=30', 'one-step', [0]],
      ['lambdaInit=30', 'mcmc', [0]],
    ],
  );
  assert.ok(Math.abs(points[0]!.metrics.hqRatio!.mean - 0.6) < 1e-12);
  assert.ok(Math.abs(points[0]!.metrics.hqRatio!.sd! - Math.SQRT2 * 0.1) < 1e-12);
  const report: SweepReport = {
    source: toy,
    name: 'toy',
    axes: [{ name: 'calibration.lambdaInit', key: 'lambdaInit', values: ['10', '30'] }],
    seeds: [0, 1],
    iterations: 40,
    eval: { n: 100, mcmcSteps: 5, seed: 'run seed + 1' },
    mainMetric: { name: 'hqRatio', lowerIsBetter: false },
    points,
    runs,
    missing: [{ run: 'b1', state: 'failed', detail: 'diverged' }],
    picture: 'comparison.svg',
    notes: [],
  };
  const md = reportMarkdown(report);
  assert.match(md, /^\| lambdaInit \| sampler \| seeds \| hqRatio \| modes \|$/m);
  assert.match(md, /^\| 10 \| one-step \| 2 \| 0\.6000 ± 0\.14 \| 20\.50 ± 0\.71 \|$/m);
  assert.match(md, /^\| 30 \| mcmc \| 1 \| 0\.9500 \| 20 \|$/m);
  assert.match(md, /^\| a1 \| one-step \| 40 \| 0\.7000 \| 21 \|$/m);
  assert.match(md, /- b1: failed \(diverged\)/);
  assert.match(md, /calibration\.lambdaInit ∈ \{10, 30\} × seeds \{0, 1\}/);
});

test('a planned run folder is not listed as a run before it starts, and holds only its config', () => {
  const out = join(tempDir('ecvae-sweep-folder-'), 'sw');
  const p = makePlan({ config: toy, seeds: '0', out });
  assert.ok(existsSync(runConfigFile(out, p.runs[0]!)));
  assert.ok(!existsSync(join(runDirOf(out, p.runs[0]!), 'status.json')));
  mkdirSync(join(out, 'logs'), { recursive: true });
});

test('a damaged or foreign sweep.json is a clear error; run names that would leave the folder are refused', () => {
  const out = join(tempDir('ecvae-sweep-bad-'), 'sw');
  makePlan({ config: toy, seeds: '0', out });
  const file = join(out, 'sweep.json');
  const good = JSON.parse(readFileSync(file, 'utf8')) as { runs: { name: string }[]; version: number };
  const write = (m: unknown): void => writeFileSync(file, JSON.stringify(m));
  write({ ...good, runs: [{ ...good.runs[0], name: '../elsewhere' }] });
  assert.throws(() => readManifest(out), /sweep\.json cannot be used: run 0 has no valid folder name/);
  write({ ...good, runs: [1] });
  assert.throws(() => readManifest(out), /run 0 has no valid folder name/);
  write({ ...good, version: 7 });
  assert.throws(() => readManifest(out), /version 7; this version of ecvae reads version 1/);
  writeFileSync(file, '{"kind": "ecvae-sweep",');
  assert.throws(() => readManifest(out), /is not valid JSON/);
  write({ hello: 1 });
  assert.throws(() => readManifest(out), /not a sweep manifest/);
  assert.equal(readSweepSummary(out), undefined, 'the Runs view skips it');
  write({ ...good, runs: [{ ...good.runs[0], name: '..' }] });
  assert.deepEqual(readSweepSummary(out)!.runs, [], 'the Runs view lists no run outside the folder');
});

test('a grid point name too long for a folder is shortened with a hash, still unique', () => {
  const long = (c: string): string => `"${c.repeat(250)}"`;
  const { runs } = expandGrid([parseSetFlag(`data.path=${long('a')},${long('b')}`)], [0]);
  assert.equal(runs.length, 2);
  for (const r of runs) {
    assert.ok(r.name.length <= 200, r.name);
    assert.match(r.name, /^path=a{10}.*-[0-9a-f]{8}_seed=0$|^path=b{10}.*-[0-9a-f]{8}_seed=0$/);
  }
  assert.notEqual(runs[0]!.name, runs[1]!.name);
});
