// Winograd F(4x4, 3x3) convolution and filter gradient for stride-1 3x3 convolutions
// (NHWC, float32), for the TF.js WASM backend: part of the kernel module (index.ts), which
// imports the backend's own memory, so tensors are read and written in place. It must own
// no memory: no data segments, no allocation; all addresses come from the caller.
// The 1-D transforms are in transforms.ts, the GEMM in gemm.ts.
//
//   U[a*6+b][i, o] = (G · g · G^T)[a][b]     g: the 3x3 filter taps of input i, output o
//   V[a*6+b][t, c] = (Bt · d · Bt^T)[a][b]   d: the 6x6 input patch of tile t, channel c
//   y[tile]        = At · M · At^T           M[a][b] = V[a*6+b] · U[a*6+b]   (36 GEMMs, gemm.ts)
//   dU[a*6+b]      = Σ_t V[a*6+b]ᵀ · D[a*6+b]  D = At^T · dY · At;  dw = G^T · dU · G
// Channels go 4 at a time in SIMD lanes, so C must be a multiple of 4.
import { gemm } from './gemm';
import { a2Up, a4, at6, bt6, bt6Up, g3, gt6, slope } from './transforms';

// Where tile t of a [B, th·4, tw·4] tiling sits: image b, tile row ti, tile column tj.
@inline function tileImage(t: i32, th: i32, tw: i32): i32 { return t / (th * tw); }
@inline function tileRow(t: i32, th: i32, tw: i32): i32 { return (t % (th * tw)) / tw; }
@inline function tileCol(t: i32, tw: i32): i32 { return t % tw; }

// V[a*6+b] = (Bt · d · Btᵀ)[a][b] for the 6x6 patch of x [B,H,W,C] at rows r0.., columns
// c0.. of image b (zeros outside the image), written to dst + (a*6+b)·posStride. With
// `leaky`, d is lrelu(x) (a fused pre-activation; lrelu(0) = 0 keeps the zero padding).
// With `up`, x is [B,H/2,W/2,C] and d is read from 0.25·up2(x) (nearest 2x upsampling):
// the gradient of a 2x2 average pool, fused into the convolution that follows it back.
@inline function inputTile(x: usize, H: i32, W: i32, cs: usize, b: i32, r0: i32, c0: i32, dst: usize, posStride: usize, scratch: usize, leaky: bool, up: bool, av: v128): void {
  const patch = scratch, mid = scratch + 36 * 16;
  const rs = <usize>W * cs;
  let rowMask = 0, colMask = 0;
  for (let r = 0; r < 6; r++) if (r0 + r >= 0 && r0 + r < H) rowMask |= 1 << r;
  for (let c = 0; c < 6; c++) if (c0 + c >= 0 && c0 + c < W) colMask |= 1 << c;
  const inside = rowMask == 63 && colMask == 63;
  const origin = x + (<usize>b * H * W) * cs + <isize>r0 * rs + <isize>c0 * cs;
  for (let ch: usize = 0; ch < cs; ch += 16) {
    let src = origin + ch, ss = rs, cstep = cs;
    if (up) {
      // The patch repeats the source pixels (r0 >> 1) .., (c0 >> 1) ..: gather those (4x4,
      // or 3 where a start is even; a virtual pixel is inside iff its source pixel is) and
      // transform with Bt·E (bt6Up). 0.25: the average pool's weight.
      const hs = <usize>(W >> 1) * cs, quarter = f32x4.splat(0.25);
      const oddR = (r0 & 1) != 0, oddC = (c0 & 1) != 0;
      const nr = oddR ? 4 : 3, nc = oddC ? 4 : 3, sr = r0 >> 1, sc = c0 >> 1;
      const image = x + (<usize>b * (H >> 1) * (W >> 1)) * cs + ch;
      for (let r = 0; r < nr; r++) {
        const rowOk = sr + r >= 0 && sr + r < H >> 1;
        for (let c = 0; c < nc; c++) {
          const ok = rowOk && sc + c >= 0 && sc + c < W >> 1;
          v128.store(patch + (r * 4 + c) * 16, ok ? f32x4.mul(v128.load(image + <usize>(sr + r) * hs + <usize>(sc + c) * cs), quarter) : f32x4.splat(0));
        }
      }
      for (let c = 0; c < nc; c++) bt6Up(patch + c * 16, 4 * 16, mid + c * 16, 4 * 16, oddR);
      for (let a = 0; a < 6; a++) bt6Up(mid + a * 4 * 16, 16, dst + <usize>(a * 6) * posStride + ch, posStride, oddC);
      continue;
    } else if (!inside) {
      for (let r = 0; r < 6; r++) {
        for (let c = 0; c < 6; c++) {
          const ok = (rowMask >> r) & (colMask >> c) & 1;
          v128.store(patch + (r * 6 + c) * 16, ok ? v128.load(origin + ch + <isize>r * rs + <isize>c * cs) : f32x4.splat(0));
        }
      }
      src = patch; ss = 6 * 16; cstep = 16;
    }
    // columns: mid[a][j] = sum_i Bt[a][i] d[i][j]; rows: V[a][b] = sum_j mid[a][j] Bt[b][j]
    for (let j = 0; j < 6; j++) bt6(src + <usize>j * cstep, ss, mid + j * 16, 6 * 16, leaky, av);
    for (let a = 0; a < 6; a++) bt6(mid + a * 6 * 16, 16, dst + <usize>(a * 6) * posStride + ch, posStride, false, av);
  }
}

