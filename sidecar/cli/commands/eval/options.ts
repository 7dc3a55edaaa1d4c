/** The typed options of `ecvae eval` (index.ts declares them as flags, run.ts acts on them). */
import type { BackendOptions, InceptionFlags } from '../../args.ts';

export interface EvalOptions extends BackendOptions, InceptionFlags {
  n: number;
  mcmcSteps: number;
  seed: number;
}
