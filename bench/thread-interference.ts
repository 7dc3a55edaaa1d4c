/**
 * How much two busy cores slow each other down on this machine, for the question of
 * why the VAE gradient pass's two halves take longer together than one alone
 * (docs/performance.md, "Why it stops here"). Each workload runs in one process alone,
 * then in two processes at once (separate processes: no pool, no shared heap, no
 * messages), and the bench prints each process's median milliseconds per repetition:
 *   - gemm: our Winograd convolution with its filter transform cached, [16,32,32,32] -> 32
 *     (the reference model's widest 3x3 layer at half batch; FMA-bound GEMMs);
 *   - stream: adding two 16 MB tensors (bound by memory bandwidth);
 *   - iteration: the reference training iteration on one thread at batch 16
 *     (bench/train-iteration.ts --threads 1 --batch 16).
 * Prints one JSON line.
 *   npm run bench:interference -- [--reps 40]
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { selectBackend } from '../sidecar/engine/core/backend.ts';
import { winogradAvailable, winogradConv2d, winogradFilter } from '../sidecar/engine/ops/winograd.ts';
import * as tf from '../sidecar/engine/core/tf.ts';
import { median, medianMs } from './medianMs.ts';

console.log = console.error; // keep stdout for the JSON result

const { values } = parseArgs({ options: { child: { type: 'string' }, reps: { type: 'string', default: '40' } } });
const reps = Number(values.reps);
const here = fileURLToPath(import.meta.url);
const trainBench = fileURLToPath(new URL('./train-iteration.ts', import.meta.url));

const timed = (f: () => tf.Tensor): number => medianMs(f, reps, 5);

async function child(workload: string): Promise<number> {
  await selectBackend('wasm');
  if (workload === 'gemm') {
    if (!winogradAvailable()) throw new Error('our WASM kernels did not load');
    const x = tf.randomUniform([16, 32, 32, 32], -1, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomUniform([3, 3, 32, 32], -0.1, 0.1, 'float32', 2) as tf.Tensor4D;
    const u = winogradFilter(w, false);
    return timed(() => winogradConv2d(x, u, null, [1, 1, 1, 1], 32));
  }
  const a = tf.randomUniform([16, 64, 64, 64], -1, 1, 'float32', 1);
  const b = tf.randomUniform([16, 64, 64, 64], -1, 1, 'float32', 2);
  return timed(() => tf.add(a, b));
}

/** Runs `count` copies of a command at once; each prints a JSON line last. */
function together(count: number, args: string[], pick: (j: Record<string, unknown>) => number): Promise<number[]> {
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<number>((resolve, reject) => {
          const p = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          p.stdout.on('data', (d: Buffer) => (out += d.toString()));
          p.on('error', reject);
          p.on('close', (code) => {
            if (code !== 0) return reject(new Error(`${args.join(' ')} exited with ${code}`));
            resolve(pick(JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>));
          });
        }),
    ),
  );
}

if (values.child) {
  process.stdout.write(JSON.stringify({ ms: await child(values.child) }) + '\n');
} else {
  const result: Record<string, { alone: number; together: number[]; slowdown: number }> = {};
  const cases: [string, string[], (j: Record<string, unknown>) => number][] = [
    ['gemm', [here, '--child', 'gemm', '--reps', String(reps)], (j) => j.ms as number],
    ['stream', [here, '--child', 'stream', '--reps', String(reps)], (j) => j.ms as number],
    ['iteration', [trainBench, '--threads', '1', '--batch', '16', '--iters', '5', '--no-torch', '--json'], (j) => 1000 * (j.sec_per_iter as number)],
  ];
  for (const [name, args, pick] of cases) {
    const [alone] = await together(1, args, pick);
    const both = await together(2, args, pick);
    result[name] = { alone: alone!, together: both, slowdown: median(both) / alone! };
    console.error(`${name}: alone ${alone!.toFixed(2)} ms, two at once ${both.map((t) => t.toFixed(2)).join(' / ')} ms`);
  }
  process.stdout.write(JSON.stringify({ cpus: (await import('node:os')).cpus().length, ...result }) + '\n');
}
