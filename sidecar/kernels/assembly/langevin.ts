// One step of the SGLD chains (sidecar/engine/algorithm/sgld.ts) after the energy's gradient g is
// known, in one pass per row instead of TF.js's ~60 kernels (the proximity term's
// forward and gradient, the Langevin update, the noise, the drift):
//   d      = Σ (clip(x) - cs)²                        cs = clip(s), the chain's source, clipped
//   grad   = g + w · [d > t] · 2(clip(x) - cs) · [-1 <= x <= 1]
//   drift' = drift + dr,  x' = (x + dr) + noise        dr = -(η/2) · grad
// the gradient of E(x) + w · (relu(d - t) + t), as TF.js differentiates it (relu'(0) = 0,
// clip's gradient 1 at both ends; ops/elementwise.ts), and the noise of noise.ts.
import { normalRows } from './noise';

@inline function clamp(v: v128): v128 {
  return f32x4.min(f32x4.max(v, f32x4.splat(-1)), f32x4.splat(1));
}

/**
 * The step for `rows` rows of `size` floats (a multiple of 4): x, g, cs, drift in; x' and
 * drift' out (x' may not alias x). w = 0: no proximity term (cs unread). std = 0: no noise.
 * seeds: a u32 per row (noise.ts). scratch: 64 bytes.
 */
export function langevinStep(x: usize, g: usize, cs: usize, drift: usize, rows: i32, size: i32, w: f32, t: f32, halfEta: f32, std: f32, seeds: usize, outX: usize, outDrift: usize, scratch: usize): void {
  const bytes = <usize>size * 4;
  const step = f32x4.splat(-halfEta);
  for (let r = 0; r < rows; r++) {
    const o = <usize>r * bytes;
    let scale: f32 = 0;
    if (w != 0) {
      let acc = f32x4.splat(0);
      for (let i: usize = 0; i < bytes; i += 16) {
        const diff = f32x4.sub(clamp(v128.load(x + o + i)), v128.load(cs + o + i));
        acc = f32x4.add(acc, f32x4.mul(diff, diff));
      }
      const d = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
      scale = d > t ? 2 * w : 0;
    }
    if (std != 0) normalRows(outX + o, 1, size, seeds + <usize>r * 4, std, scratch);
    const sv = f32x4.splat(scale);
    for (let i: usize = 0; i < bytes; i += 16) {
      const xv = v128.load(x + o + i);
      let grad = v128.load(g + o + i);
      if (scale != 0) {
        const cx = clamp(xv);
        const inside = f32x4.eq(cx, xv); // -1 <= x <= 1
        grad = f32x4.add(grad, v128.and(f32x4.mul(sv, f32x4.sub(cx, v128.load(cs + o + i))), inside));
      }
      const dr = f32x4.mul(grad, step);
      const moved = f32x4.add(xv, dr);
      v128.store(outX + o + i, std != 0 ? f32x4.add(moved, v128.load(outX + o + i)) : moved);
      v128.store(outDrift + o + i, f32x4.add(v128.load(drift + o + i), dr));
    }
  }
}
