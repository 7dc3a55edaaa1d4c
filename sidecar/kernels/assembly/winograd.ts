// Winograd F(4x4, 3x3) transforms for stride-1 3x3 convolutions (NHWC, float32), for the
// TF.js WASM backend. Compiled with AssemblyScript into a module that imports the
// backend's own memory, so tensors are read and written in place. It must own no
// memory: no data segments, no allocation; all addresses come from the caller.
//
//   U[a*6+b][i, o] = (G · g · G^T)[a][b]     g: the 3x3 filter taps of input i, output o
//   V[a*6+b][t, c] = (Bt · d · Bt^T)[a][b]   d: the 6x6 input patch of tile t, channel c
//   y[tile]        = At · M · At^T           M[a][b] = V[a*6+b] · U[a*6+b]   (a GEMM, done by the caller)
// Channels go 4 at a time in SIMD lanes, so C must be a multiple of 4.

// Bt (6x6) applied to a line of 6 vectors read at src + k*ss, written to dst + k*ds:
//   4d0 - 5d2 + d4 | -4d1 - 4d2 + d3 + d4 | 4d1 - 4d2 - d3 + d4 | -2d1 - d2 + 2d3 + d4 | 2d1 - d2 - 2d3 + d4 | 4d1 - 5d3 + d5
@inline function bt6(src: usize, ss: usize, dst: usize, ds: usize): void {
  const d0 = v128.load(src), d1 = v128.load(src + ss), d2 = v128.load(src + 2 * ss);
  const d3 = v128.load(src + 3 * ss), d4 = v128.load(src + 4 * ss), d5 = v128.load(src + 5 * ss);
  const four = f32x4.splat(4), five = f32x4.splat(5), two = f32x4.splat(2);
  const a = f32x4.sub(d4, f32x4.mul(four, d2));
  const b = f32x4.sub(d3, f32x4.mul(four, d1));
  const c = f32x4.sub(d4, d2);
  const e = f32x4.mul(two, f32x4.sub(d3, d1));
  v128.store(dst, f32x4.add(f32x4.sub(f32x4.mul(four, d0), f32x4.mul(five, d2)), d4));
  v128.store(dst + ds, f32x4.add(a, b));
  v128.store(dst + 2 * ds, f32x4.sub(a, b));
  v128.store(dst + 3 * ds, f32x4.add(c, e));
  v128.store(dst + 4 * ds, f32x4.sub(c, e));
  v128.store(dst + 5 * ds, f32x4.add(f32x4.sub(f32x4.mul(four, d1), f32x4.mul(five, d3)), d5));
}

// At (4x6) on a line of 6 vectors: m0+m1+m2+m3+m4 | m1-m2+2(m3-m4) | m1+m2+4(m3+m4) | m1-m2+8(m3-m4)+m5
@inline function at6(src: usize, ss: usize, dst: usize, ds: usize): void {
  const m0 = v128.load(src), m1 = v128.load(src + ss), m2 = v128.load(src + 2 * ss);
  const m3 = v128.load(src + 3 * ss), m4 = v128.load(src + 4 * ss), m5 = v128.load(src + 5 * ss);
  const sa = f32x4.add(m1, m2), da = f32x4.sub(m1, m2), sb = f32x4.add(m3, m4), db = f32x4.sub(m3, m4);
  v128.store(dst, f32x4.add(f32x4.add(m0, sa), sb));
  v128.store(dst + ds, f32x4.add(da, f32x4.mul(f32x4.splat(2), db)));
  v128.store(dst + 2 * ds, f32x4.add(sa, f32x4.mul(f32x4.splat(4), sb)));
  v128.store(dst + 3 * ds, f32x4.add(f32x4.add(da, f32x4.mul(f32x4.splat(8), db)), m5));
}

/**
 * x: [B,H,W,C] at `x`; tiles cover the output [B,Ho,Wo] in 4x4 blocks, tile (i, j) reading
 * input rows 4i-pt .. 4i-pt+5 and columns 4j-pl .. 4j-pl+5 (zeros outside the image).
 * vPtrs: 36 u32 addresses of V[0..35], each [tiles, C]. scratch: 3·36·16 bytes.
 */
