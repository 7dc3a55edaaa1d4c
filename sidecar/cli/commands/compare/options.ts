/** The typed options of `ecvae compare` (index.ts declares them as flags, run.ts acts on them). */
import type { Variant } from '../../../engine/eval/variants.ts';
import type { BackendOptions, InceptionFlags } from '../../args.ts';
import type { McmcSpace } from '../../../engine/algorithm/mcmcSpace.ts';

export interface CompareOptions extends BackendOptions, InceptionFlags {
  out?: string;
  iterations?: number;
  n: number;
  mcmcSteps?: number;
  mcmcSpace: McmcSpace;
  variants?: Variant[];
}
