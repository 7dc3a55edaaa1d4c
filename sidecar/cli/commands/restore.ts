/** `ecvae restore`: zero-shot restoration of one image; the tasks come from the task table (restorationTasks.ts). */
import { selectBackend } from '../../engine/core/backend.ts';
import { restoreFile } from '../../engine/restore/restoreFile.ts';
import { TASK_NAMES, type Task } from '../../restorationTasks.ts';
import { backendFlag, checkParams, emit, intFlag, numFlag, UsageError, type Flags, type Out } from '../args.ts';

export const usage = `ecvae restore <checkpoint|run-folder> <image> --task ${TASK_NAMES.join('|')} --out out.png
        [--mask m.png|center|half|random:P] [--factor 4] [--sigma 0.1] [--reference clean.png | --from-clean]
        [--steps 50] [--step-size S] [--energy-weight W] [--seed S] [--compare strip.png] [--json]`;

export async function run(pos: string[], f: Flags, out: Out): Promise<number> {
  const [ck, imageFile] = pos;
  if (!ck || !imageFile) throw new UsageError('restore needs a checkpoint (or run folder) and an image.');
  const task = f.task as Task | undefined;
  if (!task || !TASK_NAMES.includes(task)) throw new UsageError(`restore needs --task ${TASK_NAMES.join('|')}.`);
  const file = f.out as string | undefined;
  if (!file) throw new UsageError('restore needs --out restored.png.');
  if (f.reference && f['from-clean']) throw new UsageError('--reference and --from-clean exclude each other (--from-clean makes the input its own reference).');
  const factor = intFlag(f.factor as string | undefined, 'factor', 1);
  const sigma = numFlag(f.sigma as string | undefined, 'sigma');
  const options = {
    ...(f.steps !== undefined ? { steps: intFlag(f.steps as string, 'steps', 1)! } : {}),
    ...(f['step-size'] !== undefined ? { stepSize: numFlag(f['step-size'] as string, 'step-size')! } : {}),
    ...(f['energy-weight'] !== undefined ? { energyWeight: numFlag(f['energy-weight'] as string, 'energy-weight')! } : {}),
    ...(f.seed !== undefined ? { seed: intFlag(f.seed as string, 'seed', 0)! } : {}),
  };
  checkParams('restore', {
    checkpoint: ck,
    image: imageFile,
    task,
    out: file,
    mask: f.mask,
    factor,
    sigma,
    reference: f.reference,
    fromClean: Boolean(f['from-clean']),
    steps: options.steps,
  });
  const report = await selectBackend(backendFlag(f.backend as string | undefined) ?? 'auto');
  const r = await restoreFile({
    checkpoint: ck,
    image: imageFile,
    task,
    out: file,
    options,
    fromClean: Boolean(f['from-clean']),
    ...(f.mask ? { mask: f.mask as string } : {}),
    ...(factor ? { factor } : {}),
    ...(sigma !== undefined ? { sigma } : {}),
    ...(f.reference ? { reference: f.reference as string } : {}),
    ...(f.compare ? { compare: f.compare as string } : {}),
  });
  emit(
    out,
    { ok: true, backend: report.backend, ...r },
    [
      `${r.degradation}: wrote ${file} (${r.secondsPerImage.toFixed(2)} s/image)`,
      ...(r.psnr !== undefined ? [`EC-VAE   PSNR ${r.psnr.toFixed(2)} dB  SSIM ${r.ssim!.toFixed(3)}`] : []),
      ...Object.entries(r.baselines)
        .filter(([, b]) => b.psnr !== undefined)
        .map(([k, b]) => `${k.padEnd(8)} PSNR ${b.psnr!.toFixed(2)} dB  SSIM ${b.ssim!.toFixed(3)}`),
      ...r.notes,
    ].join('\n'),
  );
  return 0;
}
