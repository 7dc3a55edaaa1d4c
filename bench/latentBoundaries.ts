/**
 * Where a decoder of a 2-D latent misses the modes, from its values on a square grid of
 * the latent plane (bench/toy-ceiling.ts). A continuous decoder must cross the gap
 * wherever two neighbouring latent regions go to different modes; the prior mass it
 * spends crossing is what one-step sampling loses. Pure: the grid and its decoded points
 * in, the measures out, so a decoder whose answer is known tests it.
 */

export interface LatentGrid {
  /** Points per side; cell (i, j) is the latent (at(i), at(j)), at(i) = −extent + i·h. */
  size: number;
  extent: number;
  /** The decoded point of each cell, row-major: x, y of cell i·size + j at 2·(i·size + j). */
  decoded: Float32Array;
  /** Mode centres, and how far from its nearest centre a point still counts as on that mode. */
  modes: readonly (readonly [number, number])[];
  radius: number;
}

export interface BoundaryReport {
  /** The standard normal prior's mass inside the grid. */
  priorMassOnGrid: number;
  /** The prior mass whose decoded point is off every mode (1 − hqRatio as the samples → ∞). */
  offMass: number;
  /**
   * For each distance d (latent units, in steps along the grid, so the band around a slanted
   * boundary is narrower than d): the share of offMass within d of a boundary (0 when nothing is off).
   */
  offNearBoundary: Record<string, number>;
  /** For each d: the prior mass within d of a boundary, for comparison. */
  boundaryMass: Record<string, number>;
  /** Prior-weighted length of the boundaries between modes' regions: ∫ φ(z) along them. */
  boundaryLength: number;
  /** offMass over boundaryLength: how wide, in latent units, a crossing is (NaN without a boundary). */
  transitionWidth: number;
  /** Median ‖∂x/∂z‖ (central differences) on a mode and off it, inside the prior's 2σ disc. */
  slope: { onMode: number; offMode: number };
}

/** The latents of a grid's cells, laid out as LatentGrid.decoded: cell (i, j) is (at(i), at(j)) at 2·(i·size + j). */
export function gridLatents(size: number, extent: number): Float32Array {
  const h = (2 * extent) / (size - 1);
  const z = new Float32Array(size * size * 2);
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) z.set([-extent + i * h, -extent + j * h], 2 * (i * size + j));
  return z;
}

/** Distances (latent units) at which offNearBoundary and boundaryMass are reported. */
const BANDS = [0.05, 0.1, 0.2, 0.4] as const;

