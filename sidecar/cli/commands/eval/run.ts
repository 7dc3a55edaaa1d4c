/** `ecvae eval`: sample quality metrics of a checkpoint. */
import { selectBackend } from '../../../engine/core/backend.ts';
import { evaluate } from '../../../engine/eval/evaluate.ts';
import { loadTrained } from '../../../engine/store/trainedModel.ts';
import { emit, outOf } from '../../args.ts';
import type { EvalOptions } from './index.ts';

export async function run(checkpoint: string, o: EvalOptions): Promise<number> {
  const report = await selectBackend(o.backend ?? 'auto');
  const m = loadTrained(checkpoint);
  try {
    const r = evaluate(m, { n: o.n, mcmcSteps: o.mcmcSteps, seed: o.seed });
    emit(
      outOf(o),
      { ok: true, checkpoint: m.file, iteration: m.iteration, backend: report.backend, ...r },
      [
        `${m.file} (iteration ${m.iteration}), ${r.n} ${r.sampler} samples, ${r.secondsPerImage.toExponential(2)} s/image:`,
        ...Object.entries(r.metrics).map(([k, v]) => `  ${k.padEnd(10)} ${v.toPrecision(5)}`),
        ...r.notes.map((x) => `note: ${x}`),
      ].join('\n'),
    );
  } finally {
    m.dispose();
  }
  return 0;
}
