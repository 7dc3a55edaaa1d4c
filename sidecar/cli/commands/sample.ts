/** `ecvae sample`: a grid of one-step (or MCMC-refined) samples from a checkpoint. */
import { selectBackend } from '../../engine/core/backend.ts';
import { sampleToFile } from '../../engine/jobs/actions.ts';
import { backendFlag, checkParams, emit, intFlag, UsageError, type Flags, type Out } from '../args.ts';

export const usage = `ecvae sample <checkpoint|run-folder> --out grid.png [--n 64] [--seed S] [--mcmc-steps K] [--backend B] [--json]`;

export async function run(pos: string[], f: Flags, out: Out): Promise<number> {
  const ck = pos[0];
  if (!ck) throw new UsageError('sample needs a checkpoint file or run folder.');
  const file = f.out as string | undefined;
  if (!file) throw new UsageError('sample needs --out grid.png.');
  const request = {
    checkpoint: ck,
    out: file,
    n: intFlag(f.n as string | undefined, 'n', 1) ?? 64,
    mcmcSteps: intFlag(f['mcmc-steps'] as string | undefined, 'mcmc-steps', 0) ?? 0,
    seed: intFlag(f.seed as string | undefined, 'seed', 0) ?? 0,
  };
  checkParams('sample', request);
  const report = await selectBackend(backendFlag(f.backend as string | undefined) ?? 'auto');
  const r = sampleToFile(request);
  emit(out, { ok: true, ...r, backend: report.backend }, `wrote ${r.n} samples to ${file} (checkpoint ${r.checkpoint}, iteration ${r.iteration})`);
  return 0;
}
