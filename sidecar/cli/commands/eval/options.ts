/** The typed options of `ecvae eval` (index.ts declares them as flags, run.ts acts on them). */
import type { BackendOptions, InceptionFlags } from '../../args.ts';
import type { McmcSpace } from '../../../engine/algorithm/mcmcSpace.ts';

export interface EvalOptions extends BackendOptions, InceptionFlags {
  n: number;
  mcmcSteps: number;
  mcmcSpace: McmcSpace;
  seed: number;
}
