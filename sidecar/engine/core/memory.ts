/**
 * A rough estimate of the memory one training iteration needs, checked before training
 * starts: on the WASM backend each thread's heap ends at 4 GiB (wasm32), and a config
 * past it aborts inside XNNPACK ("Aborted()", "memory access out of bounds") instead of
 * failing cleanly. The estimate counts parameters with their Adam moments and gradient,
 * and the activations of the forward and backward passes of all three networks for the
 * rows of the batch one thread holds, with a factor for kernel scratch (Winograd
 * transforms, composed gradients). It errs high; it only has to catch configs that
 * cannot run (docs/performance.md, "Memory on WASM").
 */
import type { EcvaeModel } from '../models/index.ts';

/** wasm32 heap minus room for the runtime and fragmentation. */
export const WASM_HEAP_BUDGET = 3.5 * 2 ** 30;
const BYTES = 4;
/** Forward outputs, saved inputs and their gradients, plus kernel scratch. */
const ACTIVATION_FACTOR = 6;
/**
 * Copies of each parameter a thread holds: the value, two Adam moments and the gradient,
 * plus the cached Winograd transform (36 values per 3x3 filter's 9) and the flipped
 * filter of the input gradient. Measured: width 512 (MNIST, batch 32, one thread) runs
 * at 4.1 GB resident; width 1024 aborts the wasm heap.
 */
const PARAM_FACTOR = 10;

/** Float values a forward pass of each network produces per example (every layer's output). */
export function activationsPerExample(model: EcvaeModel): number {
  if (model.activationsPerExample !== undefined) return model.activationsPerExample;
  const shape = model.dataShape;
  const D = shape.reduce((a, b) => a * b, 1);
  let total = 0;
  // Every parameterised layer's output has as many values per example as its bias, times its spatial size.
  for (const spec of [...model.specs.enc, ...model.specs.dec, ...model.specs.ebm]) {
    if (!spec.name.endsWith('.b')) continue;
    const channels = spec.shape[0]!;
    total += channels * spatialSize(model, spec.name);
  }
  return total + 2 * D;
}

/** Pixels of the feature map a conv layer writes (1 for dense layers and MLPs). */
function spatialSize(model: EcvaeModel, name: string): number {
  if (model.kind !== 'conv' || !/conv|stem|out/.test(name) || /\.fc\.|head/.test(name)) return 1;
  const [S] = model.dataShape as [number];
  const level = Number(/conv(\d+)/.exec(name)?.[1] ?? 0);
  if (name.startsWith('enc.')) return (S / 2 ** (level + 1)) ** 2;
  if (name.startsWith('dec.')) {
    const levels = model.specs.dec.filter((s) => /^dec\.conv\d+\.b$/.test(s.name)).length;
    return name.startsWith('dec.out') ? S * S : (S / 2 ** (levels - 1 - level)) ** 2;
  }
  return name.startsWith('ebm.stem') ? S * S : (S / 2 ** level) ** 2;
}

export interface MemoryEstimate {
  paramBytes: number;
  activationBytes: number;
  /** What one thread holds: all parameters, its share of the rows. */
  perThreadBytes: number;
}

export function estimateTrainingMemory(model: EcvaeModel, batch: number, threads: number): MemoryEstimate {
  const params = [...model.specs.enc, ...model.specs.dec, ...model.specs.ebm].reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  const paramBytes = params * BYTES * PARAM_FACTOR;
  const activationBytes = activationsPerExample(model) * batch * BYTES * ACTIVATION_FACTOR;
  return { paramBytes, activationBytes, perThreadBytes: paramBytes + activationBytes / Math.max(1, threads) };
}

const gib = (b: number): string => `${(b / 2 ** 30).toFixed(1)} GB`;

/** Undefined when the config fits the backend; otherwise why not and what to lower. */
export function memoryProblem(model: EcvaeModel, batch: number, threads: number, backend: string): string | undefined {
  if (backend !== 'wasm') return undefined; // native and GPU backends report their own out-of-memory errors
  const e = estimateTrainingMemory(model, batch, threads);
  if (e.perThreadBytes <= WASM_HEAP_BUDGET) return undefined;
  return (
    `This model and batch need about ${gib(e.perThreadBytes)} per thread on the wasm backend (parameters and optimiser ${gib(e.paramBytes)}, ` +
    `activations ${gib(e.activationBytes / Math.max(1, threads))}), more than its ${gib(WASM_HEAP_BUDGET)} heap. Lower model.width, model.hidden or training.batchSize.`
  );
}