export function inputTransform(x: usize, B: i32, H: i32, W: i32, C: i32, pt: i32, pl: i32, th: i32, tw: i32, vPtrs: usize, scratch: usize): void {
  const patch = scratch, mid = scratch + 36 * 16, out = scratch + 72 * 16;
  const cs = <usize>C * 4, rs = <usize>W * cs;
  let t = 0;
  for (let b = 0; b < B; b++) {
    for (let ti = 0; ti < th; ti++) {
      const r0 = ti * 4 - pt;
      let rowMask = 0;
      for (let r = 0; r < 6; r++) if (r0 + r >= 0 && r0 + r < H) rowMask |= 1 << r;
      for (let tj = 0; tj < tw; tj++, t++) {
        const c0 = tj * 4 - pl;
        let colMask = 0;
        for (let c = 0; c < 6; c++) if (c0 + c >= 0 && c0 + c < W) colMask |= 1 << c;
        const inside = rowMask == 63 && colMask == 63;
        const origin = x + (<usize>b * H * W) * cs + <isize>r0 * rs + <isize>c0 * cs;
        const vOff = <usize>t * cs;
        for (let ch: usize = 0; ch < cs; ch += 16) {
          let src = origin + ch, ss = rs, cstep = cs;
          if (!inside) {
            for (let r = 0; r < 6; r++) {
              for (let c = 0; c < 6; c++) {
                const ok = (rowMask >> r) & (colMask >> c) & 1;
                v128.store(patch + (r * 6 + c) * 16, ok ? v128.load(origin + ch + <isize>r * rs + <isize>c * cs) : f32x4.splat(0));
              }
            }
            src = patch; ss = 6 * 16; cstep = 16;
          }
          // columns: mid[a][j] = sum_i Bt[a][i] d[i][j]
          for (let j = 0; j < 6; j++) bt6(src + <usize>j * cstep, ss, mid + j * 16, 6 * 16);
          // rows: out[a][b] = sum_j mid[a][j] Bt[b][j], then scattered to V[a*6+b]
          for (let a = 0; a < 6; a++) bt6(mid + a * 6 * 16, 16, out + a * 6 * 16, 16);
          for (let k = 0; k < 36; k++) v128.store(<usize>load<u32>(vPtrs + k * 4) + vOff + ch, v128.load(out + k * 16));
        }
      }
    }
  }
}

/**
 * mPtrs: 36 u32 addresses of M[0..35], each [tiles, C]; bias: C floats or 0 for none;
 * y: [B,Ho,Wo,C]. Writes the 4x4 block of each tile, clipped to the output.
 */
export function outputTransform(mPtrs: usize, bias: usize, y: usize, B: i32, Ho: i32, Wo: i32, C: i32, th: i32, tw: i32, scratch: usize): void {
  const gathered = scratch, mid = scratch + 36 * 16, out = scratch + 60 * 16;
  const cs = <usize>C * 4, rs = <usize>Wo * cs;
  let t = 0;
  for (let b = 0; b < B; b++) {
    for (let ti = 0; ti < th; ti++) {
      const rows = min(4, Ho - ti * 4);
      for (let tj = 0; tj < tw; tj++, t++) {
        const cols = min(4, Wo - tj * 4);
        const mOff = <usize>t * cs;
        const origin = y + (<usize>b * Ho * Wo) * cs + <usize>(ti * 4) * rs + <usize>(tj * 4) * cs;
        for (let ch: usize = 0; ch < cs; ch += 16) {
          for (let k = 0; k < 36; k++) v128.store(gathered + k * 16, v128.load(<usize>load<u32>(mPtrs + k * 4) + mOff + ch));
          // columns: mid[r][b] = sum_a At[r][a] M[a][b]
          for (let j = 0; j < 6; j++) at6(gathered + j * 16, 6 * 16, mid + j * 16, 6 * 16);
          // rows: out[r][s] = sum_b mid[r][b] At[s][b]
          for (let r = 0; r < 4; r++) at6(mid + r * 6 * 16, 16, out + r * 4 * 16, 16);
          const bv = bias ? v128.load(bias + ch) : f32x4.splat(0);
          for (let r = 0; r < rows; r++) {
            for (let s = 0; s < cols; s++) {
              v128.store(origin + <usize>r * rs + <usize>s * cs + ch, f32x4.add(v128.load(out + (r * 4 + s) * 16), bv));
            }
          }
        }
      }
    }
  }
}

