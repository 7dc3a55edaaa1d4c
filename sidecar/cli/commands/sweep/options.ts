/** The typed options of `ecvae sweep` (index.ts declares them as flags, run.ts acts on them). */
import type { BackendOptions, InceptionFlags } from '../../args.ts';

export interface SweepOptions extends BackendOptions, InceptionFlags {
  seeds: string;
  set?: string[];
  out?: string;
  executor: 'local' | 'slurm';
  parallel?: number;
  iterations?: number;
  slurmOpt?: string[];
  wait?: boolean;
  status?: string;
  report?: string;
  n: number;
  mcmcSteps: number;
}
