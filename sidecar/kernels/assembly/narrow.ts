// 3x3 stride-1 "same" convolutions with a narrow side of at most 4 channels, the energy
// model's RGB stem (sidecar/engine/ops/convNarrow.ts), as GEMMs on our kernel (gemm.ts):
//   forward         y [P, Co]     = patches(x) [P, 9C] · w [9C, Co] + bias       (im2col, a row of pixels at a time)
//   input gradient  cols [P, 9C'] = dy [P, Co] · wᵀ [Co, 9C'];  dx = Σ of the cols at their pixels (col2im)
// with P the pixels, C the narrow channels (C' = 9C rounded up to 4: the GEMM's N), NHWC.
// Why: Winograd's transforms over the wide side cost more than its products save here,
// and XNNPACK's direct convolution of 3 input channels ran at ~27 GFLOP/s.
import { gemm } from './gemm';

/** Bytes of scratch narrowConv and narrowConvGrad need for H x W images of C narrow channels. */
export function narrowScratchBytes(H: i32, W: i32, C: i32): i32 { return max((H + 2) * (W + 2) * C, W * ((9 * C + 3) & ~3)) * 4; }

/**
 * y [B,H,W,Co] = conv(x [B,H,W,C], w [3,3,C,Co]) + bias (zero padding 1; bias 0: none).
 * Co a multiple of 4. Each image is copied with its zero border into scratch; then a row
 * of outputs is 3 GEMMs, one per filter row di, whose A is the padded input row i + di
 * read in place: pixel j's taps (dj, c) are the 3C floats from pixel j - 1 on.
 */
export function narrowConv(x: usize, B: i32, H: i32, W: i32, C: i32, w: usize, Co: i32, bias: usize, y: usize, scratch: usize): void {
  const ps = <usize>C * 4, rs = <usize>W * ps, prs = <usize>(W + 2) * ps, ys = <usize>Co * 4, tapRow = <usize>(3 * C * Co) * 4;
  memory.fill(scratch, 0, <usize>(H + 2) * prs);
  for (let b = 0; b < B; b++) {
    const image = x + <usize>b * <usize>H * rs;
    for (let i = 0; i < H; i++) memory.copy(scratch + <usize>(i + 1) * prs + ps, image + <usize>i * rs, rs);
    for (let i = 0; i < H; i++) {
      const out = y + (<usize>(b * H + i) * <usize>W) * ys;
      for (let j = 0; j < W; j++) {
        for (let o = 0; o < Co; o += 4) v128.store(out + <usize>j * ys + <usize>o * 4, bias ? v128.load(bias + <usize>o * 4) : f32x4.splat(0));
      }
      for (let di = 0; di < 3; di++) gemm(scratch + <usize>(i + di) * prs, C, 1, w + <usize>di * tapRow, Co, out, Co, W, 3 * C, Co, true);
    }
  }
}

/**
 * dx [B,H,W,C] of y = conv(x, w) as in narrowConv, from dy [B,H,W,Co] and wt: wᵀ as
 * [Co, Kp] (Kp = 9C rounded up to 4; its entry (o, (di·3 + dj)·C + c) = w[di,dj,c,o], zeros after 9C).
 */
export function narrowConvGrad(dy: usize, B: i32, H: i32, W: i32, Co: i32, wt: usize, C: i32, dx: usize, scratch: usize): void {
  const K = 9 * C, Kp = (K + 3) & ~3, ps = <usize>C * 4, rs = <usize>W * ps, ys = <usize>Co * 4;
  memory.fill(dx, 0, <usize>B * <usize>H * rs);
  for (let b = 0; b < B; b++) {
    const image = dx + <usize>b * <usize>H * rs;
    for (let i = 0; i < H; i++) {
      gemm(dy + (<usize>(b * H + i) * <usize>W) * ys, Co, 1, wt, Kp, scratch, Kp, W, Co, Kp, false);
      // Output pixel (i, j)'s tap (di, dj) reached input pixel (i + di - 1, j + dj - 1).
      for (let di = 0; di < 3; di++) {
        const r = i + di - 1;
        if (r < 0 || r >= H) continue;
        for (let j = 0; j < W; j++) {
          const cols = scratch + <usize>(j * Kp + di * 3 * C) * 4;
          for (let dj = 0; dj < 3; dj++) {
            const q = j + dj - 1;
            if (q < 0 || q >= W) continue;
            const dst = image + <usize>r * rs + <usize>q * ps, src = cols + <usize>(dj * C) * 4;
            for (let c = 0; c < C; c++) store<f32>(dst + <usize>c * 4, load<f32>(dst + <usize>c * 4) + load<f32>(src + <usize>c * 4));
          }
        }
      }
    }
  }
}
