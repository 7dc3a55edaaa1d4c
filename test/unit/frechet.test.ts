/**
 * The Fréchet distance against closed forms: both of its routes (covariances, samples),
 * singular covariances (fewer samples than dimensions, 2048-d as Inception's pool
 * features), and bad input. The check against an independent implementation (scipy) is
 * in test/integration/fid-reference.test.ts.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { frechetDistance, type FrechetRoute } from '../../sidecar/engine/eval/frechet.ts';
import { normalStream } from '../../sidecar/engine/core/rng.ts';

const ROUTES: FrechetRoute[] = ['covariances', 'samples'];

/**
 * 2d rows ±c_j e_j (+ shift): the mean is the shift and the sample covariance exactly
 * diag(2 c_j^2 / (2d - 1)).
 */
function axisSet(c: number[], shift: number[]): { x: Float32Array; variance: number[] } {
  const d = c.length;
  const x = new Float32Array(2 * d * d);
  for (let j = 0; j < d; j++) {
    for (let k = 0; k < d; k++) {
      x[2 * j * d + k] = shift[k]! + (k === j ? c[j]! : 0);
      x[(2 * j + 1) * d + k] = shift[k]! - (k === j ? c[j]! : 0);
    }
  }
  return { x, variance: c.map((v) => (2 * v * v) / (2 * d - 1)) };
}

function cloud(n: number, d: number, seed: number): Float32Array {
  const g = normalStream(seed);
  // Correlated, unequal scales: each row is a random walk over the dimensions.
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let j = 0; j < d; j++) x[i * d + j] = acc = 0.7 * acc + g() * (1 + (j % 5));
  }
  return x;
}

const close = (got: number, want: number, rtol: number, what: string): void =>
  assert.ok(Math.abs(got - want) <= rtol * Math.abs(want), `${what}: got ${got}, expected ${want} (rtol ${rtol})`);

test('Fréchet distance of diagonal Gaussians: ||shift||^2 + sum (sqrt(v_a) - sqrt(v_b))^2, by both routes', () => {
  const a = axisSet([1, 2, 0.5, 3, 1.5], [0, 0, 0, 0, 0]);
  const b = axisSet([2, 2, 0.25, 1, 4], [1, -2, 0.5, 0, 3]);
  const want = 1 + 4 + 0.25 + 0 + 9 + a.variance.reduce((s, v, j) => s + (Math.sqrt(v) - Math.sqrt(b.variance[j]!)) ** 2, 0);
  for (const route of ROUTES) close(frechetDistance(a.x, b.x, 5, route), want, 1e-6, route);
});

test('Fréchet distance: the two routes agree on full-rank and on singular covariances', () => {
  // On singular covariances the covariance route takes square roots of round-off-sized
  // eigenvalues (1e-13 -> 3e-7 each), hence the looser tolerance there.
  for (const [na, nb, d, rtol] of [
    [60, 80, 12, 1e-9],
    [9, 14, 30, 1e-7],
  ] as const) {
    const a = cloud(na, d, 1);
    const b = cloud(nb, d, 2).map((v, i) => 1.3 * v + (i % d) * 0.1);
    close(frechetDistance(a, b, d, 'samples'), frechetDistance(a, b, d, 'covariances'), rtol, `n ${na}/${nb}, d ${d}`);
  }
});

test('Fréchet distance on 2048-d features with fewer samples than dimensions: exact for a shift and a scaling', () => {
  const d = 2048;
  const a = cloud(40, d, 3);
  const mean = new Float64Array(d);
  for (let i = 0; i < 40; i++) for (let j = 0; j < d; j++) mean[j]! += a[i * d + j]! / 40;
  let traceA = 0;
  for (let i = 0; i < 40; i++) for (let j = 0; j < d; j++) traceA += (a[i * d + j]! - mean[j]!) ** 2 / 39;
  // Same covariance, so Tr((S S)^1/2) = Tr(S) and only the mean term remains.
  const shifted = a.map((v) => v + 0.5);
  close(frechetDistance(a, shifted, d), 0.25 * d, 1e-6, 'shift by 0.5');
  assert.ok(frechetDistance(a, a, d) <= 1e-9 * traceA, 'a set against itself');
  // b = 2a: S_b = 4 S_a, Tr((4 S_a^2)^1/2) = 2 Tr(S_a): FD = ||mean||^2 + Tr(S_a).
  const doubled = a.map((v) => 2 * v);
  close(frechetDistance(a, doubled, d), mean.reduce((s, m) => s + m * m, 0) + traceA, 1e-6, 'scale by 2');
});

test('Fréchet distance refuses sets it cannot fit', () => {
  assert.throws(() => frechetDistance(new Float32Array(4), new Float32Array(8), 4), /at least 2 rows/);
  assert.throws(() => frechetDistance(new Float32Array(7), new Float32Array(8), 4), /at least 2 rows/);
  const bad = new Float32Array(8);
  bad[5] = NaN;
  assert.throws(
    () =>
      frechetDistance(
        new Float32Array(8).map((_, i) => i),
        bad,
        4,
      ),
    /non-finite feature \(row 1, column 1\)/,
  );
});