// y's 4x4 block of tile (b, ti, tj) = At · M · Atᵀ + bias, M[a*6+b] at src + (a*6+b)·posStride,
// with `ms` bytes of channels per row of M; clipped to y [B,Ho,Wo,C] (cs = 4·C bytes per
// pixel; C may stop short of M's last group of 4, as for an RGB output). With a gate g (a
// tensor shaped like y, or 0), each output is multiplied by lrelu'(g) = 1 if g > 0 else
// alpha: the input gradient of a conv whose input went through lrelu(g).
// With `pool` (no gate), y is the 2x2 average pool of the convolution's output: y
// [B,Ho/2,Wo/2,C] (Ho, Wo even) gets the 2x2 means of the 4x4 block, so the full-size
// output is never written (the energy model's conv -> avgpool; the pool's gradient is
// `up` in inputTile and gradTile).
function outputTile(src: usize, posStride: usize, ms: usize, bias: usize, y: usize, Ho: i32, Wo: i32, cs: usize, b: i32, ti: i32, tj: i32, scratch: usize, gate: usize, pool: bool, av: v128): void {
  const mid = scratch, out = scratch + 24 * 16;
  const rs = <usize>Wo * cs;
  const rows = min(4, Ho - ti * 4), cols = min(4, Wo - tj * 4);
  const origin = y + (<usize>b * Ho * Wo) * cs + <usize>(ti * 4) * rs + <usize>(tj * 4) * cs;
  for (let ch: usize = 0; ch < ms; ch += 16) {
    // columns: mid[r][b] = sum_a At[r][a] M[a][b]; rows: out[r][s] = sum_b mid[r][b] At[s][b]
    for (let j = 0; j < 6; j++) at6(src + <usize>j * posStride + ch, 6 * posStride, mid + j * 16, 6 * 16);
    for (let r = 0; r < 4; r++) at6(mid + r * 6 * 16, 16, out + r * 4 * 16, 16);
    const bv = bias ? v128.load(bias + ch) : f32x4.splat(0);
    const lanes = <i32>(min(cs - ch, 16) / 4);
    if (pool) {
      // Ho, Wo are the full-size output's; y's rows are Wo/2 pixels.
      const prs = <usize>(Wo >> 1) * cs, quarter = f32x4.splat(0.25);
      const pooled = y + (<usize>b * (Ho >> 1) * (Wo >> 1)) * cs + <usize>(ti * 2) * prs + <usize>(tj * 2) * cs + ch;
      for (let r = 0; r < rows >> 1; r++) {
        for (let s = 0; s < cols >> 1; s++) {
          const o = out + (r * 8 + s * 2) * 16;
          const sum = f32x4.add(f32x4.add(v128.load(o), v128.load(o, 16)), f32x4.add(v128.load(o, 64), v128.load(o, 80)));
          const v = f32x4.add(f32x4.mul(sum, quarter), bv);
          const dst = pooled + <usize>r * prs + <usize>s * cs;
          if (lanes == 4) {
            v128.store(dst, v);
          } else {
            v128.store(mid, v);
            for (let l = 0; l < lanes; l++) store<f32>(dst + <usize>l * 4, load<f32>(mid + <usize>l * 4));
          }
        }
      }
      continue;
    }
    if (rows == 4 && cols == 4 && lanes == 4) {
      // The common case, with the addresses stepped instead of recomputed per pixel
      // (perf showed the general loop's address arithmetic as this function's hot spot).
      let row = origin + ch;
      for (let r = 0; r < 4; r++, row += rs) {
        const o = out + r * 4 * 16, g = gate + (row - y);
        v128.store(row, slope(f32x4.add(v128.load(o), bv), gate, g, av));
        v128.store(row + cs, slope(f32x4.add(v128.load(o, 16), bv), gate, g + cs, av));
        v128.store(row + 2 * cs, slope(f32x4.add(v128.load(o, 32), bv), gate, g + 2 * cs, av));
        v128.store(row + 3 * cs, slope(f32x4.add(v128.load(o, 48), bv), gate, g + 3 * cs, av));
      }
      continue;
    }
    for (let r = 0; r < rows; r++) {
      for (let s = 0; s < cols; s++) {
        let v = f32x4.add(v128.load(out + (r * 4 + s) * 16), bv);
        const dst = origin + <usize>r * rs + <usize>s * cs + ch;
        if (gate) {
          let g = gate + (dst - y);
          if (lanes < 4) {
            v128.store(mid, f32x4.splat(0)); // gather the gate's lanes: a full load could read past its end
            for (let l = 0; l < lanes; l++) store<f32>(mid + <usize>l * 4, load<f32>(g + <usize>l * 4));
            g = mid;
          }
          v = slope(v, gate, g, av);
        }
        if (lanes == 4) {
          v128.store(dst, v);
        } else {
          v128.store(mid, v); // mid is free once out is made
          for (let l = 0; l < lanes; l++) store<f32>(dst + <usize>l * 4, load<f32>(mid + <usize>l * 4));
        }
      }
    }
  }
}

