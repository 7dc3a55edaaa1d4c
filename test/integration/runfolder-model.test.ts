/**
 * Model-based test of the run folder (fast-check command sequences): random sequences of
 * training, stopping at a random iteration, killing (a stale lock and "running" status of a
 * dead process, a half-written temp checkpoint, metrics logged past the checkpoint and a
 * torn line), resuming, corrupting the latest checkpoint and following the advice the error
 * gives, deleting old checkpoints, copying the folder and continuing the copy, and files of
 * the user's put into the folder. After every command:
 *  - no user file is replaced or removed (inside or beside the run);
 *  - the checkpoint `latest` names exists, and the folder holds no lock once a command ends;
 *  - metrics iterations strictly increase;
 *  - a resumed run equals the uninterrupted one (its latest checkpoint, tensor for tensor).
 * Small toy, few runs: seconds.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { readCheckpoint, resolveCheckpoint } from '../../sidecar/engine/store/checkpoint.ts';
import { train } from '../../sidecar/engine/jobs/run.ts';
import { CHECKPOINT_NAME, byIteration, readMetrics, readRunSummary, runFiles } from '../../sidecar/runLayout/runFolder.ts';
import { tempDir, useBackend, withDefaults } from '../helpers.ts';

const MAX = 12;
const config = withDefaults({
  name: 'toy',
  data: { kind: 'gaussians25', count: 200 },
  model: { hidden: 8, depth: 1, latentDim: 2 },
  training: { iterations: MAX, batchSize: 16 },
  calibration: { sgldSteps: 1 },
  logging: { every: 1, checkpointEvery: 2, sampleEvery: 1000, sampleCount: 4, keepCheckpoints: 3 },
});

const deadPid = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);

interface Model {
  iteration: number;
  foreign: number;
  corrupt: boolean;
}
interface Real {
  root: string;
  run: string;
  /** Files of the user's, with their bytes. */
  user: Map<string, Buffer>;
  /** The uninterrupted reference run: a checkpoint at every iteration. */
  ref: string;
}

/** The latest checkpoint's tensors and lambda equal the uninterrupted run's at the same iteration. */
function assertEqualsUninterrupted(r: Real, iteration: number): void {
  const got = readCheckpoint(resolveCheckpoint(r.run));
  const want = readCheckpoint(join(r.ref, 'checkpoints', `iter-${String(iteration).padStart(6, '0')}.ckpt`));
  assert.equal(got.header.iteration, iteration);
  assert.equal(got.header.lambda, want.header.lambda);
  assert.deepEqual([...got.tensors.keys()].sort(), [...want.tensors.keys()].sort());
  for (const [name, t] of want.tensors) assert.deepEqual(got.tensors.get(name)!.data, t.data, `${name} at iteration ${iteration}`);
}

function checkInvariants(r: Real, m: Model): void {
  for (const [file, bytes] of r.user) assert.ok(existsSync(file) && readFileSync(file).equals(bytes), `user file ${file} kept as it was`);
  const pointer = join(r.run, 'checkpoints', 'latest');
  if (existsSync(pointer)) assert.ok(existsSync(join(r.run, 'checkpoints', readFileSync(pointer, 'utf8').trim())), 'latest names a checkpoint that exists');
  const its = readMetrics(r.run).map((x) => x.iteration);
  assert.ok(
    its.every((v, i) => i === 0 || v > its[i - 1]!),
    `metrics iterations increase: ${its.join(',')}`,
  );
  if (m.iteration > 0 && !m.corrupt) assert.equal(resolveCheckpoint(r.run), join(r.run, 'checkpoints', `iter-${String(m.iteration).padStart(6, '0')}.ckpt`));
}

