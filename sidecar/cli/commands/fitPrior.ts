/** `ecvae fit-prior`: a RealNVP prior fitted post hoc on a finished run's encoder means, written as a new run folder (engine/jobs/fitPrior.ts). */
import { selectBackend } from '../../engine/core/backend.ts';
import { FIT_PRIOR_DEFAULTS, fitPrior } from '../../engine/jobs/fitPrior.ts';
import { backendFlag, checkParams, emit, intFlag, numFlag, UsageError, type Flags, type Out } from '../args.ts';

export const usage = `ecvae fit-prior <run-folder|checkpoint> [--out DIR] [--iterations 2000] [--batch-size 256] [--learning-rate 0.001] [--backend B] [--json]`;

export async function run(pos: string[], f: Flags, out: Out): Promise<number> {
  const source = pos[0];
  if (!source) throw new UsageError('fit-prior needs a run folder or checkpoint file.');
  const params = {
    source,
    ...(f.out ? { outDir: f.out as string } : {}),
    iterations: intFlag(f.iterations as string | undefined, 'iterations', 1) ?? FIT_PRIOR_DEFAULTS.iterations,
    batchSize: intFlag(f['batch-size'] as string | undefined, 'batch-size', 2) ?? FIT_PRIOR_DEFAULTS.batchSize,
    learningRate: numFlag(f['learning-rate'] as string | undefined, 'learning-rate') ?? FIT_PRIOR_DEFAULTS.learningRate,
  };
  checkParams('prior/fit', params);
  const report = await selectBackend(backendFlag(f.backend as string | undefined) ?? 'auto');
  const r = await fitPrior(source, { ...params, onLog: (m) => process.stderr.write(m + '\n') });
  emit(
    out,
    { ok: true, ...r, backend: report.backend },
    `wrote ${r.runDir}: held-out -log p(μ) ${r.heldOutNll.toFixed(3)} nats with the flow prior (step ${r.step}), ${r.gaussianHeldOutNll.toFixed(3)} with N(0, I)\ncheckpoint: ${r.checkpoint}`,
  );
  return 0;
}
