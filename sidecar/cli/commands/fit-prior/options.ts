/** The typed options of `ecvae fit-prior` (index.ts declares them as flags, run.ts acts on them). */
import type { BackendOptions } from '../../args.ts';

export interface FitPriorOptions extends BackendOptions {
  out?: string;
  iterations: number;
  batchSize: number;
  learningRate: number;
}
