/** `ecvae restore`: its options and help; the work is in run.ts, loaded only when it runs. The tasks come from the task table. */
import { Command, Option } from 'commander';
import { RESTORE_DEFAULTS } from '../../../engine/restore/options.ts';
import { RESTORATION_TASKS, TASK_NAMES } from '../../../restorationTasks.ts';
import { backendOption, jsonOption } from '../../args.ts';
import { protocolChoices, protocolRange, realNumber, wholeNumber, wholeNumberOf } from '../../limits.ts';
import type { RestoreOptions } from './options.ts';

export function restoreCommand(): Command {
  const range = (p: string): ReturnType<typeof protocolRange> => protocolRange('restore', p);
  const cmd = new Command('restore')
    .summary('restore one image with a trained model (inpaint, colorize, sr, denoise)')
    .description(
      'Zero-shot restoration of one image: Langevin dynamics on the model and the degradation, next to baselines that use no model.\n' +
        'With --reference (or --from-clean) the PSNR and SSIM of each are reported.',
    )
    .argument('<checkpoint>', 'a checkpoint file, or a run folder (its latest checkpoint)')
    .argument('<image>', 'the degraded image (.png, .jpg)')
    .addOption(new Option('--task <task>', 'what to undo').choices(TASK_NAMES).makeOptionMandatory())
    .requiredOption('--out <file>', 'the restored image to write (.png, .jpg)')
    .option('--mask <mask>', 'inpaint: a PNG (white = known), center, half or random:P')
    .addOption(
      new Option('--factor <f>', `sr: the downsampling factor, 2, 4 or 8 (default: ${RESTORATION_TASKS.sr.defaults.factor})`).argParser(
        wholeNumberOf('--factor', protocolChoices('restore', 'factor')),
      ),
    )
    .addOption(
      new Option('--sigma <s>', `denoise: the noise std in pixel units (default: ${RESTORATION_TASKS.denoise.defaults.sigma})`).argParser(
        realNumber('--sigma', range('sigma')),
      ),
    )
    .option('--reference <file>', 'the clean image, to report PSNR and SSIM')
    .option('--from-clean', 'treat <image> as clean: degrade it first, and measure against it')
    .addOption(new Option('--steps <n>', `Langevin steps (default: ${RESTORE_DEFAULTS.steps})`).argParser(wholeNumber('--steps', range('steps'))))
    .addOption(
      new Option('--step-size <s>', `Langevin step size (default: ${RESTORE_DEFAULTS.stepSize})`).argParser(realNumber('--step-size', range('stepSize'))),
    )
    .addOption(
      new Option('--energy-weight <w>', `weight of the energy term, per unit of the model's temperature (default: ${RESTORE_DEFAULTS.energyWeight})`).argParser(
        realNumber('--energy-weight', range('energyWeight')),
      ),
    )
    .addOption(new Option('--seed <s>', `random seed (default: ${RESTORE_DEFAULTS.seed})`).argParser(wholeNumber('--seed', range('seed'))))
    .option('--compare <file>', 'also write a strip: input | baselines | restored | reference')
    .addHelpText('after', `\nTasks:\n${TASK_NAMES.map((t) => `  ${t.padEnd(10)}${RESTORATION_TASKS[t].description}`).join('\n')}`);
  backendOption(cmd);
  jsonOption(cmd);
  return cmd.action(async (checkpoint: string, image: string, opts: RestoreOptions) => {
    process.exitCode = await (await import('./run.ts')).run(checkpoint, image, opts);
  });
}
