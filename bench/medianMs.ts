import * as tf from '../sidecar/engine/core/tf.ts';

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Median milliseconds of `f` over `reps` runs, each read back (dataSync) and disposed,
 * after `warmup` runs, which also let V8 tier up the kernels.
 */
export function medianMs(f: () => tf.Tensor, reps: number, warmup = 3): number {
  for (let i = 0; i < warmup; i++) f().dispose();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const out = f();
    out.dataSync();
    out.dispose();
    times.push(performance.now() - t0);
  }
  return median(times);
}
