/**
 * Hardening of what the engine reads and writes (issue: hardening 2): one guarded way to
 * open a file (regular files only, bounded, never blocking), one way to claim an output
 * folder (train, fit-prior and compare never write over a folder that is not theirs),
 * checkpoint order by iteration number, temp files of killed writers removed, outputs
 * distinct from inputs, and locks that survive pid reuse with an atomic takeover.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { readCheckpoint, resolveCheckpoint } from '../../sidecar/engine/store/checkpoint.ts';
import { loadConfigFile } from '../../sidecar/engine/config/config.ts';
import { UserError } from '../../sidecar/runLayout/errors.ts';
import { compare } from '../../sidecar/engine/eval/compare.ts';
import { readGuarded, readTextGuarded } from '../../sidecar/runLayout/guardedRead.ts';
import { claimOutputFolder, MARKER, requireDistinctPaths } from '../../sidecar/engine/store/outputFolder.ts';
import { liveness, processStartTime, selfIdentity } from '../../sidecar/runLayout/processIdentity.ts';
import { acquireLock, lockHooks } from '../../sidecar/engine/store/runLock.ts';
import { fitPrior } from '../../sidecar/engine/jobs/fitPrior.ts';
import { readImage } from '../../sidecar/engine/data/images.ts';
import { train } from '../../sidecar/engine/jobs/run.ts';
import { listCheckpoints, readRunSummary, runFiles } from '../../sidecar/runLayout/runFolder.ts';
import { writeStatus } from '../../sidecar/engine/store/runWriter.ts';
import { sampleToFile } from '../../sidecar/app/sample.ts';
import { tempDir, useBackend, withDefaults } from '../helpers.ts';

const toy = (over: Record<string, unknown> = {}) =>
  withDefaults({
    data: { kind: 'gaussians25', count: 200 },
    model: { hidden: 8, depth: 1, latentDim: 2 },
    training: { iterations: 4, batchSize: 16 },
    calibration: { sgldSteps: 1 },
    logging: { every: 2, checkpointEvery: 2, sampleEvery: 4, sampleCount: 4 },
    ...over,
  });

const mkfifo = (p: string): void => {
  execFileSync('mkfifo', [p]);
};

/** Every file under `dir` with its bytes, to show that nothing was touched. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (e.isFile()) out[join(e.parentPath, e.name)] = readFileSync(join(e.parentPath, e.name), 'base64');
  return out;
}

test('guarded reads: FIFOs, devices and folders refused at once, symlink loops named, sizes bounded', () => {
  const dir = tempDir();
  const g = { what: 'checkpoint', kind: 'checkpoint' as const, maxBytes: 1000 };
  mkfifo(join(dir, 'pipe.ckpt'));
  const t0 = performance.now();
  assert.throws(() => readGuarded(join(dir, 'pipe.ckpt'), g), /pipe\.ckpt: it is a FIFO \(named pipe\), not a regular file\./);
  assert.ok(performance.now() - t0 < 10000, 'a FIFO without a writer does not block (a blocking open would wait for ever)');
  assert.throws(() => readGuarded('/dev/zero', g), /\/dev\/zero: it is a device, not a regular file\./);
  assert.throws(() => readGuarded(dir, g), /it is a folder, not a regular file/);
  symlinkSync(join(dir, 'b'), join(dir, 'a'));
  symlinkSync(join(dir, 'a'), join(dir, 'b'));
  assert.throws(() => readGuarded(join(dir, 'a'), g), /symbolic link loop .*ELOOP/);
  symlinkSync(join(dir, 'gone'), join(dir, 'dangling'));
  assert.throws(() => readGuarded(join(dir, 'dangling'), g), /symbolic link to a missing file/);
  writeFileSync(join(dir, 'big'), Buffer.alloc(1001));
  assert.throws(() => readGuarded(join(dir, 'big'), g), /over the limit of .* for checkpoint files/);
  writeFileSync(join(dir, 'ok'), 'hello');
  assert.equal(readTextGuarded(join(dir, 'ok'), g), 'hello');
  // /proc files report size 0 but have content: the bound holds while reading.
  assert.throws(() => readGuarded('/proc/self/maps', { ...g, maxBytes: 10 }), /larger than the limit/);
  const e = (() => {
    try {
      readGuarded(join(dir, 'pipe.ckpt'), g);
    } catch (err) {
      return err;
    }
  })();
  assert.ok(e instanceof UserError && e.kind === 'checkpoint' && e.path === join(dir, 'pipe.ckpt'), 'a UserError with its kind and path');
});

test('every reader goes through the guard: checkpoints, configs, images, pointers', () => {
  const dir = tempDir();
  mkfifo(join(dir, 'x.ckpt'));
  mkfifo(join(dir, 'c.ecvae.json'));
  mkfifo(join(dir, 'i.png'));
  assert.throws(() => readCheckpoint(join(dir, 'x.ckpt')), /Cannot read checkpoint .*x\.ckpt: it is a FIFO/);
  const r = loadConfigFile(join(dir, 'c.ecvae.json'));
  assert.match(!r.ok ? r.diagnostics[0]!.message : '', /Cannot read config .*c\.ecvae\.json: it is a FIFO/);
  assert.throws(() => readImage(join(dir, 'i.png')), /Cannot read image .*i\.png: it is a FIFO/);
  // A `latest` pointer names a file beside it and nothing else.
  mkdirSync(join(dir, 'run', 'checkpoints'), { recursive: true });
  writeFileSync(join(dir, 'run', 'checkpoints', 'latest'), '../../x.ckpt\n');
  assert.throws(() => resolveCheckpoint(join(dir, 'run')), /latest should name a checkpoint file such as iter-000100\.ckpt/);
  symlinkSync(join(dir, 'loop'), join(dir, 'loop2'));
  symlinkSync(join(dir, 'loop2'), join(dir, 'loop'));
  assert.throws(() => resolveCheckpoint(join(dir, 'loop')), /symbolic link loop/);
});

test('train, fit-prior and compare refuse a folder that is not theirs, before any work and without writing', async () => {
  await useBackend('wasm');
  const root = tempDir();
  const user = join(root, 'mine');
  mkdirSync(join(user, 'checkpoints'), { recursive: true });
  writeFileSync(join(user, 'notes.txt'), 'my notes');
  writeFileSync(join(user, 'status.json'), 'not json of ours');
  writeFileSync(join(user, 'checkpoints', 'latest'), 'my file');
  const before = snapshot(user);
  await assert.rejects(train(toy(), { runDir: user }), /train: the output folder .*mine is not empty and is not an EC-VAE run folder/);
  await assert.rejects(train(toy(), { runDir: user, resume: true }), /is not an EC-VAE run folder/);
  await assert.rejects(
    compare(toy(), { outDir: user, n: 10, mcmcSteps: 0 }),
    /compare: the output folder .*mine is not empty and is not an EC-VAE comparison folder/,
  );
  assert.deepEqual(snapshot(user), before);
  // A real run, then a file of the user's added to it: refused too, naming the file.
  const run = join(root, 'run');
  const r = await train(toy(), { runDir: run });
  assert.equal(r.status, 'finished');
  assert.ok(existsSync(join(run, MARKER)));
  await assert.rejects(fitPrior(run, { outDir: user, iterations: 2, batchSize: 8, learningRate: 1e-3 }), /fit-prior: the output folder .*mine is not empty/);
  assert.deepEqual(snapshot(user), before);
  writeFileSync(join(run, 'checkpoints', 'my-copy.ckpt'), 'user bytes');
  await assert.rejects(
    train(toy({ training: { iterations: 6, batchSize: 16 } }), { runDir: run, resume: true }),
    /also holds files that are not part of one: checkpoints\/my-copy\.ckpt/,
  );
  assert.equal(readFileSync(join(run, 'checkpoints', 'my-copy.ckpt'), 'utf8'), 'user bytes');
  // A link inside a run would let config.json be written through it.
  const run2 = join(root, 'run2');
  await train(toy(), { runDir: run2 });
  writeFileSync(join(root, 'precious.json'), 'precious');
  symlinkSync(join(root, 'precious.json'), join(run2, 'fit-prior.json'));
  await assert.rejects(train(toy({ training: { iterations: 6, batchSize: 16 } }), { runDir: run2, resume: true }), /fit-prior\.json \(a symbolic link\)/);
  assert.equal(readFileSync(join(root, 'precious.json'), 'utf8'), 'precious');
  // A run in a shape the code does not expect: checkpoints/ is a file of the user's.
  const odd = join(root, 'odd');
  mkdirSync(odd);
  writeFileSync(join(odd, 'status.json'), JSON.stringify({ status: 'finished', iteration: 2, total: 2, pid: 1 }));
  writeFileSync(join(odd, 'checkpoints'), 'not a folder');
  await assert.rejects(train(toy(), { runDir: odd, resume: true }), /also holds files that are not part of one: checkpoints/);
  assert.equal(readFileSync(join(odd, 'checkpoints'), 'utf8'), 'not a folder');
  // A file where the folder should be.
  writeFileSync(join(root, 'afile'), 'x');
  assert.throws(() => claimOutputFolder(join(root, 'afile'), 'run', 'train'), /it is a regular file|not a folder/);
  // A folder that cannot be created is refused before the fit, not after it.
  const t0 = performance.now();
  await assert.rejects(
    fitPrior(run, { outDir: join(root, 'afile', 'sub'), iterations: 100000, batchSize: 8, learningRate: 1e-3 }),
    /Cannot create the output folder .*afile.*sub: .*afile is a regular file, not a folder/,
  );
  assert.ok(performance.now() - t0 < 5000, 'refused at once');
});

test('runs from before the marker are still resumed; a fresh marker-less folder with only a lock is not foreign', async () => {
  await useBackend('wasm');
  const run = join(tempDir(), 'old');
  await train(toy(), { runDir: run });
  execFileSync('rm', [join(run, MARKER)]);
  // What a file browser leaves in any folder it shows is not the user's data: the run still resumes.
  writeFileSync(join(run, '.DS_Store'), 'finder');
  writeFileSync(join(run, 'samples', 'Thumbs.db'), 'explorer');
  const r = await train(toy({ training: { iterations: 6, batchSize: 16 } }), { runDir: run, resume: true });
  assert.deepEqual([r.status, r.resumedFrom, r.iteration], ['finished', 4, 6]);
  assert.equal(readFileSync(join(run, '.DS_Store'), 'utf8'), 'finder');
});

test('checkpoints are ordered and pruned by iteration number, past six digits', async () => {
  await useBackend('wasm');
  const run = join(tempDir(), 'long');
  // keep 2; iterations 999998..1000002 cross from 6 to 7 digits.
  const cfg = toy({
    training: { iterations: 4, batchSize: 16 },
    logging: { every: 1, checkpointEvery: 1, sampleEvery: 1000, sampleCount: 4, keepCheckpoints: 2 },
  });
  await train(cfg, { runDir: run });
  // Rename the run's checkpoints as if it had reached iteration 999998.., then continue it past 1000000.
  const dir = runFiles(run).checkpoints;
  const names = ['iter-000003.ckpt', 'iter-000004.ckpt'];
  assert.deepEqual(
    readdirSync(dir)
      .filter((f) => f.endsWith('.ckpt'))
      .sort(),
    names,
  );
  const fake = ['iter-999999.ckpt', 'iter-1000000.ckpt'];
  for (const [i, n] of names.entries()) writeFileSync(join(dir, fake[i]!), readFileSync(join(dir, n)));
  assert.deepEqual(
    listCheckpoints(run).map((p) => p.slice(dir.length + 1)),
    ['iter-000003.ckpt', 'iter-000004.ckpt', 'iter-999999.ckpt', 'iter-1000000.ckpt'],
  );
  // Continue the run: each new checkpoint keeps the newest, whatever its digits.
  await train({ ...cfg, training: { ...cfg.training, iterations: 6 } }, { runDir: run, resume: true });
  const left = readdirSync(dir).filter((f) => f.endsWith('.ckpt'));
  assert.ok(left.includes('iter-000006.ckpt'), `the newest checkpoint is kept (${left.join(', ')})`);
  assert.equal(resolveCheckpoint(run), join(dir, 'iter-000006.ckpt'));
});

test('temporary files of a killed write are removed when the run is taken up again', async () => {
  await useBackend('wasm');
  const run = join(tempDir(), 'tmp');
  await train(toy(), { runDir: run });
  const stale = [
    join(run, 'checkpoints', '.iter-000006.ckpt.tmp-999999'),
    join(run, '.status.json.tmp-999999'),
    join(run, 'samples', '.iter-000006.png.tmp-42'),
  ];
  for (const f of stale) writeFileSync(f, 'half');
  const logs: string[] = [];
  await train(toy({ training: { iterations: 6, batchSize: 16 } }), { runDir: run, resume: true, events: { onLog: (m) => logs.push(m) } });
  for (const f of stale) assert.ok(!existsSync(f), `${f} removed`);
  assert.match(logs.join('\n'), /removed .*\.iter-000006\.ckpt\.tmp-999999, a temporary file left by an interrupted write/);
});

test('resuming with a config for other data of the same shape is refused', async () => {
  await useBackend('wasm');
  const run = join(tempDir(), 'data');
  await train(toy(), { runDir: run });
  const other = toy({ data: { kind: 'gaussians25', count: 200, scale: 0.3 }, training: { iterations: 6, batchSize: 16 } });
  await assert.rejects(
    train(other, { runDir: run, resume: true }),
    /was trained on other data than the config's .*Resume with the config the run was trained with/,
  );
});

test('an output equal to an input or to another output is refused before work', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'a.png'), 'x');
  assert.throws(
    () => requireDistinctPaths({ output: join(dir, 'a.png') }, { image: join(dir, 'a.png') }),
    /output path .*a\.png is the same file as the image/,
  );
  assert.throws(
    () => requireDistinctPaths({ output: join(dir, 'o.png'), 'comparison strip': join(dir, '.', 'o.png') }, {}),
    /comparison strip path .* is the same file as the output/,
  );
  symlinkSync(join(dir, 'a.png'), join(dir, 'link.png'));
  assert.throws(() => requireDistinctPaths({ output: join(dir, 'link.png') }, { reference: join(dir, 'a.png') }), /same file as the reference/);
  await assert.rejects(sampleToFile({ checkpoint: join(dir, 'a.png'), out: join(dir, 'a.png') }), /same file as the checkpoint/);
  await assert.rejects(sampleToFile({ checkpoint: join(dir, 'a.png'), out: join(dir, 'nope', 'x.png') }), /its folder .*nope: file not found/);
  await assert.rejects(sampleToFile({ checkpoint: join(dir, 'a.png'), previews: true, latents: [[0, Infinity]] }), /non-finite value at position 1/);
});

test('locks survive pid reuse: a lock with a live pid but another start time or boot is stale', () => {
  const me = selfIdentity();
  assert.ok(me.startTime && processStartTime(process.pid) === me.startTime, 'this process has a start time from /proc');
  assert.equal(liveness(me), 'alive');
  assert.equal(liveness({ ...me, startTime: String(Number(me.startTime) + 1) }), 'dead', 'same pid, newer process: reused');
  assert.equal(liveness({ ...me, bootId: 'another-boot' }), 'dead');
  for (const pid of [0, -1, 1.5, 2 ** 40, NaN]) assert.equal(liveness({ pid, host: hostname() }), 'dead', `pid ${pid} is nonsense`);
  assert.equal(liveness({ pid: process.pid, host: 'elsewhere' }), 'unknown');
  const dir = tempDir();
  const lock = join(dir, 'run.lock');
  writeFileSync(lock, JSON.stringify({ ...me, startTime: '1', startedAt: 'then' }));
  const notes: string[] = [];
  const release = acquireLock(lock, (m) => notes.push(m));
  assert.match(notes.join(), new RegExp(`left by process ${process.pid} \\(started then\\), which is no longer running`));
  release();
  // A lock left empty (its writer killed between creating and writing it) is recovered once old, refused while fresh.
  writeFileSync(lock, '');
  assert.throws(() => acquireLock(lock, () => {}), /unreadable lock file/);
  const old = new Date(Date.now() - 60_000);
  utimesSync(lock, old, old);
  const torn: string[] = [];
  acquireLock(lock, (m) => torn.push(m))();
  assert.match(torn.join(), /has been unreadable for over 10 s/);
  // A status file with a nonsense pid is not "running" for ever.
  const run = join(dir, 'r');
  mkdirSync(run);
  writeStatus(run, { status: 'running', iteration: 1, total: 2 });
  const s = JSON.parse(readFileSync(runFiles(run).status, 'utf8')) as object;
  for (const pid of [0, -1, 99999999]) {
    writeFileSync(runFiles(run).status, JSON.stringify({ ...s, pid }));
    assert.equal(readRunSummary(run).status, 'interrupted', `pid ${pid}`);
  }
});

test('stale-lock takeover is atomic between two recoverers', () => {
  const dir = tempDir();
  const lock = join(dir, 'run.lock');
  const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
  writeFileSync(lock, JSON.stringify({ pid: dead, host: hostname(), startedAt: 'stale', startTime: '1' }));
  // The second recoverer judges the same stale lock, but the first takes it over in between.
  let second: (() => void) | undefined;
  let inner = false;
  lockHooks.beforeTakeover = () => {
    if (inner) return;
    inner = true;
    second = acquireLock(lock, () => {});
  };
  try {
    assert.throws(() => acquireLock(lock, () => {}), /is being written by process \d+/);
  } finally {
    lockHooks.beforeTakeover = () => {};
  }
  assert.ok(second, 'the faster recoverer holds the lock');
  const held = JSON.parse(readFileSync(lock, 'utf8')) as { pid: number };
  assert.equal(held.pid, process.pid);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f !== 'run.lock'),
    [],
    'no takeover leftovers',
  );
  second!();
  assert.ok(!existsSync(lock));
});
