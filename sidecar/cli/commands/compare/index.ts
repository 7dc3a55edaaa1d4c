/** `ecvae compare`: its options and help; the work is in run.ts, loaded only when it runs. */
import { Command, Option } from 'commander';
import { isVariant, VARIANTS, type Variant } from '../../../engine/eval/variants.ts';
import { backendOption, inceptionOptions, jsonOption, UsageError } from '../../args.ts';
import { protocolRange, wholeNumber } from '../../limits.ts';
import { MCMC_SPACE_HELP, MCMC_SPACES } from '../../../engine/algorithm/mcmcSpace.ts';
import type { CompareOptions } from './options.ts';

/** --variants: a comma-separated list of VARIANTS names. */
function variantList(v: string): Variant[] {
  const names = v.split(',').map((x) => x.trim());
  const bad = names.filter((x) => !isVariant(x));
  if (bad.length || names.length === 0)
    throw new UsageError(`--variants takes names from ${Object.keys(VARIANTS).join(', ')}; "${bad.join(', ') || v}" is not one.`, 'compare');
  return [...new Set(names)] as Variant[];
}

export function compareCommand(): Command {
  const cmd = new Command('compare')
    .summary('train EC-VAE and a plain VAE from one config and compare them')
    .description(
      'Train each variant from one config (same data, seed and iterations), evaluate them with the same metrics, and write report.md, report.json and pictures.\n' +
        'Variants that each train on one thread (the 2-D examples, or training.parallelism 1) on a CPU backend train side by side, as many at once as there are cores; image models on every core, and GPU backends, train them one after the other.\n' +
        'Finished variants are not retrained when the command is run again.',
    )
    .argument('<config>', 'the run config (*.ecvae.json)')
    .option('--out <dir>', 'report folder (default: <output.dir>/<name>-compare)')
    .addOption(
      new Option('--iterations <n>', "iterations per variant (default: the config's)").argParser(
        wholeNumber('--iterations', protocolRange('train/start', 'iterations')),
      ),
    )
    .addOption(
      new Option('--n <count>', 'samples evaluated per sampler').default(1000).argParser(wholeNumber('--n', { ...protocolRange('sample', 'n'), min: 10 })),
    )
    .addOption(
      new Option('--mcmc-steps <k>', "Langevin steps of the refined sampler (default: the config's calibration.sgldSteps)").argParser(
        wholeNumber('--mcmc-steps', protocolRange('sample', 'mcmcSteps')),
      ),
    )
    .addOption(new Option('--mcmc-space <space>', MCMC_SPACE_HELP).choices(MCMC_SPACES).default('pixel'))
    .addOption(new Option('--variants <list>', `comma-separated, from ${Object.keys(VARIANTS).join(', ')} (default: vae,ecvae)`).argParser(variantList));
  inceptionOptions(cmd);
  backendOption(cmd);
  jsonOption(cmd);
  return cmd.action(async (config: string, opts: CompareOptions) => {
    process.exitCode = await (await import('./run.ts')).run(config, opts);
  });
}
