/** The typed options of `ecvae restore` (index.ts declares them as flags, run.ts acts on them). */
import type { Task } from '../../../restorationTasks.ts';
import type { BackendOptions } from '../../args.ts';

export interface RestoreOptions extends BackendOptions {
  task: Task;
  out: string;
  mask?: string;
  factor?: number;
  sigma?: number;
  reference?: string;
  fromClean?: boolean;
  steps?: number;
  stepSize?: number;
  energyWeight?: number;
  seed?: number;
  compare?: string;
}
