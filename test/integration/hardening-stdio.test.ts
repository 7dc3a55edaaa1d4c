/**
 * A client that goes away: when the reader of the CLI's or the sidecar's output closes
 * its end of the pipe, the next write fails (EPIPE). That is handled like a stop signal:
 * the run ends after its iteration with a checkpoint and status "stopped", and its lock
 * is released. Tested by closing the reader's pipes of a training process (dist/).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, tempDir } from '../helpers.ts';

const config = {
  name: 'toy',
  data: { kind: 'gaussians25', count: 200 },
  model: { hidden: 8, depth: 1, latentDim: 2 },
  training: { iterations: 1000000, batchSize: 16 },
  calibration: { sgldSteps: 1 },
  logging: { every: 1, checkpointEvery: 100000, sampleEvery: 100000, sampleCount: 4 },
};

function exited(child: ChildProcess, ms: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the process did not end within ${ms} ms after its reader went away`));
    }, ms);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

/** Resolves once `stream` has carried text matching `re`. */
function seen(stream: NodeJS.ReadableStream, re: RegExp): Promise<void> {
  return new Promise((resolve) => {
    let text = '';
    const on = (b: Buffer): void => {
      text += b.toString();
      if (re.test(text)) {
        stream.off('data', on);
        resolve();
      }
    };
    stream.on('data', on);
  });
}

function assertStoppedCleanly(runDir: string): void {
  const status = JSON.parse(readFileSync(join(runDir, 'status.json'), 'utf8')) as { status: string; iteration: number };
  assert.equal(status.status, 'stopped');
  assert.ok(!existsSync(join(runDir, 'run.lock')), 'the lock is released');
  const latest = readFileSync(join(runDir, 'checkpoints', 'latest'), 'utf8').trim();
  assert.equal(latest, `iter-${String(status.iteration).padStart(6, '0')}.ckpt`, 'the final checkpoint is of the last iteration');
  assert.ok(existsSync(join(runDir, 'checkpoints', latest)));
}

test('ecvae train whose stdout and stderr readers go away stops with a checkpoint, status "stopped" and no lock', async () => {
  const dir = tempDir();
  const cfg = join(dir, 'toy.ecvae.json');
  writeFileSync(cfg, JSON.stringify(config));
  const runDir = join(dir, 'run');
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'ecvae.js'), 'train', cfg, '--out', runDir, '--backend', 'cpu'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await seen(child.stderr!, /iter 3\//);
  child.stdout!.destroy();
  child.stderr!.destroy();
  const code = await exited(child, 60_000);
  assert.equal(code, 130, 'stopped, as by Ctrl-C');
  assertStoppedCleanly(runDir);
});

test('the sidecar whose client stops reading stdout stops its run with a checkpoint and exits', async () => {
  const dir = tempDir();
  const cfg = join(dir, 'toy.ecvae.json');
  writeFileSync(cfg, JSON.stringify(config));
  const runDir = join(dir, 'run');
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'sidecar.js')], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr!.resume();
  const progress = seen(child.stdout!, /"train\/progress".*"iteration":3\b/);
  child.stdin!.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'train/start', params: { configPath: cfg, runDir } }) + '\n');
  await progress;
  child.stdout!.destroy(); // the client stops reading; stdin stays open
  const code = await exited(child, 60_000);
  assert.equal(code, 0);
  assertStoppedCleanly(runDir);
});

test('a write the system refuses (EFBIG under a file-size limit) exits 2 with the file named, not a raw errno', async () => {
  const dir = tempDir();
  const cfg = join(dir, 'toy.ecvae.json');
  writeFileSync(
    cfg,
    JSON.stringify({ ...config, training: { iterations: 2, batchSize: 16 }, logging: { every: 1, checkpointEvery: 2, sampleEvery: 2, sampleCount: 4 } }),
  );
  const ecvae = join(repoRoot, 'bin', 'ecvae.js');
  const trained = spawnSync(process.execPath, [ecvae, 'train', cfg, '--out', join(dir, 'run'), '--backend', 'cpu'], { encoding: 'utf8' });
  assert.equal(trained.status, 0, trained.stderr);
  // SIGXFSZ ignored (as a service manager may set it), so the write fails with EFBIG instead of killing the process.
  const r = spawnSync(
    'bash',
    ['-c', `trap '' XFSZ; ulimit -f 4; exec "${process.execPath}" "${ecvae}" sample run --out grid.png --n 2000 --backend cpu --json`],
    {
      cwd: dir,
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 2, r.stderr);
  const line = JSON.parse(r.stdout.trim().split('\n').pop()!) as { error: string; kind: string; path: string };
  assert.match(line.error, /^Could not write grid\.png: the file is larger than this file system or process allows \(EFBIG\)\. Nothing was overwritten/);
  assert.deepEqual([line.kind, line.path], ['output', 'grid.png']);
  assert.ok(!existsSync(join(dir, 'grid.png')));
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.includes('.tmp-')),
    [],
    'no temp file left',
  );
});

test('the CLI names a FIFO or a symbolic-link loop given as a config, at once, with exit 2', () => {
  const dir = tempDir();
  spawnSync('mkfifo', [join(dir, 'pipe.json')]);
  symlinkSync(join(dir, 'b.json'), join(dir, 'a.json'));
  symlinkSync(join(dir, 'a.json'), join(dir, 'b.json'));
  const ecvae = join(repoRoot, 'bin', 'ecvae.js');
  for (const [file, message] of [
    ['pipe.json', /The config file .*pipe\.json is a FIFO \(named pipe\), not a file\./],
    ['a.json', /Cannot read the config file .*a\.json: it is a symbolic link loop/],
  ] as const) {
    const r = spawnSync(process.execPath, [ecvae, 'train', join(dir, file), '--json'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(String(JSON.parse(r.stdout.trim().split('\n').pop()!).error), message);
  }
});
