/** The typed options of `ecvae sample` (index.ts declares them as flags, run.ts acts on them). */
import type { BackendOptions } from '../../args.ts';
import type { McmcSpace } from '../../../engine/algorithm/mcmcSpace.ts';

export interface SampleOptions extends BackendOptions {
  out: string;
  n: number;
  seed: number;
  mcmcSteps: number;
  mcmcSpace: McmcSpace;
}
