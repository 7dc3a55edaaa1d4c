// A small single-precision GEMM for the Winograd kernels (winograd.ts), in WASM SIMD.
//
// Why our own and not XNNPACK's (through tf.matMul): the Winograd products are 36 small
// GEMMs per convolution, and through TF.js each was a kernel dispatch, two tensors and an
// XNNPACK operator. Here they run inside one kernel call on buffers that stay in cache,
// and with relaxed SIMD (`f32x4.relaxed_madd`, a fused multiply-add on x86 with FMA) the
// inner loop does half the instructions. `npm run bench:kernels` measures it.
//
// C[M,N] (+)= A·B, all float32: A's element (m, k) at a + 4·(m·sam + k·sak), so A can be
// read transposed (the filter gradient's Vᵀ·D); B [K,N] and C [M,N] row-major with row
// strides ldb, ldc (floats). N must be a multiple of 4.

@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

@inline function start(c: usize, acc: bool): v128 {
  return acc ? v128.load(c) : f32x4.splat(0);
}

export function gemm(a: usize, sam: i32, sak: i32, b: usize, ldb: i32, c: usize, ldc: i32, M: i32, K: i32, N: i32, acc: bool): void {
  const bs = <usize>ldb * 4, cs = <usize>ldc * 4, am = <usize>sam * 4, ak = <usize>sak * 4;
  let m = 0;
  // 4 rows x 8 columns per block: 8 accumulators, 2 loads of B and 4 splats of A per k.
  for (; m + 4 <= M; m += 4) {
    const a0 = a + <usize>m * am, a1 = a0 + am, a2 = a1 + am, a3 = a2 + am;
    const c0 = c + <usize>m * cs, c1 = c0 + cs, c2 = c1 + cs, c3 = c2 + cs;
    let n = 0;
    for (; n + 8 <= N; n += 8) {
      const o = <usize>n * 4;
      let x00 = start(c0 + o, acc), x01 = start(c0 + o + 16, acc), x10 = start(c1 + o, acc), x11 = start(c1 + o + 16, acc);
      let x20 = start(c2 + o, acc), x21 = start(c2 + o + 16, acc), x30 = start(c3 + o, acc), x31 = start(c3 + o + 16, acc);
      let bp = b + o, off: usize = 0;
      for (let k = 0; k < K; k++, bp += bs, off += ak) {
        const b0 = v128.load(bp), b1 = v128.load(bp, 16);
        const s0 = v128.load32_splat(a0 + off), s1 = v128.load32_splat(a1 + off);
        x00 = madd(s0, b0, x00); x01 = madd(s0, b1, x01);
        x10 = madd(s1, b0, x10); x11 = madd(s1, b1, x11);
        const s2 = v128.load32_splat(a2 + off), s3 = v128.load32_splat(a3 + off);
        x20 = madd(s2, b0, x20); x21 = madd(s2, b1, x21);
        x30 = madd(s3, b0, x30); x31 = madd(s3, b1, x31);
      }
      v128.store(c0 + o, x00); v128.store(c0 + o, x01, 16);
      v128.store(c1 + o, x10); v128.store(c1 + o, x11, 16);
      v128.store(c2 + o, x20); v128.store(c2 + o, x21, 16);
      v128.store(c3 + o, x30); v128.store(c3 + o, x31, 16);
    }
    for (; n < N; n += 4) {
      const o = <usize>n * 4;
      let x0 = start(c0 + o, acc), x1 = start(c1 + o, acc), x2 = start(c2 + o, acc), x3 = start(c3 + o, acc);
      let bp = b + o, off: usize = 0;
      for (let k = 0; k < K; k++, bp += bs, off += ak) {
        const b0 = v128.load(bp);
        x0 = madd(v128.load32_splat(a0 + off), b0, x0);
        x1 = madd(v128.load32_splat(a1 + off), b0, x1);
        x2 = madd(v128.load32_splat(a2 + off), b0, x2);
        x3 = madd(v128.load32_splat(a3 + off), b0, x3);
      }
      v128.store(c0 + o, x0); v128.store(c1 + o, x1); v128.store(c2 + o, x2); v128.store(c3 + o, x3);
    }
  }
  for (; m < M; m++) {
    const a0 = a + <usize>m * am, c0 = c + <usize>m * cs;
    for (let n = 0; n < N; n += 4) {
      const o = <usize>n * 4;
      let x0 = start(c0 + o, acc);
      let bp = b + o, off: usize = 0;
      for (let k = 0; k < K; k++, bp += bs, off += ak) x0 = madd(v128.load32_splat(a0 + off), v128.load(bp), x0);
      v128.store(c0 + o, x0);
    }
  }
}
