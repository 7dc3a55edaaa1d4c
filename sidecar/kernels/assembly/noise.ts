// The SGLD chains' Gaussian noise (sidecar/engine/ops/rowNoise.ts), 4 Box–Muller pairs
// per SIMD step. The same stream as rng.ts fillNormal: row r's uniforms are mulberry32's
// outputs for states seed_r + j·C (j = 1, 2, ...; C = 0x6d2b79f5), pair k takes u1 from
// state 2k+1 and u2 from 2k+2, and writes r·cos(2πu2), r·sin(2πu2), r = sqrt(-2 ln u1).
// The integer stream is exact; the floating point is float32 here (rng.ts: float64,
// rounded at the end), with polynomial ln, sin and cos (Cephes logf, sinf, cosf). The
// uniforms' rounding to float32 dominates the difference: about 2^-25/r of std near a
// small radius r (3e-5 at r = 1e-3), and u1 within 2^-25 of 1 rounds to 1, radius 0
// where fillNormal has up to 2.4e-4 (one pair in 2^25). 32768 draws measured within 3e-5.

const C: u32 = 0x6d2b79f5;

// mulberry32's output for states a (4 lanes), as floats in [0, 1].
@inline function mix(a: v128): v128 {
  let t = i32x4.mul(v128.xor(a, i32x4.shr_u(a, 15)), v128.or(a, i32x4.splat(1)));
  t = v128.xor(t, i32x4.add(t, i32x4.mul(v128.xor(t, i32x4.shr_u(t, 7)), v128.or(t, i32x4.splat(61)))));
  return f32x4.mul(f32x4.convert_i32x4_u(v128.xor(t, i32x4.shr_u(t, 14))), f32x4.splat(<f32>2.3283064365386963e-10));
}

// ln x for x > 0 (normal floats): x = m·2^e with m in [sqrt(1/2), sqrt(2)), ln(m) by the
// Cephes logf polynomial in f = m - 1.
@inline function ln(x: v128): v128 {
  const bits = i32x4.sub(x, i32x4.splat(0x3f3504f3));
  const e = i32x4.shr_s(bits, 23);
  const f = f32x4.sub(i32x4.sub(x, i32x4.shl(e, 23)), f32x4.splat(1));
  const z = f32x4.mul(f, f);
  let p = f32x4.splat(<f32>7.0376836292e-2);
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(<f32>-1.1514610310e-1));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(<f32>1.1676998740e-1));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(<f32>-1.2420140846e-1));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(<f32>1.4249322787e-1));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(<f32>-1.6668057665e-1));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(<f32>2.0000714765e-1));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(<f32>-2.4999993993e-1));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(<f32>3.3333331174e-1));
  const fe = f32x4.convert_i32x4_s(e);
  let y = f32x4.sub(f32x4.mul(f32x4.mul(f, z), p), f32x4.mul(f32x4.splat(0.5), z));
  y = f32x4.add(y, f32x4.mul(fe, f32x4.splat(<f32>-2.12194440e-4)));
  return f32x4.add(f32x4.add(f, y), f32x4.mul(fe, f32x4.splat(<f32>0.693359375)));
}

// (cos 2πu, sin 2πu) for u in [0, 1], into dst (cos) and dst + 16 (sin): the quarter turn
// q = nearest(4u) is exact to take off, leaving |x| <= π/4 for the polynomials.
@inline function cosSinTurns(u: v128, dst: usize): void {
  const u4 = f32x4.mul(u, f32x4.splat(4));
  const q = f32x4.nearest(u4);
  const x = f32x4.mul(f32x4.sub(u4, q), f32x4.splat(<f32>(Math.PI / 2)));
  const z = f32x4.mul(x, x);
  let sp = f32x4.splat(<f32>-1.9515295891e-4);
  sp = f32x4.add(f32x4.mul(sp, z), f32x4.splat(<f32>8.3321608736e-3));
  sp = f32x4.add(f32x4.mul(sp, z), f32x4.splat(<f32>-1.6666654611e-1));
  const s = f32x4.add(x, f32x4.mul(f32x4.mul(x, z), sp));
  let cp = f32x4.splat(<f32>2.443315711809948e-5);
  cp = f32x4.add(f32x4.mul(cp, z), f32x4.splat(<f32>-1.388731625493765e-3));
  cp = f32x4.add(f32x4.mul(cp, z), f32x4.splat(<f32>4.166664568298827e-2));
  const c = f32x4.add(f32x4.sub(f32x4.splat(1), f32x4.mul(f32x4.splat(0.5), z)), f32x4.mul(f32x4.mul(z, z), cp));
  // Rotate by q quarter turns: q odd swaps (c, s) -> (-s, c); q = 2, 3 negate both.
  const qi = i32x4.trunc_sat_f32x4_s(q);
  const odd = i32x4.eq(v128.and(qi, i32x4.splat(1)), i32x4.splat(1));
  const half = i32x4.eq(v128.and(qi, i32x4.splat(2)), i32x4.splat(2));
  let cc = v128.bitselect(f32x4.neg(s), c, odd);
  let ss = v128.bitselect(c, s, odd);
  cc = v128.bitselect(f32x4.neg(cc), cc, half);
  ss = v128.bitselect(f32x4.neg(ss), ss, half);
  v128.store(dst, cc);
  v128.store(dst, ss, 16);
}

/**
 * Fills rows × size floats at out with N(0, std²) noise, row r from seed load<u32>(seeds + 4r)
 * (see the header). scratch: 64 bytes.
 */
export function normalRows(out: usize, rows: i32, size: i32, seeds: usize, std: f32, scratch: usize): void {
  const sv = f32x4.splat(std), tiny = f32x4.splat(<f32>1e-12), minus2 = f32x4.splat(-2);
  // Lane l of a group of 4 pairs (k = 4g + l) uses states 2k+1 and 2k+2.
  const lane = i32x4(0, 2 * <i32>C, 4 * <i32>C, 6 * <i32>C), step = i32x4.splat(8 * <i32>C);
  for (let r = 0; r < rows; r++) {
    let a1 = i32x4.add(i32x4.splat(<i32>(load<u32>(seeds + <usize>r * 4) + C)), lane);
    const row = out + <usize>r * <usize>size * 4;
    for (let i = 0; i < size; i += 8) {
      const u1 = mix(a1), u2 = mix(i32x4.add(a1, i32x4.splat(<i32>C)));
      a1 = i32x4.add(a1, step);
      const radius = f32x4.mul(sv, f32x4.sqrt(f32x4.mul(minus2, ln(f32x4.max(u1, tiny)))));
      cosSinTurns(u2, scratch);
      const c = f32x4.mul(radius, v128.load(scratch)), s = f32x4.mul(radius, v128.load(scratch, 16));
      // Interleave: c0 s0 c1 s1 | c2 s2 c3 s3
      const lo = i32x4.shuffle(c, s, 0, 4, 1, 5), hi = i32x4.shuffle(c, s, 2, 6, 3, 7);
      if (i + 8 <= size) {
        v128.store(row + <usize>i * 4, lo);
        v128.store(row + <usize>i * 4, hi, 16);
      } else {
        v128.store(scratch, lo, 32);
        v128.store(scratch, hi, 48);
        for (let j = i; j < size; j++) store<f32>(row + <usize>j * 4, load<f32>(scratch + 32 + <usize>(j - i) * 4));
      }
    }
  }
}
