/** `ecvae train`: its options and help; the work is in run.ts, loaded only when it runs. */
import { Command, Option } from 'commander';
import { backendOption, jsonOption } from '../../args.ts';
import { protocolRange, wholeNumber } from '../../limits.ts';
import type { TrainOptions } from './options.ts';

export function trainCommand(): Command {
  const cmd = new Command('train')
    .summary('train a model from a run config')
    .description(
      'Train the model a run config (*.ecvae.json) describes, writing a run folder: config, metrics.jsonl, sample grids and checkpoints.\n' +
        'Ctrl-C, SIGTERM and SIGHUP stop after the current iteration with a checkpoint (exit 130); --resume continues from it.',
    )
    .argument('<config>', 'the run config (*.ecvae.json)')
    .option('--out <dir>', 'run folder (default: <output.dir>/<name> from the config)')
    .addOption(
      new Option('--iterations <n>', "train to this iteration (default: the config's training.iterations)").argParser(
        wholeNumber('--iterations', protocolRange('train/start', 'iterations')),
      ),
    )
    .option('--resume', 'continue the run folder from its latest checkpoint');
  backendOption(cmd);
  jsonOption(cmd);
  return cmd.action(async (config: string, opts: TrainOptions) => {
    process.exitCode = await (await import('./run.ts')).run(config, opts);
  });
}
