/**
 * The input gradient of a strided convolution (stride s, k x k filter, padding p) as s²
 * stride-1 convolutions of dy, one per phase (ry, rx) of the input's pixels, interleaved
 * by depthToSpace (the sub-pixel decomposition of a transposed convolution). Along one
 * axis, input pixel i = s·m + r only receives the taps k ≡ r + p (mod s):
 *   dx[s·m + r] = Σ_{j<J} dy[m + δ − j] · w[k0 + j·s],   k0 = (r + p) mod s,  δ = (r + p − k0) / s,  J = k / s
 * a J-tap correlation of dy (window from m + δ − J + 1) with those taps reversed.
 *
 * Why: conv.ts's general input gradient convolves dy dilated by the stride, so at stride
 * 2 three products in four are with inserted zeros; skipping them pays on the encoder's
 * 4x4 stride-2 layers (docs/performance.md, Kernels).
 */
import * as tf from '../core/tf.ts';
import { derived } from './filterCache.ts';
import { padOrCrop } from './spatialPad.ts';

/** Whether the decomposition covers this convolution: every phase has the same taps and output size. */
export function subPixelSuits(w: readonly number[], inShape: readonly number[], stride: number): boolean {
  const [kh, kw] = w as [number, number];
  const [, h, wd] = inShape as [number, number, number];
  return stride > 1 && kh % stride === 0 && kw % stride === 0 && h % stride === 0 && wd % stride === 0;
}

/** Along one axis, the zero padding [before, after] of dy (negative: a crop) for the `taps`-tap window of phase r. */
function phasePads(r: number, s: number, taps: number, pad: number, outLen: number, dyLen: number): [number, number] {
  const delta = (r + pad - ((r + pad) % s)) / s;
  const first = delta - taps + 1; // dy index of the window's first tap for output m = 0
  return [-first, outLen - 1 + delta - (dyLen - 1)];
}

/**
 * The phase filters of w [k,k,Ci,Co] at stride s: entry ry·s + rx is [J,J,Co,Ci], the taps
 * k0 + j·s of both axes reversed and in/out channels swapped; made once per FilterCache
 * scope. A phase is a 0/1 selection matrix times the filter's taps [k·k, Co·Ci]: TF.js's
 * WASM kernels for the alternatives are slow: a rank-6 Transpose of the tap split,
 * GatherV2 per phase, or Slice per tap (it copies its whole input first) all cost far more
 * than the one matMul (docs/performance.md, Kernels).
 */
function phaseFilters(w: tf.Tensor4D, s: number, pad: number): tf.Tensor4D[] {
  return derived(`subpixel ${s}/${pad}`, w, () =>
    tf.tidy(() => {
      const [kh, kw, ci, co] = w.shape;
      const [jh, jw] = [kh / s, kw / s];
      const taps = w.transpose([0, 1, 3, 2]).reshape([kh * kw, co * ci]);
      const tapsOf = (r: number, j: number): number[] => Array.from({ length: j }, (_, q) => ((r + pad) % s) + (j - 1 - q) * s);
      const out: tf.Tensor4D[] = [];
      for (let ry = 0; ry < s; ry++)
        for (let rx = 0; rx < s; rx++) {
          const select = new Float32Array(jh * jw * kh * kw);
          tapsOf(ry, jh).forEach((a, qy) => tapsOf(rx, jw).forEach((b, qx) => (select[(qy * jw + qx) * kh * kw + a * kw + b] = 1)));
          out.push(tf.matMul(tf.tensor2d(select, [jh * jw, kh * kw]), taps).reshape([jh, jw, co, ci]));
        }
      return out;
    }),
  );
}

/** dL/dx [B,H,W,Ci] of conv2d(x, w, stride s, padding `pad`) from dy [B,Ho,Wo,Co]; see the header. */
export function subPixelInputGrad(dy: tf.Tensor4D, w: tf.Tensor4D, inShape: readonly number[], s: number, pad: number): tf.Tensor4D {
  const [kh, kw] = w.shape;
  const [, h, wd] = inShape as [number, number, number];
  const [, ho, wo] = dy.shape;
  return tf.tidy(() => {
    const filters = phaseFilters(w, s, pad);
    const parts: tf.Tensor4D[] = [];
    for (let ry = 0; ry < s; ry++)
      for (let rx = 0; rx < s; rx++) {
        const [top, bottom] = phasePads(ry, s, kh / s, pad, h / s, ho);
        const [left, right] = phasePads(rx, s, kw / s, pad, wd / s, wo);
        const f = filters[ry * s + rx]!;
        parts.push(
          Math.min(top, bottom, left, right) >= 0
            ? tf.conv2d(dy, f, 1, [
                [0, 0],
                [top, bottom],
                [left, right],
                [0, 0],
              ])
            : tf.conv2d(padOrCrop(dy, top, bottom, left, right), f, 1, 'valid'),
        );
      }
    return interleave(parts, s);
  });
}

/**
 * The s·s phase images parts[ry·s + rx] [B,M,N,C] woven into [B,s·M,s·N,C] (pixel
 * (s·m + ry, s·n + rx) from part (ry, rx)) by channel concats and reshapes, far cheaper
 * than TF.js's generic WASM DepthToSpace.
 */
function interleave(parts: tf.Tensor4D[], s: number): tf.Tensor4D {
  const [b, m, n, c] = parts[0]!.shape;
  // Concatenating along C and reshaping interleaves columns: [.., n, rx·C + c] -> [.., s·n + rx, c].
  const rows = Array.from({ length: s }, (_, ry) => tf.concat(parts.slice(ry * s, ry * s + s), 3).reshape([b, m, s * n, c]));
  // Likewise rows, along W: [.., m, ry·sN + j] -> [.., s·m + ry, j].
  return tf.concat(rows, 2).reshape([b, s * m, s * n, c]);
}