/** Trains (to `to`, or stopped at `stopAt`) and checks the outcome the model predicts. */
async function trainAndCheck(m: Model, r: Real, to: number, stopAt?: number): Promise<void> {
  const ac = new AbortController();
  const go = train(config, {
    runDir: r.run,
    resume: true,
    iterations: to,
    signal: ac.signal,
    events: { onMetrics: (x) => void (stopAt !== undefined && x.iteration >= stopAt && ac.abort()) },
  });
  if (m.foreign) {
    await assert.rejects(go, /also holds files that are not part of one/);
    return;
  }
  if (m.corrupt) {
    await assert.rejects(go, /corrupt.*Earlier checkpoints beside it: .*write its name into .*latest/s);
    return;
  }
  const res = await go;
  const end = stopAt !== undefined && stopAt < to ? stopAt : to;
  assert.deepEqual([res.status, res.iteration], [end < to ? 'stopped' : 'finished', end]);
  assert.ok(!existsSync(runFiles(r.run).lock), 'the lock is released');
  m.iteration = end;
  assertEqualsUninterrupted(r, end);
}

const commands = [
  fc.integer({ min: 1, max: 3 }).map((k): fc.AsyncCommand<Model, Real> => ({
    check: (m) => m.iteration + k <= MAX,
    run: (m, r) => trainAndCheck(m, r, m.iteration + k),
    toString: () => `train +${k}`,
  })),
  fc.integer({ min: 1, max: 2 }).map((k): fc.AsyncCommand<Model, Real> => ({
    check: (m) => m.iteration + k + 1 <= MAX,
    run: (m, r) => trainAndCheck(m, r, MAX, m.iteration + k),
    toString: () => `stop after +${k}`,
  })),
  fc.constant<fc.AsyncCommand<Model, Real>>({
    check: (m) => m.iteration > 0 && !m.foreign && !m.corrupt,
    run: (m, r) => {
      // What a SIGKILL during the next iterations leaves: a lock and "running" status of a dead
      // process, a half-written checkpoint, metrics past the last checkpoint and a torn line.
      const f = runFiles(r.run);
      writeFileSync(f.lock, JSON.stringify({ pid: deadPid, host: hostname(), startedAt: 'killed', startTime: '1' }));
      const status = JSON.parse(readFileSync(f.status, 'utf8')) as object;
      writeFileSync(f.status, JSON.stringify({ ...status, status: 'running', pid: deadPid, startTime: '1' }));
      writeFileSync(join(f.checkpoints, `.iter-${String(m.iteration + 1).padStart(6, '0')}.ckpt.tmp-${deadPid}`), 'half');
      writeFileSync(f.metrics, readFileSync(f.metrics, 'utf8') + JSON.stringify({ iteration: m.iteration + 1, rec: 1 }) + '\n{"iteration": ');
      assert.equal(readRunSummary(r.run).status, 'interrupted');
      return Promise.resolve();
    },
    toString: () => 'kill',
  }),
  fc.constantFrom('notes.txt', 'checkpoints/mine.ckpt', 'samples/photo.png').map((where): fc.AsyncCommand<Model, Real> => ({
    check: (m) => m.iteration > 0,
    run: (m, r) => {
      const file = join(r.run, where);
      if (!r.user.has(file)) m.foreign++;
      const bytes = Buffer.from(`the user's ${where} ${Math.random()}`);
      writeFileSync(file, bytes);
      r.user.set(file, bytes);
      return Promise.resolve();
    },
    toString: () => `user file ${where}`,
  })),
  fc.constant<fc.AsyncCommand<Model, Real>>({
    check: (m) => m.foreign > 0,
    run: (m, r) => {
      for (const file of [...r.user.keys()].filter((f) => f.startsWith(r.run + '/'))) {
        rmSync(file);
        r.user.delete(file);
      }
      m.foreign = 0;
      return Promise.resolve();
    },
    toString: () => 'remove user files',
  }),
  fc.constant<fc.AsyncCommand<Model, Real>>({
    check: (m) => !m.corrupt && !m.foreign && m.iteration > 2,
    run: (m, r) => {
      const file = resolveCheckpoint(r.run);
      const b = readFileSync(file);
      b[b.length - 3]! ^= 0xff;
      writeFileSync(file, b);
      m.corrupt = true;
      return Promise.resolve();
    },
    toString: () => 'corrupt latest',
  }),
  fc.constant<fc.AsyncCommand<Model, Real>>({
    check: (m) => m.corrupt,
    run: (m, r) => {
      // The advice the error gives: write an earlier checkpoint's name into latest.
      const dir = join(r.run, 'checkpoints');
      const latest = readFileSync(join(dir, 'latest'), 'utf8').trim();
      const earlier = byIteration(readdirSync(dir), CHECKPOINT_NAME).filter((n) => n !== latest);
      const pick = earlier.filter((n) => Number(CHECKPOINT_NAME.exec(n)![1]) < m.iteration).pop()!;
      writeFileSync(join(dir, 'latest'), pick + '\n');
      m.iteration = Number(CHECKPOINT_NAME.exec(pick)![1]);
      m.corrupt = false;
      return Promise.resolve();
    },
    toString: () => 'follow the advice',
  }),
  fc.constant<fc.AsyncCommand<Model, Real>>({
    check: (m) => m.iteration > 0 && !m.corrupt,
    run: (_m, r) => {
      const dir = join(r.run, 'checkpoints');
      const latest = readFileSync(join(dir, 'latest'), 'utf8').trim();
      const old = byIteration(readdirSync(dir), CHECKPOINT_NAME).filter((n) => n !== latest);
      if (old.length) rmSync(join(dir, old[0]!));
      return Promise.resolve();
    },
    toString: () => 'delete the oldest checkpoint',
  }),
  fc.constant<fc.AsyncCommand<Model, Real>>({
    check: (m) => m.iteration > 0 && m.iteration < MAX && !m.corrupt && !m.foreign,
    run: async (m, r) => {
      // A copy of the folder continues on its own; the original is left exactly as it was.
      const copy = join(r.root, `copy-${readdirSync(r.root).length}`);
      cpSync(r.run, copy, { recursive: true });
      const before = readdirSync(r.run, { recursive: true }).map(String).sort();
      const res = await train(config, { runDir: copy, resume: true, iterations: m.iteration + 1 });
      assert.equal(res.iteration, m.iteration + 1);
      assert.deepEqual(readdirSync(r.run, { recursive: true }).map(String).sort(), before);
      rmSync(copy, { recursive: true });
    },
    toString: () => 'copy the folder and continue the copy',
  }),
];

