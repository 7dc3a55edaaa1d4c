// The energy model's head (sidecar/engine/models/conv.ts), forward and its gradient with
// respect to the features, for the SGLD chains (sidecar/engine/ops/energyHead.ts): per row b of the last feature map h
// [B, P pixels, C],
//   pooled = mean_p lrelu(h[b,p,:])   z = pooled·W1 + b1 [H]   e[b] = (lrelu(z)·w2 + b2)·invTau
// and back, from de [B]:
//   g = de[b]·invTau·w2 ⊙ lrelu'(z)   dpooled = W1·g   dh[b,p,c] = lrelu'(h[b,p,c])·dpooled[c] / P
// C and H multiples of 4; W1 [C, H], b1 [H], w2 [H] and b2 [1] are addresses of float32 data. One call each way instead of
// TF.js's ~25 small kernels per SGLD step.
import { slope } from './transforms';

@inline function act(v: v128, av: v128): v128 {
  return f32x4.max(v, f32x4.mul(v, av));
}

@inline function sum4(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** e [B] and z [B, H] (kept for headBackward) from h [B, P, C]. scratch: 4·C bytes. */
export function headForward(h: usize, B: i32, P: i32, C: i32, w1: usize, b1: usize, H: i32, w2: usize, b2: usize, alpha: f32, invTau: f32, e: usize, z: usize, scratch: usize): void {
  const av = f32x4.splat(alpha), cs = <usize>C * 4, hs = <usize>H * 4, inv = f32x4.splat(<f32>1 / <f32>P);
  for (let b = 0; b < B; b++) {
    const row = h + <usize>b * <usize>P * cs, zb = z + <usize>b * hs;
    for (let c: usize = 0; c < cs; c += 16) {
      let acc = f32x4.splat(0);
      for (let p = 0; p < P; p++) acc = f32x4.add(acc, act(v128.load(row + <usize>p * cs + c), av));
      v128.store(scratch + c, f32x4.mul(acc, inv));
    }
    for (let j: usize = 0; j < hs; j += 16) v128.store(zb + j, v128.load(b1 + j));
    for (let c = 0; c < C; c++) {
      const pc = f32x4.splat(load<f32>(scratch + <usize>c * 4)), wr = w1 + <usize>c * hs;
      for (let j: usize = 0; j < hs; j += 16) v128.store(zb + j, f32x4.add(v128.load(zb + j), f32x4.mul(pc, v128.load(wr + j))));
    }
    let acc = f32x4.splat(0);
    for (let j: usize = 0; j < hs; j += 16) acc = f32x4.add(acc, f32x4.mul(act(v128.load(zb + j), av), v128.load(w2 + j)));
    store<f32>(e + <usize>b * 4, (sum4(acc) + load<f32>(b2)) * invTau);
  }
}

/** dh [B, P, C] from de [B], h and z of headForward. scratch: 4·(C + H) bytes. */
export function headBackward(h: usize, z: usize, de: usize, B: i32, P: i32, C: i32, w1: usize, H: i32, w2: usize, alpha: f32, invTau: f32, dh: usize, scratch: usize): void {
  const av = f32x4.splat(alpha), cs = <usize>C * 4, hs = <usize>H * 4;
  const g = scratch, dp = scratch + hs;
  for (let b = 0; b < B; b++) {
    const zb = z + <usize>b * hs;
    const k = f32x4.splat(load<f32>(de + <usize>b * 4) * invTau);
    for (let j: usize = 0; j < hs; j += 16) v128.store(g + j, slope(f32x4.mul(k, v128.load(w2 + j)), 1, zb + j, av));
    const perPixel = <f32>1 / <f32>P;
    for (let c = 0; c < C; c++) {
      const wr = w1 + <usize>c * hs;
      let acc = f32x4.splat(0);
      for (let j: usize = 0; j < hs; j += 16) acc = f32x4.add(acc, f32x4.mul(v128.load(wr + j), v128.load(g + j)));
      store<f32>(dp + <usize>c * 4, sum4(acc) * perPixel);
    }
    const row = h + <usize>b * <usize>P * cs, out = dh + <usize>b * <usize>P * cs;
    for (let p = 0; p < P; p++) {
      for (let c: usize = 0; c < cs; c += 16) {
        const at = <usize>p * cs + c;
        v128.store(out + at, slope(v128.load(dp + c), 1, row + at, av));
      }
    }
  }
}
