/** `ecvae fit-prior`: a RealNVP prior fitted post hoc on a finished run's encoder means, written as a new run folder (app/fitPrior.ts). */
import { selectBackend } from '../../../engine/core/backend.ts';
import { fitPrior } from '../../../app/fitPrior.ts';
import { checkParams, emit, outOf } from '../../args.ts';
import type { FitPriorOptions } from './options.ts';

export async function run(source: string, o: FitPriorOptions): Promise<number> {
  const params = { source, ...(o.out ? { outDir: o.out } : {}), iterations: o.iterations, batchSize: o.batchSize, learningRate: o.learningRate };
  checkParams('prior/fit', params, 'fit-prior');
  const report = await selectBackend(o.backend ?? 'auto');
  const r = await fitPrior(params, { backend: report.requested, onLog: (m) => process.stderr.write(m + '\n') });
  emit(
    outOf(o),
    { ok: true, ...r, backend: report.backend },
    `wrote ${r.runDir}: held-out -log p(μ) ${r.heldOutNll.toFixed(3)} nats with the flow prior (step ${r.step}), ${r.gaussianHeldOutNll.toFixed(3)} with N(0, I)\ncheckpoint: ${r.checkpoint}`,
  );
  return 0;
}
