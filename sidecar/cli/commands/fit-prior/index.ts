/** `ecvae fit-prior`: its options and help; the work is in run.ts, loaded only when it runs. */
import { Command, Option } from 'commander';
import { FIT_PRIOR_DEFAULTS } from '../../../engine/jobs/fitPriorDefaults.ts';
import { backendOption, jsonOption } from '../../args.ts';
import { protocolRange, realNumber, wholeNumber } from '../../limits.ts';
import type { FitPriorOptions } from './options.ts';

export function fitPriorCommand(): Command {
  const range = (p: string): ReturnType<typeof protocolRange> => protocolRange('prior/fit', p);
  const cmd = new Command('fit-prior')
    .summary("fit a RealNVP prior to a trained model's latents")
    .description(
      "Fit a RealNVP flow prior post hoc on a finished run's encoder means (a VAE or EC-VAE with the N(0, I) prior), written as a new run folder that samples from the flow.",
    )
    .argument('<run>', 'a run folder or checkpoint file')
    .option('--out <dir>', 'the new run folder (default: <run>-flowprior beside the source)')
    .addOption(
      new Option('--iterations <n>', 'fitting steps').default(FIT_PRIOR_DEFAULTS.iterations).argParser(wholeNumber('--iterations', range('iterations'))),
    )
    .addOption(
      new Option('--batch-size <n>', 'latents per step').default(FIT_PRIOR_DEFAULTS.batchSize).argParser(wholeNumber('--batch-size', range('batchSize'))),
    )
    .addOption(
      new Option('--learning-rate <lr>', 'Adam step size')
        .default(FIT_PRIOR_DEFAULTS.learningRate)
        .argParser(realNumber('--learning-rate', range('learningRate'))),
    );
  backendOption(cmd);
  jsonOption(cmd);
  return cmd.action(async (source: string, opts: FitPriorOptions) => {
    process.exitCode = await (await import('./run.ts')).run(source, opts);
  });
}
