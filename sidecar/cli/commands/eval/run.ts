/** `ecvae eval`: sample quality metrics of a checkpoint (app/evaluate.ts). */
import { evaluate } from '../../../app/evaluate.ts';
import { selectBackend } from '../../../engine/core/backend.ts';
import { describeDistance } from '../../../engine/eval/evaluate.ts';
import { emit, inceptionOf, outOf } from '../../args.ts';
import type { EvalOptions } from './options.ts';

export async function run(checkpoint: string, o: EvalOptions): Promise<number> {
  const inception = inceptionOf(o, 'eval');
  const report = await selectBackend(o.backend ?? 'auto');
  const r = await evaluate(
    { checkpoint, n: o.n, mcmcSteps: o.mcmcSteps, mcmcSpace: o.mcmcSpace, seed: o.seed, ...(inception ? { inception } : {}) },
    { backend: report.requested },
  );
  emit(
    outOf(o),
    { ok: true, ...r },
    [
      `${r.checkpoint} (iteration ${r.iteration}), ${r.n} ${r.sampler}${r.mcmcSpace === 'latent' ? ' (latent)' : ''} samples, ${r.secondsPerImage.toExponential(2)} s/image:`,
      ...Object.entries(r.metrics).map(([k, v]) => `  ${k.padEnd(10)} ${v.toPrecision(5)}`),
      ...Object.entries(r.distances ?? {}).map(([k, d]) => describeDistance(k, d)),
      ...r.notes.map((x) => `note: ${x}`),
    ].join('\n'),
  );
  return 0;
}
