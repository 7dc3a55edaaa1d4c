/**
 * One SGLD step after the energy's gradient (sgld.ts), fused into one WASM kernel
 * (kernels/assembly/langevin.ts): the annealed proximity term's gradient (with the
 * distance its threshold tests), the Langevin update, its noise (drawn as
 * ops/rowNoise.ts draws it) and the drift's sum.
 * Why: TF.js ran ~60 kernels per step for these (tf.grad through the proximity term, the
 * update's elementwise ops), a visible share of each SGLD step, where one kernel pass
 * costs a fraction of it (docs/performance.md, Kernels). sgld.ts keeps the TF.js formulation
 * wherever this cannot run (other backends; rows whose size is not a multiple of 4).
 */
import * as tf from '../core/tf.ts';
import { rowSeeds } from './rowNoise.ts';
import { offsetOf, ourKernelsAvailable, registerWasmKernel, withInts } from './wasmKernels.ts';

const LANGEVIN = 'EcvaeLangevinStep';

export interface LangevinStepOptions {
  /** w of the proximity term w·(relu(d - t) + t); 0 leaves it out. */
  proximityWeight: number;
  threshold: number;
  stepSize: number;
  /** The noise's standard deviation (0: none). */
  noiseStd: number;
  /** The noise of rows [rowOffset, ..) at chain step `step` (rowNoise.ts). */
  seed: number;
  step: number;
  rowOffset: number;
}

function register(): void {
  if (tf.getKernel(LANGEVIN, 'wasm')) return;
  registerWasmKernel(LANGEVIN, ({ x, g, cs, drift }, attrs, b, k) => {
    const a = attrs as unknown as LangevinStepOptions;
    const rows = x!.shape[0]!;
    const size = tf.util.sizeFromShape(x!.shape) / rows;
    const outX = b.makeOutput(x!.shape, 'float32'),
      outDrift = b.makeOutput(x!.shape, 'float32');
    const at = (t: tf.TensorInfo): number => offsetOf(b, t);
    withInts(b, rowSeeds(a.seed, a.step, a.rowOffset, rows), 64, (seeds, scratch) =>
      k.langevinStep(
        at(x!),
        at(g!),
        at(cs!),
        at(drift!),
        rows,
        size,
        a.proximityWeight,
        a.threshold,
        a.stepSize / 2,
        a.noiseStd,
        seeds,
        at(outX),
        at(outDrift),
        scratch,
      ),
    );
    return [outX, outDrift];
  });
}

/** Whether fusedLangevinStep can run a chain on tensors shaped like x here. */
export function fusedLangevinAvailable(x: tf.Tensor): boolean {
  return (x.size / x.shape[0]!) % 4 === 0 && ourKernelsAvailable();
}

/**
 * x' = x - (η/2)·(gE + w·∇prox(x)) + noise and drift' = drift - (η/2)·(...), given the
 * energy's gradient gE and the clipped source cs (see the kernel's header).
 */
export function fusedLangevinStep(x: tf.Tensor, gE: tf.Tensor, cs: tf.Tensor, drift: tf.Tensor, o: LangevinStepOptions): { x: tf.Tensor; drift: tf.Tensor } {
  register();
  const [nx, nd] = tf.engine().runKernel(LANGEVIN, { x, g: gE, cs, drift }, { ...o } as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
  return { x: nx!, drift: nd! };
}
