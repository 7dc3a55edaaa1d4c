/** The synthetic 2-D "25 Gaussians": a 5x5 grid of modes at {-2..2}·scale, std 0.05·scale. */
import { deriveSeed, normalStream, Stream, uniformStream } from '../core/rng.ts';
import type { Dataset } from './dataset.ts';

export function gaussianModes(scale: number): [number, number][] {
  const modes: [number, number][] = [];
  for (let i = -2; i <= 2; i++) for (let j = -2; j <= 2; j++) modes.push([i * scale, j * scale]);
  return modes;
}

export const gaussianStd = (scale: number): number => 0.05 * scale;

export function gaussians25(count: number, scale: number, seed: number): Dataset {
  const modes = gaussianModes(scale);
  const u = uniformStream(deriveSeed(seed, Stream.data, 25));
  const g = normalStream(deriveSeed(seed, Stream.data, 26));
  const x = new Float32Array(count * 2);
  const labels = new Uint8Array(count);
  const std = gaussianStd(scale);
  for (let i = 0; i < count; i++) {
    const m = Math.floor(u() * 25);
    labels[i] = m;
    x[2 * i] = modes[m]![0] + std * g();
    x[2 * i + 1] = modes[m]![1] + std * g();
  }
  return { name: `gaussians25 (${count} points, scale ${scale})`, shape: [2], size: count, x, labels, warnings: [] };
}
