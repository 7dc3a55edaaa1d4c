/** `ecvae sample`: its options and help; the work is in run.ts, loaded only when it runs. */
import { Command, Option } from 'commander';
import { backendOption, jsonOption } from '../../args.ts';
import { protocolRange, wholeNumber } from '../../limits.ts';
import { MCMC_SPACE_HELP, MCMC_SPACES } from '../../../engine/algorithm/mcmcSpace.ts';
import type { SampleOptions } from './options.ts';

export function sampleCommand(): Command {
  const cmd = new Command('sample')
    .summary('draw a grid of samples from a trained model')
    .description('Draw samples from a checkpoint into one picture: one decoder step each, or refined by MCMC in latent and data space (EC-VAE models).')
    .argument('<checkpoint>', 'a checkpoint file, or a run folder (its latest checkpoint)')
    .requiredOption('--out <file>', 'the picture to write (.png, .jpg)')
    .addOption(new Option('--n <count>', 'how many samples').default(64).argParser(wholeNumber('--n', protocolRange('sample', 'n'))))
    .addOption(new Option('--seed <s>', 'random seed').default(0).argParser(wholeNumber('--seed', protocolRange('sample', 'seed'))))
    .addOption(
      new Option('--mcmc-steps <k>', 'Langevin refinement steps; 0 draws one-step samples')
        .default(0)
        .argParser(wholeNumber('--mcmc-steps', protocolRange('sample', 'mcmcSteps'))),
    )
    .addOption(new Option('--mcmc-space <space>', MCMC_SPACE_HELP).choices(MCMC_SPACES).default('pixel'));
  backendOption(cmd);
  jsonOption(cmd);
  return cmd.action(async (checkpoint: string, opts: SampleOptions) => {
    process.exitCode = await (await import('./run.ts')).run(checkpoint, opts);
  });
}
