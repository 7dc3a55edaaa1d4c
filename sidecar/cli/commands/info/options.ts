/** The typed options of `ecvae info` (index.ts declares them as flags, run.ts acts on them). */
import type { BackendOptions } from '../../args.ts';

export interface InfoOptions extends BackendOptions {
  model?: string;
}