export function boundaryReport(g: LatentGrid): BoundaryReport {
  const { size: G, extent: E, decoded: x } = g;
  const n = G * G;
  const h = (2 * E) / (G - 1);
  const at = (i: number): number => -E + i * h;
  const row = (c: number): number => Math.floor(c / G);
  const col = (c: number): number => c % G;

  const label = new Int32Array(n);
  const on = new Uint8Array(n);
  const weight = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    let best = Infinity;
    g.modes.forEach(([mx, my], k) => {
      const d = (x[2 * c]! - mx) ** 2 + (x[2 * c + 1]! - my) ** 2;
      if (d < best) [best, label[c]] = [d, k];
    });
    on[c] = Math.sqrt(best) <= g.radius ? 1 : 0;
    const [zi, zj] = [at(row(c)), at(col(c))];
    weight[c] = priorDensity(zi, zj) * h * h;
  }
  const massWhere = (pick: (c: number) => boolean): number => {
    let s = 0;
    for (let c = 0; c < n; c++) if (pick(c)) s += weight[c]!;
    return s;
  };

  // Boundary cells: a 4-neighbour goes to another mode. Then each cell's distance to one, breadth first: in
  // steps along the grid, so a band "within d" of a slanted boundary is narrower than d.
  const neighbours = (c: number): number[] => {
    const [i, j] = [row(c), col(c)];
    return [i > 0 ? c - G : -1, i < G - 1 ? c + G : -1, j > 0 ? c - 1 : -1, j < G - 1 ? c + 1 : -1].filter((m) => m >= 0);
  };
  const dist = new Int32Array(n).fill(-1);
  let queue: number[] = [];
  for (let c = 0; c < n; c++)
    if (neighbours(c).some((m) => label[m] !== label[c])) {
      dist[c] = 0;
      queue.push(c);
    }
  while (queue.length) {
    const next: number[] = [];
    for (const c of queue)
      for (const m of neighbours(c))
        if (dist[m] === -1) {
          dist[m] = dist[c]! + 1;
          next.push(m);
        }
    queue = next;
  }
  const boundaryLength = priorWeightedLength(label, g.modes.length, G, h, at);
  const near = (c: number, d: number): boolean => dist[c]! >= 0 && dist[c]! * h <= d;

  const offMass = massWhere((c) => !on[c]);
  const slopeAt = (c: number): number => {
    const [i, j] = [row(c), col(c)];
    if (i === 0 || j === 0 || i === G - 1 || j === G - 1) return NaN;
    let s = 0;
    for (const [a, b] of [
      [c + G, c - G],
      [c + 1, c - 1],
    ] as const)
      for (const k of [0, 1]) s += ((x[2 * a + k]! - x[2 * b + k]!) / (2 * h)) ** 2;
    return Math.sqrt(s);
  };
  // Only inside the prior's 2σ disc: far out the prior has no mass worth describing.
  const cells = [...Array(n).keys()].filter((c) => at(row(c)) ** 2 + at(col(c)) ** 2 <= 4);

  return {
    priorMassOnGrid: massWhere(() => true),
    offMass,
    offNearBoundary: Object.fromEntries(BANDS.map((d) => [d, offMass > 0 ? massWhere((c) => !on[c] && near(c, d)) / offMass : 0])),
    boundaryMass: Object.fromEntries(BANDS.map((d) => [d, massWhere((c) => near(c, d))])),
    boundaryLength,
    transitionWidth: boundaryLength > 0 ? offMass / boundaryLength : NaN,
    slope: { onMode: median(cells.filter((c) => on[c]).map(slopeAt)), offMode: median(cells.filter((c) => !on[c]).map(slopeAt)) },
  };
}

/**
 * ∫ φ(z) dℓ along the boundaries. Neighbours that differ along z1 cross a boundary; summed
 * with weight h·φ at their midpoint they give ∫ |n₁| φ dℓ (n the boundary's unit normal),
 * and those along z2 give ∫ |n₂| φ dℓ. Counting crossings alone would read a diagonal
 * boundary √2 too long, and counting boundary cells √2 too short; so each pair of regions'
 * boundary is taken as straight: its length is √(S₁² + S₂²), exact for a straight one and a
 * little short for a curved one or one in pieces.
 */
function priorWeightedLength(label: Int32Array, regions: number, G: number, h: number, at: (i: number) => number): number {
  const sums = new Map<number, [number, number]>();
  const cross = (a: number, b: number, axis: 0 | 1, z1: number, z2: number): void => {
    if (a === b) return;
    const key = Math.min(a, b) * regions + Math.max(a, b);
    const s = sums.get(key) ?? [0, 0];
    s[axis] += h * priorDensity(z1, z2);
    sums.set(key, s);
  };
  for (let i = 0; i < G; i++)
    for (let j = 0; j < G; j++) {
      const c = i * G + j;
      if (i < G - 1) cross(label[c]!, label[c + G]!, 0, at(i) + h / 2, at(j));
      if (j < G - 1) cross(label[c]!, label[c + 1]!, 1, at(i), at(j) + h / 2);
    }
  let length = 0;
  for (const [s1, s2] of sums.values()) length += Math.hypot(s1, s2);
  return length;
}

/** The standard normal density on the plane. */
function priorDensity(z1: number, z2: number): number {
  return Math.exp(-(z1 * z1 + z2 * z2) / 2) / (2 * Math.PI);
}

function median(v: number[]): number {
  const s = v.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
}