// The gradient reaching M from y's 4x4 block of tile (b, ti, tj) (zeros past y's edge):
// D = Atᵀ · dY · At (6x6), written to dst + (a*6+b)·posStride. With `up`, dy is
// [B,Ho/2,Wo/2,C] and dY is read from 0.25·up2(dy), as in inputTile.
@inline function gradTile(dy: usize, Ho: i32, Wo: i32, cs: usize, b: i32, ti: i32, tj: i32, dst: usize, posStride: usize, scratch: usize, up: bool): void {
  const patch = scratch, mid = scratch + 16 * 16;
  const rs = <usize>Wo * cs;
  const rows = min(4, Ho - ti * 4), cols = min(4, Wo - tj * 4);
  const origin = dy + (<usize>b * Ho * Wo) * cs + <usize>(ti * 4) * rs + <usize>(tj * 4) * cs;
  for (let ch: usize = 0; ch < cs; ch += 16) {
    let src = origin + ch, ss = rs, cstep = cs;
    if (up) {
      // The block repeats 2x2 source pixels (rows, cols even: 2 or 4): gather those and
      // transform with A·E (a2Up). 0.25: the average pool's weight.
      const hs = <usize>(Wo >> 1) * cs, quarter = f32x4.splat(0.25);
      const block = dy + (<usize>b * (Ho >> 1) * (Wo >> 1)) * cs + <usize>(ti * 2) * hs + <usize>(tj * 2) * cs + ch;
      for (let r = 0; r < 2; r++) {
        for (let s = 0; s < 2; s++) {
          const ok = r < rows >> 1 && s < cols >> 1;
          v128.store(patch + (r * 2 + s) * 16, ok ? f32x4.mul(v128.load(block + <usize>r * hs + <usize>s * cs), quarter) : f32x4.splat(0));
        }
      }
      for (let s = 0; s < 2; s++) a2Up(patch + s * 16, 2 * 16, mid + s * 16, 2 * 16);
      for (let a = 0; a < 6; a++) a2Up(mid + a * 2 * 16, 16, dst + <usize>(a * 6) * posStride + ch, posStride);
      continue;
    } else if (rows < 4 || cols < 4) {
      for (let r = 0; r < 4; r++) {
        for (let s = 0; s < 4; s++) {
          v128.store(patch + (r * 4 + s) * 16, r < rows && s < cols ? v128.load(origin + ch + <usize>r * rs + <usize>s * cs) : f32x4.splat(0));
        }
      }
      src = patch; ss = 4 * 16; cstep = 16;
    }
    for (let s = 0; s < 4; s++) a4(src + <usize>s * cstep, ss, mid + s * 16, 4 * 16);
    for (let a = 0; a < 6; a++) a4(mid + a * 4 * 16, 16, dst + <usize>(a * 6) * posStride + ch, posStride);
  }
}

