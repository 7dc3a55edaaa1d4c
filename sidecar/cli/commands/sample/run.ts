/** `ecvae sample`: a grid of one-step (or MCMC-refined) samples from a checkpoint. */
import { sample } from '../../../app/sample.ts';
import { selectBackend } from '../../../engine/core/backend.ts';
import { checkParams, emit, outOf } from '../../args.ts';
import type { SampleOptions } from './options.ts';

export async function run(checkpoint: string, o: SampleOptions): Promise<number> {
  const out = outOf(o);
  const request = { checkpoint, out: o.out, n: o.n, mcmcSteps: o.mcmcSteps, mcmcSpace: o.mcmcSpace, seed: o.seed };
  checkParams('sample', request, 'sample');
  const report = await selectBackend(o.backend ?? 'auto');
  const r = await sample(request, { backend: report.requested });
  emit(out, { ok: true, ...r, backend: report.backend }, `wrote ${r.n} samples to ${o.out} (checkpoint ${r.checkpoint}, iteration ${r.iteration})`);
  return 0;
}
