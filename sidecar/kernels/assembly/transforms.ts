// The 1-D Winograd F(4x4, 3x3) transforms on lines of 4-lane vectors (winograd.ts applies
// each along columns, then rows): Bt for input patches, At for outputs and its transpose
// A for their gradients, G for filters and its transpose for filter gradients; and the
// fused leaky ReLU pieces (lrelu on read, its slope on write).

@inline function act(v: v128, leaky: bool, av: v128): v128 {
  return leaky ? f32x4.max(v, f32x4.mul(v, av)) : v;
}

// v · lrelu'(the gate's vector at g) where there is a gate (see outputTile), else v.
@inline export function slope(v: v128, gate: usize, g: usize, av: v128): v128 {
  return gate ? f32x4.mul(v, v128.bitselect(f32x4.splat(1), av, f32x4.gt(v128.load(g), f32x4.splat(0)))) : v;
}

// Bt (6x6) applied to a line of 6 vectors read at src + k*ss, written to dst + k*ds:
//   4d0 - 5d2 + d4 | -4d1 - 4d2 + d3 + d4 | 4d1 - 4d2 - d3 + d4 | -2d1 - d2 + 2d3 + d4 | 2d1 - d2 - 2d3 + d4 | 4d1 - 5d3 + d5
// With `leaky`, each vector read is first put through lrelu(v) = max(v, alpha·v) (0 <= alpha <= 1).
@inline export function bt6(src: usize, ss: usize, dst: usize, ds: usize, leaky: bool, av: v128): void {
  const d0 = act(v128.load(src), leaky, av), d1 = act(v128.load(src + ss), leaky, av), d2 = act(v128.load(src + 2 * ss), leaky, av);
  const d3 = act(v128.load(src + 3 * ss), leaky, av), d4 = act(v128.load(src + 4 * ss), leaky, av), d5 = act(v128.load(src + 5 * ss), leaky, av);
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

// Bt on a line of 6 values that repeat source values, as a patch read from up2(s) does
// (PoolFusion's unpool): starting at an odd position the line is (s0,s1,s1,s2,s2,s3),
// at an even one (s0,s0,s1,s1,s2,s2); so Bt·E with E the 6x4 (6x3) repeat matrix, on the
// 4 (3) source vectors read at src + k*ss:
//   odd:  4s0-5s1+s2 | 2s2-8s1 | 0 | 3(s2-s1) | s1-s2 | 4s1-5s2+s3
//   even: 4s0-5s1+s2 | s2-4s0-3s1 | 4s0-5s1+s2 | s1+s2-2s0 | 2s0-3s1+s2 | 4s0-5s1+s2
@inline export function bt6Up(src: usize, ss: usize, dst: usize, ds: usize, odd: bool): void {
  const s0 = v128.load(src), s1 = v128.load(src + ss), s2 = v128.load(src + 2 * ss);
  const four = f32x4.splat(4), five = f32x4.splat(5), two = f32x4.splat(2), three = f32x4.splat(3);
  if (odd) {
    const s3 = v128.load(src + 3 * ss);
    const d21 = f32x4.sub(s2, s1);
    v128.store(dst, f32x4.add(f32x4.sub(f32x4.mul(four, s0), f32x4.mul(five, s1)), s2));
    v128.store(dst + ds, f32x4.sub(f32x4.mul(two, s2), f32x4.mul(f32x4.splat(8), s1)));
    v128.store(dst + 2 * ds, f32x4.splat(0));
    v128.store(dst + 3 * ds, f32x4.mul(three, d21));
    v128.store(dst + 4 * ds, f32x4.neg(d21));
    v128.store(dst + 5 * ds, f32x4.add(f32x4.sub(f32x4.mul(four, s1), f32x4.mul(five, s2)), s3));
  } else {
    const e = f32x4.add(f32x4.sub(f32x4.mul(four, s0), f32x4.mul(five, s1)), s2);
    v128.store(dst, e);
    v128.store(dst + ds, f32x4.sub(f32x4.sub(s2, f32x4.mul(four, s0)), f32x4.mul(three, s1)));
    v128.store(dst + 2 * ds, e);
    v128.store(dst + 3 * ds, f32x4.sub(f32x4.add(s1, s2), f32x4.mul(two, s0)));
    v128.store(dst + 4 * ds, f32x4.add(f32x4.sub(f32x4.mul(two, s0), f32x4.mul(three, s1)), s2));
    v128.store(dst + 5 * ds, e);
  }
}

// At (4x6) on a line of 6 vectors: m0+m1+m2+m3+m4 | m1-m2+2(m3-m4) | m1+m2+4(m3+m4) | m1-m2+8(m3-m4)+m5
@inline export function at6(src: usize, ss: usize, dst: usize, ds: usize): void {
  const m0 = v128.load(src), m1 = v128.load(src + ss), m2 = v128.load(src + 2 * ss);
  const m3 = v128.load(src + 3 * ss), m4 = v128.load(src + 4 * ss), m5 = v128.load(src + 5 * ss);
  const sa = f32x4.add(m1, m2), da = f32x4.sub(m1, m2), sb = f32x4.add(m3, m4), db = f32x4.sub(m3, m4);
  v128.store(dst, f32x4.add(f32x4.add(m0, sa), sb));
  v128.store(dst + ds, f32x4.add(da, f32x4.mul(f32x4.splat(2), db)));
  v128.store(dst + 2 * ds, f32x4.add(sa, f32x4.mul(f32x4.splat(4), sb)));
  v128.store(dst + 3 * ds, f32x4.add(f32x4.add(da, f32x4.mul(f32x4.splat(8), db)), m5));
}

// A (6x4) = Atᵀ on a line of 4 vectors (the gradient's way back through At): d0 | d0+d1+d2+d3 | d0-d1+d2-d3 | d0+2d1+4d2+8d3 | d0-2d1+4d2-8d3 | d3
@inline export function a4(src: usize, ss: usize, dst: usize, ds: usize): void {
  const d0 = v128.load(src), d1 = v128.load(src + ss), d2 = v128.load(src + 2 * ss), d3 = v128.load(src + 3 * ss);
  const s02 = f32x4.add(d0, d2), s13 = f32x4.add(d1, d3);
  const e = f32x4.add(d0, f32x4.mul(f32x4.splat(4), d2)), o = f32x4.add(f32x4.mul(f32x4.splat(2), d1), f32x4.mul(f32x4.splat(8), d3));
  v128.store(dst, d0);
  v128.store(dst + ds, f32x4.add(s02, s13));
  v128.store(dst + 2 * ds, f32x4.sub(s02, s13));
  v128.store(dst + 3 * ds, f32x4.add(e, o));
  v128.store(dst + 4 * ds, f32x4.sub(e, o));
  v128.store(dst + 5 * ds, d3);
}

// A on the line (s0,s0,s1,s1) of a gradient block read from up2(s) (PoolFusion's unpool),
// from the 2 source vectors: s0 | 2(s0+s1) | 0 | 3s0+12s1 | -(s0+4s1) | s1
@inline export function a2Up(src: usize, ss: usize, dst: usize, ds: usize): void {
  const s0 = v128.load(src), s1 = v128.load(src + ss);
  v128.store(dst, s0);
  v128.store(dst + ds, f32x4.mul(f32x4.splat(2), f32x4.add(s0, s1)));
  v128.store(dst + 2 * ds, f32x4.splat(0));
  v128.store(dst + 3 * ds, f32x4.add(f32x4.mul(f32x4.splat(3), s0), f32x4.mul(f32x4.splat(12), s1)));
  v128.store(dst + 4 * ds, f32x4.neg(f32x4.add(s0, f32x4.mul(f32x4.splat(4), s1))));
  v128.store(dst + 5 * ds, s1);
}

// G (6x3) on 3 vectors read at src + k*ss, written to dst + k*ds:
//   g0/4 | -(g0+g1+g2)/6 | -(g0-g1+g2)/6 | g0/24 + g1/12 + g2/6 | g0/24 - g1/12 + g2/6 | g2
@inline export function g3(src: usize, ss: usize, dst: usize, ds: usize): void {
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

// Gᵀ (3x6) on 6 vectors, the filter transform's adjoint:
//   d0/4 - (d1+d2)/6 + (d3+d4)/24 | (d2-d1)/6 + (d3-d4)/12 | (d3+d4-d1-d2)/6 + d5
@inline export function gt6(src: usize, ss: usize, dst: usize, ds: usize): void {
  const d0 = v128.load(src), d1 = v128.load(src + ss), d2 = v128.load(src + 2 * ss);
  const d3 = v128.load(src + 3 * ss), d4 = v128.load(src + 4 * ss), d5 = v128.load(src + 5 * ss);
  const sixth = f32x4.splat(<f32>(1.0 / 6)), twelfth = f32x4.splat(<f32>(1.0 / 12)), tw4th = f32x4.splat(<f32>(1.0 / 24));
  const s12 = f32x4.add(d1, d2), s34 = f32x4.add(d3, d4);
  v128.store(dst, f32x4.add(f32x4.sub(f32x4.mul(f32x4.splat(0.25), d0), f32x4.mul(sixth, s12)), f32x4.mul(tw4th, s34)));
  v128.store(dst + ds, f32x4.add(f32x4.mul(sixth, f32x4.sub(d2, d1)), f32x4.mul(twelfth, f32x4.sub(d3, d4))));
  v128.store(dst + 2 * ds, f32x4.add(f32x4.mul(sixth, f32x4.sub(s34, s12)), d5));
}

/**
 * U[a*6+b] = (G · g · Gᵀ)[a][b] for a filter w [3,3,Ci,Co] (HWIO): 36 matrices [Ci,Co].
 * With `flipped`, the transform of flip(w) with in/out channels swapped (the filter of
 * the input gradient), each [Co,Ci]. uPtrs: 36 u32 addresses. scratch: 63·16 bytes.
 */