/** Bytes of scratch `conv` needs for blocks of T tiles: V and M blocks and the per-tile transforms. */
export function convScratchBytes(T: i32, Ci: i32, Co: i32): i32 { return 36 * 4 * T * (Ci + Co) + 72 * 16; }

/**
 * y [B,Ho,Wo,Cy] = conv(x [B,H,W,Ci], g) + bias (0: none) at stride 1, with zero padding
 * pt, pl before the image (the tiles over y read input rows 4i-pt .. 4i-pt+5), given
 * uPtrs: 36 u32 addresses of U = G·g·Gᵀ, each [Ci,Co]; y keeps the first Cy <= Co channels.
 * Blocks of T tiles go through input transform, the 36 GEMMs and the output transform
 * while they are in cache. `leaky`: convolve lrelu(x) instead of x; `gate` (or 0): y is
 * multiplied by lrelu'(gate) (see outputTile); alpha: lrelu's slope below 0. `pool`: y is
 * [B,Ho/2,Wo/2,Cy], the output's 2x2 average pool (no gate); `up`: x is [B,H/2,W/2,Ci],
 * read as 0.25·up2(x) (not with `leaky`), the pool's gradient (inputTile, outputTile).
 */
export function conv(x: usize, B: i32, H: i32, W: i32, Ci: i32, pt: i32, pl: i32, uPtrs: usize, Co: i32, bias: usize, y: usize, Cy: i32, Ho: i32, Wo: i32, leaky: bool, gate: usize, alpha: f32, pool: bool, up: bool, T: i32, scratch: usize): void {
  // Constant flags into the inlined body: the optimiser compiles one loop per case with its
  // branches folded (a runtime flag tested per vector cost the plain case ~15%). `pool` and
  // `up` are tested once per tile and channel group, so they stay runtime flags.
  if (leaky) convTiles(x, B, H, W, Ci, pt, pl, uPtrs, Co, bias, y, Cy, Ho, Wo, true, 0, alpha, pool, up, T, scratch);
  else if (gate) convTiles(x, B, H, W, Ci, pt, pl, uPtrs, Co, bias, y, Cy, Ho, Wo, false, gate, alpha, pool, up, T, scratch);
  else convTiles(x, B, H, W, Ci, pt, pl, uPtrs, Co, bias, y, Cy, Ho, Wo, false, 0, alpha, pool, up, T, scratch);
}

@inline function convTiles(x: usize, B: i32, H: i32, W: i32, Ci: i32, pt: i32, pl: i32, uPtrs: usize, Co: i32, bias: usize, y: usize, Cy: i32, Ho: i32, Wo: i32, leaky: bool, gate: usize, alpha: f32, pool: bool, up: bool, T: i32, scratch: usize): void {
  const av = f32x4.splat(alpha);
  const th = (Ho + 3) / 4, tw = (Wo + 3) / 4, tiles = B * th * tw;
  const csi = <usize>Ci * 4, cso = <usize>Co * 4;
  const vPos = <usize>T * csi, mPos = <usize>T * cso;
  const vBlock = scratch, mBlock = vBlock + 36 * vPos, tmp = mBlock + 36 * mPos;
  for (let t0 = 0; t0 < tiles; t0 += T) {
    const n = min(T, tiles - t0);
    for (let r = 0; r < n; r++) {
      const t = t0 + r;
      inputTile(x, H, W, csi, tileImage(t, th, tw), tileRow(t, th, tw) * 4 - pt, tileCol(t, tw) * 4 - pl, vBlock + <usize>r * csi, vPos, tmp, leaky, up, av);
    }
    for (let p = 0; p < 36; p++) gemm(vBlock + <usize>p * vPos, Ci, 1, <usize>load<u32>(uPtrs + p * 4), Co, mBlock + <usize>p * mPos, Co, n, Ci, Co, false);
    for (let r = 0; r < n; r++) {
      const t = t0 + r;
      outputTile(mBlock + <usize>r * cso, mPos, cso, bias, y, Ho, Wo, <usize>Cy * 4, tileImage(t, th, tw), tileRow(t, th, tw), tileCol(t, tw), tmp, gate, pool, av);
    }
  }
}