// G (6x3) on 3 vectors read at src + k*ss, written to dst + k*ds:
//   g0/4 | -(g0+g1+g2)/6 | -(g0-g1+g2)/6 | g0/24 + g1/12 + g2/6 | g0/24 - g1/12 + g2/6 | g2
@inline function g3(src: usize, ss: usize, dst: usize, ds: usize): void {
  const g0 = v128.load(src), g1 = v128.load(src + ss), g2 = v128.load(src + 2 * ss);
  const sixth = f32x4.splat(<f32>(1.0 / 6)), twelfth = f32x4.splat(<f32>(1.0 / 12)), tw4th = f32x4.splat(<f32>(1.0 / 24));
  const outer = f32x4.add(g0, g2);
  const even = f32x4.add(f32x4.mul(tw4th, g0), f32x4.mul(sixth, g2)), odd = f32x4.mul(twelfth, g1);
  v128.store(dst, f32x4.mul(f32x4.splat(0.25), g0));
  v128.store(dst + ds, f32x4.neg(f32x4.mul(sixth, f32x4.add(outer, g1))));
  v128.store(dst + 2 * ds, f32x4.neg(f32x4.mul(sixth, f32x4.sub(outer, g1))));
  v128.store(dst + 3 * ds, f32x4.add(even, odd));
  v128.store(dst + 4 * ds, f32x4.sub(even, odd));
  v128.store(dst + 5 * ds, g2);
}

/**
 * U[a*6+b] = (G · g · Gᵀ)[a][b] for a filter w [3,3,Ci,Co] (HWIO): 36 matrices [Ci,Co].
 * With `flipped`, the transform of flip(w) with in/out channels swapped (the filter of
 * the input gradient), each [Co,Ci]. uPtrs: 36 u32 addresses. scratch: 63·16 bytes.
 */
export function filterTransform(w: usize, Ci: i32, Co: i32, flipped: bool, uPtrs: usize, scratch: usize): void {
  const taps = scratch, mid = scratch + 9 * 16, out = scratch + 27 * 16;
  const n = Ci * Co;
  const tapStride = <usize>n * 4;
  for (let k = 0; k < n; k += 4) {
    for (let t = 0; t < 9; t++) v128.store(taps + t * 16, v128.load(w + <usize>(flipped ? 8 - t : t) * tapStride + <usize>k * 4));
    // columns: mid[a][j] = sum_i G[a][i] g[i][j]; rows: out[a][b] = sum_j mid[a][j] G[b][j]
    for (let j = 0; j < 3; j++) g3(taps + j * 16, 3 * 16, mid + j * 16, 3 * 16);
    for (let a = 0; a < 6; a++) g3(mid + a * 3 * 16, 16, out + a * 6 * 16, 16);
    if (!flipped) {
      for (let p = 0; p < 36; p++) v128.store(<usize>load<u32>(uPtrs + p * 4) + <usize>k * 4, v128.load(out + p * 16));
    } else {
      const ci = k / Co, co = k % Co; // lanes are co .. co+3 of input channel ci
      for (let p = 0; p < 36; p++) {
        const dst = <usize>load<u32>(uPtrs + p * 4) + (<usize>co * Ci + ci) * 4, src = out + p * 16;
        for (let l = 0; l < 4; l++) store<f32>(dst + <usize>l * Ci * 4, load<f32>(src + l * 4));
      }
    }
  }
}

/** Scratch bytes the caller must provide to each transform. */
export function inputScratchBytes(): i32 { return 108 * 16; }
export function outputScratchBytes(): i32 { return 76 * 16; }
export function filterScratchBytes(): i32 { return 63 * 16; }
