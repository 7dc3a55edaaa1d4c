/** bench/latentBoundaries.ts on decoders whose answer is known in closed form. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { boundaryReport, gridLatents, type LatentGrid } from '../../bench/latentBoundaries.ts';

const SIZE = 401;
const EXTENT = 4;
const phi = (z: number): number => Math.exp(-(z * z) / 2) / Math.sqrt(2 * Math.PI);
/** erf by Abramowitz and Stegun 7.1.26 (error below 1.5e-7). */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return Math.sign(x) * y;
}

/** The grid decoded by `f`, with the given modes. */
function grid(f: (z1: number, z2: number) => [number, number], modes: [number, number][], radius: number): LatentGrid {
  const z = gridLatents(SIZE, EXTENT);
  const decoded = new Float32Array(z.length);
  for (let c = 0; c < z.length; c += 2) decoded.set(f(z[c]!, z[c + 1]!), c);
  return { size: SIZE, extent: EXTENT, decoded, modes, radius };
}

const near = (actual: number, expected: number, rel: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${what}: ${actual}, expected ${expected} within ${rel * 100}%`);

test('a linear crossing of width 2a between two modes: off mass, boundary length, width and slopes', () => {
  // x = (clamp(z1 / a), 0): on a mode where |z1| ≥ 0.9a (radius 0.1 around ±1), a ramp of slope 1/a between.
  const a = 0.1;
  const r = boundaryReport(
    grid(
      (z1) => [Math.max(-1, Math.min(1, z1 / a)), 0],
      [
        [-1, 0],
        [1, 0],
      ],
      0.1,
    ),
  );
  near(r.priorMassOnGrid, 1, 1e-3, 'prior mass on the grid');
  near(r.offMass, erf((0.9 * a) / Math.SQRT2), 0.05, 'off mass');
  // One straight boundary through the origin: its prior-weighted length is φ(0).
  near(r.boundaryLength, phi(0), 0.01, 'boundary length');
  near(r.transitionWidth, r.offMass / phi(0), 0.01, 'transition width');
  near(r.transitionWidth, 2 * 0.9 * a, 0.05, 'transition width against the ramp');
  // Every off point lies within 0.9a < 0.1 of the boundary; half the ramp lies within 0.05.
  assert.ok(r.offNearBoundary['0.1']! > 0.99, JSON.stringify(r.offNearBoundary));
  assert.ok(r.offNearBoundary['0.05']! > 0.5 && r.offNearBoundary['0.05']! < 0.75, JSON.stringify(r.offNearBoundary));
  near(r.boundaryMass['0.4']!, erf(0.4 / Math.SQRT2), 0.05, 'mass within 0.4 of the boundary');
  assert.equal(r.slope.onMode, 0);
  near(r.slope.offMode, 1 / a, 0.01, 'slope on the ramp');
});

test('an ideal 5 x 5 partition into equal-mass cells has boundary length 2·Σ φ(Φ⁻¹(q)) ≈ 2.67', () => {
  // Quantiles of the standard normal at 0.2, 0.4, 0.6, 0.8.
  const cuts = [-0.8416212335729143, -0.2533471031357997, 0.2533471031357997, 0.8416212335729143];
  const cell = (z: number): number => cuts.filter((c) => z > c).length;
  const modes: [number, number][] = [];
  for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) modes.push([i, j]);
  const r = boundaryReport(grid((z1, z2) => [cell(z1), cell(z2)], modes, 0.1));
  const expected = 2 * cuts.reduce((s, c) => s + phi(c), 0);
  near(expected, 2.665, 1e-3, 'the closed form');
  near(r.boundaryLength, expected, 0.01, 'boundary length');
  assert.equal(r.offMass, 0);
  assert.equal(r.transitionWidth, 0);
  assert.deepEqual(Object.values(r.offNearBoundary), [0, 0, 0, 0]);
});

test('a slanted boundary is measured at its length, not √2 off as crossing or cell counts would', () => {
  // Two regions split by the line z·u = 0.5, u a unit vector at 30° and at 45°; ∫ φ along it is φ(0.5).
  for (const deg of [30, 45]) {
    const [u1, u2] = [Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)];
    const r = boundaryReport(
      grid(
        (z1, z2) => (z1 * u1 + z2 * u2 > 0.5 ? [1, 0] : [-1, 0]),
        [
          [-1, 0],
          [1, 0],
        ],
        0.1,
      ),
    );
    near(r.boundaryLength, phi(0.5), 0.01, `boundary length at ${deg}°`);
  }
});

test('one region and no boundary: nothing is near a boundary and the width is undefined', () => {
  const r = boundaryReport(
    grid(
      () => [0, 3],
      [
        [0, 0],
        [5, 5],
      ],
      0.1,
    ),
  );
  near(r.offMass, r.priorMassOnGrid, 1e-9, 'everything is off the modes');
  assert.equal(r.boundaryLength, 0);
  assert.ok(Number.isNaN(r.transitionWidth));
  assert.deepEqual(Object.values(r.boundaryMass), [0, 0, 0, 0]);
  assert.deepEqual(Object.values(r.offNearBoundary), [0, 0, 0, 0]);
  assert.ok(Number.isNaN(r.slope.onMode), 'no cell is on a mode');
  assert.equal(r.slope.offMode, 0);
});
