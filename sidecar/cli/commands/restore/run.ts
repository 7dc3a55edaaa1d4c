/** `ecvae restore`: zero-shot restoration of one image (app/restore.ts). */
import { selectBackend } from '../../../engine/core/backend.ts';
import { restore } from '../../../app/restore.ts';
import { checkParams, emit, outOf, UsageError } from '../../args.ts';
import type { RestoreOptions } from './options.ts';

export async function run(checkpoint: string, image: string, o: RestoreOptions): Promise<number> {
  if (o.reference && o.fromClean)
    throw new UsageError('--reference and --from-clean exclude each other (--from-clean makes the input its own reference).', 'restore');
  const options = {
    ...(o.steps !== undefined ? { steps: o.steps } : {}),
    ...(o.stepSize !== undefined ? { stepSize: o.stepSize } : {}),
    ...(o.energyWeight !== undefined ? { energyWeight: o.energyWeight } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
  };
  checkParams(
    'restore',
    {
      checkpoint,
      image,
      task: o.task,
      out: o.out,
      mask: o.mask,
      factor: o.factor,
      sigma: o.sigma,
      reference: o.reference,
      fromClean: Boolean(o.fromClean),
      ...options,
    },
    'restore',
  );
  const report = await selectBackend(o.backend ?? 'auto');
  const r = await restore(
    {
      checkpoint,
      image,
      task: o.task,
      out: o.out,
      ...options,
      fromClean: Boolean(o.fromClean),
      ...(o.mask ? { mask: o.mask } : {}),
      ...(o.factor ? { factor: o.factor } : {}),
      ...(o.sigma !== undefined ? { sigma: o.sigma } : {}),
      ...(o.reference ? { reference: o.reference } : {}),
      ...(o.compare ? { compare: o.compare } : {}),
    },
    { backend: report.requested },
  );
  emit(
    outOf(o),
    { ok: true, backend: report.backend, ...r },
    [
      `${r.degradation}: wrote ${o.out} (${r.secondsPerImage.toFixed(2)} s/image)`,
      ...(r.psnr !== undefined ? [`EC-VAE   PSNR ${r.psnr.toFixed(2)} dB  SSIM ${r.ssim!.toFixed(3)}`] : []),
      ...Object.entries(r.baselines)
        .filter(([, b]) => b.psnr !== undefined)
        .map(([k, b]) => `${k.padEnd(8)} PSNR ${b.psnr!.toFixed(2)} dB  SSIM ${b.ssim!.toFixed(3)}`),
      ...r.notes,
    ].join('\n'),
  );
  return 0;
}
