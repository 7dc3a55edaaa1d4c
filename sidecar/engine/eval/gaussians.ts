/**
 * Sample quality on the 25-Gaussians grid (the standard mode-collapse benchmark):
 *  - hqRatio: share of samples within 3 std of their nearest mode;
 *  - modes: modes that received at least 20% of a uniform share of the high-quality samples;
 *  - reverseKL: KL(q || uniform) of the high-quality samples' mode histogram q (0 = perfectly balanced).
 */
import { gaussianModes, gaussianStd } from '../data/gaussians.ts';

export interface GaussianMetrics {
  hqRatio: number;
  modes: number;
  reverseKL: number;
  perMode: number[];
}

export function gaussianMetrics(points: Float32Array, scale: number): GaussianMetrics {
  const modes = gaussianModes(scale);
  const radius = 3 * gaussianStd(scale);
  const perMode = new Array<number>(modes.length).fill(0);
  const n = points.length / 2;
  let hq = 0;
  for (let i = 0; i < n; i++) {
    let best = Infinity,
      arg = 0;
    modes.forEach(([mx, my], k) => {
      const d = (points[2 * i]! - mx) ** 2 + (points[2 * i + 1]! - my) ** 2;
      if (d < best) {
        best = d;
        arg = k;
      }
    });
    if (Math.sqrt(best) <= radius) {
      hq++;
      perMode[arg]!++;
    }
  }
  const share = hq / modes.length;
  const covered = perMode.filter((c) => hq > 0 && c >= 0.2 * share).length;
  let reverseKL = 0;
  for (const c of perMode) {
    const q = (c + 1e-6) / (hq + 1e-6 * modes.length);
    reverseKL += q * Math.log(q * modes.length);
  }
  return { hqRatio: hq / n, modes: covered, reverseKL: hq ? reverseKL : Math.log(modes.length), perMode };
}