test('run folder: random sequences of train, stop, kill, resume, corrupt, delete, copy and user files', async () => {
  await useBackend('wasm');
  const base = tempDir();
  const ref = join(base, 'reference');
  await train({ ...config, logging: { ...config.logging, checkpointEvery: 1, keepCheckpoints: 100 } }, { runDir: ref });
  let n = 0;
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 14, size: 'max' }), async (cmds) => {
      const root = join(base, `case-${n++}`);
      const run = join(root, 'run');
      const beside = join(root, 'beside.txt');
      const real: Real = { root, run, user: new Map(), ref };
      mkdirSync(root);
      writeFileSync(beside, 'a file next to the run');
      real.user.set(beside, readFileSync(beside));
      const model: Model = { iteration: 0, foreign: 0, corrupt: false };
      await fc.asyncModelRun(
        () => ({ model, real }),
        [...cmds].map((c) => ({
          check: (m: Model) => c.check(m),
          toString: () => c.toString(),
          run: async (m: Model, r: Real) => {
            await c.run(m, r);
            if (process.env.FC_TRACE) process.stderr.write(`${c.toString()} -> iteration ${m.iteration}\n`);
            checkInvariants(r, m);
          },
        })),
      );
    }),
    { numRuns: 15, seed: Number(process.env.FC_SEED ?? 29), endOnFailure: true },
  );
});
