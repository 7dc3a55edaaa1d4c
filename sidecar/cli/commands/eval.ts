/** `ecvae eval`: sample quality metrics of a checkpoint. */
import { selectBackend } from '../../engine/core/backend.ts';
import { evaluate } from '../../engine/eval/evaluate.ts';
import { loadTrained } from '../../engine/store/trainedModel.ts';
import { backendFlag, emit, intFlag, UsageError, type Flags, type Out } from '../args.ts';

export const usage = `ecvae eval <checkpoint|run-folder> [--n 1000] [--mcmc-steps K] [--seed S] [--json]`;

export async function run(pos: string[], f: Flags, out: Out): Promise<number> {
  const ck = pos[0];
  if (!ck) throw new UsageError('eval needs a checkpoint file or run folder.');
  const n = intFlag(f.n as string | undefined, 'n', 10) ?? 1000;
  const mcmcSteps = intFlag(f['mcmc-steps'] as string | undefined, 'mcmc-steps', 0) ?? 0;
  const seed = intFlag(f.seed as string | undefined, 'seed', 0) ?? 0;
  const report = await selectBackend(backendFlag(f.backend as string | undefined) ?? 'auto');
  const m = loadTrained(ck);
  try {
    const r = evaluate(m, { n, mcmcSteps, seed });
    emit(
      out,
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
