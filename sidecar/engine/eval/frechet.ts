/**
 * The Fréchet distance between Gaussian fits of two feature sets (the FID formula,
 * Heusel et al. 2017), in float64:
 *   ||mu_a - mu_b||^2 + Tr(S_a) + Tr(S_b) - 2 Tr((S_a S_b)^1/2)
 * with unbiased covariances (n - 1), as numpy's cov in the common PyTorch FID tool.
 * The feature space is the caller's: our own classifier's (fd) or an Inception network's (fid).
 *
 * Tr((S_a S_b)^1/2) is the sum of the square roots of the eigenvalues of S_a S_b. A
 * general matrix square root of S_a S_b (scipy's sqrtm) can turn complex or lose accuracy
 * when the covariances are singular, as they are whenever there are fewer samples than
 * dimensions; both routes here stay with symmetric positive semi-definite matrices:
 *  - covariances (n > d): S_a = V L V^T, W = V L^1/2; the eigenvalues of S_a S_b are
 *    those of the symmetric W^T S_b W;
 *  - samples (n <= d): with centred rows X scaled by 1/sqrt(n - 1), S = X^T X, and the
 *    nonzero eigenvalues of S_a S_b are those of M M^T with M = X_a X_b^T [n_a, n_b], so
 *    the trace is the sum of M's singular values; n_a n_b d + n^3 work instead of d^3.
 */
import { EigenvalueDecomposition, Matrix, SingularValueDecomposition } from 'ml-matrix';

export type FrechetRoute = 'covariances' | 'samples';

interface Moments {
  n: number;
  mean: Float64Array;
  trace: number;
}

function moments(f: Float32Array, d: number, what: string): Moments {
  const n = f.length / d;
  if (!Number.isInteger(n) || n < 2) throw new Error(`Fréchet distance: ${what} needs at least 2 rows of ${d} features (got ${f.length} values).`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += f[i * d + j]!;
  for (let j = 0; j < d; j++) mean[j]! /= n;
  let trace = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const v = f[i * d + j]!;
      if (!Number.isFinite(v)) throw new Error(`Fréchet distance: ${what} has a non-finite feature (row ${i}, column ${j}).`);
      trace += (v - mean[j]!) ** 2;
    }
  }
  return { n, mean, trace: trace / (n - 1) };
}

/** Centred rows scaled by 1/sqrt(n - 1), so that X^T X is the covariance. */
function scaledRows(f: Float32Array, m: Moments, d: number): Matrix {
  const s = 1 / Math.sqrt(m.n - 1);
  return new Matrix(Array.from({ length: m.n }, (_, i) => Float64Array.from({ length: d }, (_, j) => (f[i * d + j]! - m.mean[j]!) * s)));
}

/** The covariance [d, d]: rank-one updates of the upper triangle, mirrored at the end. */
function covariance(f: Float32Array, m: Moments, d: number): Matrix {
  const c = Array.from({ length: d }, () => new Float64Array(d));
  const row = new Float64Array(d);
  for (let i = 0; i < m.n; i++) {
    for (let j = 0; j < d; j++) row[j] = f[i * d + j]! - m.mean[j]!;
    for (let a = 0; a < d; a++) {
      const ra = row[a]!;
      if (ra === 0) continue;
      const ca = c[a]!;
      for (let b = a; b < d; b++) ca[b]! += ra * row[b]!;
    }
  }
  for (let a = 0; a < d; a++) {
    const ca = c[a]!;
    for (let b = a; b < d; b++) {
      ca[b]! /= m.n - 1;
      c[b]![a] = ca[b]!;
    }
  }
  return new Matrix(c);
}

const sumSqrt = (xs: number[]): number => xs.reduce((s, x) => s + Math.sqrt(Math.max(x, 0)), 0);

function traceSqrtByCovariances(a: Float32Array, ma: Moments, b: Float32Array, mb: Moments, d: number): number {
  const e = new EigenvalueDecomposition(covariance(a, ma, d), { assumeSymmetric: true });
  // W = V L^1/2 (negative round-off clipped to 0).
  const w = e.eigenvectorMatrix.clone();
  e.realEigenvalues.forEach((l, k) => w.mulColumn(k, Math.sqrt(Math.max(l, 0))));
  const c = w.transpose().mmul(covariance(b, mb, d).mmul(w));
  // Symmetric in exact arithmetic; made so before the symmetric solver sees it.
  const sym = c.add(c.transpose()).mul(0.5);
  return sumSqrt(new EigenvalueDecomposition(sym, { assumeSymmetric: true }).realEigenvalues);
}

function traceSqrtBySamples(a: Float32Array, ma: Moments, b: Float32Array, mb: Moments, d: number): number {
  const m = scaledRows(a, ma, d).mmul(scaledRows(b, mb, d).transpose());
  const svd = new SingularValueDecomposition(m, { computeLeftSingularVectors: false, computeRightSingularVectors: false, autoTranspose: true });
  return svd.diagonal.reduce((s, x) => s + Math.max(x, 0), 0);
}

/**
 * Fréchet distance between feature sets a [n_a, d] and b [n_b, d] (row-major). `route`
 * is for tests; by default the cheaper one is taken (samples when either set has no
 * more rows than dimensions).
 */
export function frechetDistance(a: Float32Array, b: Float32Array, d: number, route?: FrechetRoute): number {
  const ma = moments(a, d, 'the first feature set');
  const mb = moments(b, d, 'the second feature set');
  let meanTerm = 0;
  for (let j = 0; j < d; j++) meanTerm += (ma.mean[j]! - mb.mean[j]!) ** 2;
  const by = route ?? (Math.min(ma.n, mb.n) <= d ? 'samples' : 'covariances');
  const cross = by === 'samples' ? traceSqrtBySamples(a, ma, b, mb, d) : traceSqrtByCovariances(a, ma, b, mb, d);
  // Round-off can leave a tiny negative value when the two sets are the same.
  return Math.max(meanTerm + ma.trace + mb.trace - 2 * cross, 0);
}
