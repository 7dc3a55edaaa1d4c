/** `ecvae eval`: its options and help; the work is in run.ts, loaded only when it runs. */
import { Command, Option } from 'commander';
import { backendOption, inceptionOptions, jsonOption } from '../../args.ts';
import { protocolRange, wholeNumber } from '../../limits.ts';
import { MCMC_SPACE_HELP, MCMC_SPACES } from '../../../engine/algorithm/mcmcSpace.ts';
import type { EvalOptions } from './options.ts';

export function evalCommand(): Command {
  const cmd = new Command('eval')
    .summary("measure the quality of a model's samples")
    .description(
      'Sample quality metrics of a checkpoint: for 2-D data the share of high-quality samples (hqRatio) and the modes covered, for images the Fréchet distance (fd) to held-out data.',
    )
    .argument('<checkpoint>', 'a checkpoint file, or a run folder (its latest checkpoint)')
    .addOption(new Option('--n <count>', 'samples to evaluate').default(1000).argParser(wholeNumber('--n', { ...protocolRange('sample', 'n'), min: 10 })))
    .addOption(
      new Option('--mcmc-steps <k>', 'Langevin refinement steps per sample')
        .default(0)
        .argParser(wholeNumber('--mcmc-steps', protocolRange('sample', 'mcmcSteps'))),
    )
    .addOption(new Option('--mcmc-space <space>', MCMC_SPACE_HELP).choices(MCMC_SPACES).default('pixel'))
    .addOption(new Option('--seed <s>', 'random seed').default(0).argParser(wholeNumber('--seed', protocolRange('sample', 'seed'))));
  inceptionOptions(cmd);
  backendOption(cmd);
  jsonOption(cmd);
  return cmd.action(async (checkpoint: string, opts: EvalOptions) => {
    process.exitCode = await (await import('./run.ts')).run(checkpoint, opts);
  });
}