/** Bytes of scratch `filterGrad` needs for blocks of T tiles: V and D blocks, the 36 dU and the transforms. */
export function filterGradScratchBytes(T: i32, Ci: i32, Co: i32): i32 { return 36 * 4 * (T * (Ci + Co) + Ci * Co) + 72 * 16; }

/**
 * dw [3,3,Ci,Co] (HWIO) of y = conv(x, w) as in `conv`, from x and dy [B,Ho,Wo,Co]:
 * dU[ξ] = Σ_tiles V[ξ]ᵀ · D[ξ] (a GEMM accumulated over blocks of T tiles), then
 * dw = Gᵀ · dU · G, the filter transform run backwards. `leaky`: of y = conv(lrelu(x), w);
 * `up`: of y = avgpool2(conv(..)), given its dy [B,Ho/2,Wo/2,Co] (gradTile).
 */
export function filterGrad(x: usize, dy: usize, B: i32, H: i32, W: i32, Ci: i32, Co: i32, pt: i32, pl: i32, Ho: i32, Wo: i32, leaky: bool, alpha: f32, up: bool, T: i32, dw: usize, scratch: usize): void {
  if (leaky) filterGradTiles(x, dy, B, H, W, Ci, Co, pt, pl, Ho, Wo, true, alpha, up, T, dw, scratch);
  else filterGradTiles(x, dy, B, H, W, Ci, Co, pt, pl, Ho, Wo, false, alpha, up, T, dw, scratch);
}

@inline function filterGradTiles(x: usize, dy: usize, B: i32, H: i32, W: i32, Ci: i32, Co: i32, pt: i32, pl: i32, Ho: i32, Wo: i32, leaky: bool, alpha: f32, up: bool, T: i32, dw: usize, scratch: usize): void {
  const av = f32x4.splat(alpha);
  const th = (Ho + 3) / 4, tw = (Wo + 3) / 4, tiles = B * th * tw;
  const csi = <usize>Ci * 4, cso = <usize>Co * 4, n = Ci * Co, uPos = <usize>n * 4;
  const vPos = <usize>T * csi, dPos = <usize>T * cso;
  const vBlock = scratch, dBlock = vBlock + 36 * vPos, dU = dBlock + 36 * dPos, tmp = dU + 36 * uPos;
  for (let t0 = 0; t0 < tiles; t0 += T) {
    const rowsInBlock = min(T, tiles - t0);
    for (let r = 0; r < rowsInBlock; r++) {
      const t = t0 + r, b = tileImage(t, th, tw), ti = tileRow(t, th, tw), tj = tileCol(t, tw);
      inputTile(x, H, W, csi, b, ti * 4 - pt, tj * 4 - pl, vBlock + <usize>r * csi, vPos, tmp, leaky, false, av);
      gradTile(dy, Ho, Wo, cso, b, ti, tj, dBlock + <usize>r * cso, dPos, tmp, up);
    }
    for (let p = 0; p < 36; p++) gemm(vBlock + <usize>p * vPos, 1, Ci, dBlock + <usize>p * dPos, Co, dU + <usize>p * uPos, Co, Ci, rowsInBlock, Co, t0 > 0);
  }
  const rows = tmp, taps = tmp + 18 * 16;
  for (let k = 0; k < n; k += 4) {
    // rows[a][j] = sum_b dU[a][b] G[b][j]; taps[i][j] = sum_a G[a][i] rows[a][j]
    for (let a = 0; a < 6; a++) gt6(dU + <usize>(a * 6) * uPos + <usize>k * 4, uPos, rows + a * 3 * 16, 16);
    for (let j = 0; j < 3; j++) gt6(rows + j * 16, 3 * 16, taps + j * 16, 3 * 16);
    for (let t = 0; t < 9; t++) v128.store(dw + <usize>t * uPos + <usize>k * 4, v128.load(taps + t * 16));
  }
}

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

/** Scratch bytes the caller must provide to filterTransform. */
export function filterScratchBytes(): i32 { return 63 * 16; }
