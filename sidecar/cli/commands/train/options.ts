/** The typed options of `ecvae train` (index.ts declares them as flags, run.ts acts on them). */
import type { BackendOptions } from '../../args.ts';

export interface TrainOptions extends BackendOptions {
  out?: string;
  iterations?: number;
  resume?: boolean;
}
