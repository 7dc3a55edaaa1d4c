/**
 * Deterministic pseudo-random numbers that do not depend on hidden global state.
 *
 * Every random draw in training is a pure function of (run seed, iteration, purpose),
 * so a run resumed from a checkpoint draws exactly the noise an uninterrupted run
 * would have drawn — no RNG state has to be serialised.
 */

/** Mixes integers into one 32-bit seed (FNV-1a over the words, then a murmur finaliser). */
export function deriveSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    let v = Math.floor(part) >>> 0;
    for (let i = 0; i < 4; i++) {
      h ^= v & 0xff;
      h = Math.imul(h, 0x01000193);
      v >>>= 8;
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32's state step: the state after `a`. */
const nextState = (a: number): number => (a + 0x6d2b79f5) >>> 0;

/** mulberry32's output for state `a`: a float in [0, 1). */
function mix(a: number): number {
  let t = Math.imul(a ^ (a >>> 15), a | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** mulberry32: a small, fast, well-distributed 32-bit generator. Returns floats in [0, 1). */
export function uniformStream(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = nextState(a);
    return mix(a);
  };
}

/** Box–Muller: the radius of the normal pair made from uniforms u1, u2 (the pair is r·cos 2πu2, r·sin 2πu2). */
const boxMullerRadius = (u1: number): number => Math.sqrt(-2 * Math.log(Math.max(u1, 1e-12)));

/** Standard normal draws (Box–Muller) from a seeded uniform stream. */
export function normalStream(seed: number): () => number {
  const u = uniformStream(seed);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const r = boxMullerRadius(u());
    const th = 2 * Math.PI * u();
    spare = r * Math.sin(th);
    return r * Math.cos(th);
  };
}

/**
 * Writes `count` draws of N(0, std²) into out[start ..]: the first `count` values of
 * normalStream(seed), times std, a pair per step (no closure call per value: the SGLD
 * chains draw one such run per batch row and step, sgld.ts).
 */
export function fillNormal(out: Float32Array, start: number, count: number, seed: number, std: number): void {
  // The stream's state stepped here rather than through uniformStream's closure, which V8
  // does not inline in this hot loop.
  let a = seed >>> 0;
  for (let i = 0; i < count; i += 2) {
    a = nextState(a);
    const r = boxMullerRadius(mix(a));
    a = nextState(a);
    const th = 2 * Math.PI * mix(a);
    out[start + i] = std * (r * Math.cos(th));
    if (i + 1 < count) out[start + i + 1] = std * (r * Math.sin(th));
  }
}

/** Fisher–Yates permutation of 0..n-1 from a seed. */
export function permutation(n: number, seed: number): Uint32Array {
  const u = uniformStream(seed);
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** Named random streams so that draws for different purposes never collide. */
export const Stream = {
  data: 2,
  reparam: 3,
  prior: 4,
  sgldVae: 5,
  sgldEbm: 6,
  sample: 7,
  probe: 8,
  augment: 9,
  sgldLatent: 10,
  decoderNoise: 11,
} as const;
