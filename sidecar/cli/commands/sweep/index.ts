/** `ecvae sweep`: its options and help; the work is in run.ts, loaded only when it runs. */
import { Command, Option } from 'commander';
import { backendOption, inceptionOptions, jsonOption, UsageError } from '../../args.ts';
import { protocolRange, wholeNumber } from '../../limits.ts';
import type { SweepOptions } from './options.ts';

const collect = (v: string, all: string[] | undefined): string[] => [...(all ?? []), v];

export function sweepCommand(): Command {
  const cmd = new Command('sweep')
    .summary('train a grid of configs over seeds, locally or on a Slurm cluster')
    .usage(
      '<config> --out <dir> [--seeds 0,1,2] [--set path=v1,v2 ...] [--executor local|slurm] [options]\n       ecvae sweep --status <dir>\n       ecvae sweep --report <dir>',
    )
    .description(
      'Expand a config into one run per grid point (each --set path=v1,v2 is an axis) and seed, in <dir>/<values>_seed=<s>/, and train them.\n' +
        'local: N runs at a time, each an `ecvae train` process; running the same command again skips finished runs and resumes the others; Ctrl-C stops every run with a checkpoint.\n' +
        'slurm: one sbatch job array, one task per run, on the filesystem the nodes share; submitting again resubmits unfinished runs, which resume from their checkpoints.\n' +
        '--status <dir> lists each run as queued, running, finished, failed or stopped; --report <dir> evaluates every finished run and writes report.md, report.json and comparison.svg.',
    )
    .argument('[config]', 'the run config (*.ecvae.json) to sweep')
    .option('--out <dir>', 'the sweep folder (new, empty, or a sweep of the same config to add to)')
    .option('--seeds <list>', 'seeds, e.g. 0,1,2 or 0-4', '0,1,2')
    .option('--set <path=values>', 'a config field and its values, e.g. calibration.lambdaInit=10,30 (repeatable: the grid is every combination)', collect)
    .addOption(new Option('--executor <name>', 'where the runs train').choices(['local', 'slurm']).default('local'))
    .addOption(
      new Option('--parallel <n>', 'local: runs at a time (default: the cores over each run’s threads)').argParser(
        wholeNumber('--parallel', { min: 1, max: 256 }),
      ),
    )
    .addOption(
      new Option('--iterations <n>', "iterations per run (default: the config's training.iterations)").argParser(
        wholeNumber('--iterations', protocolRange('train/start', 'iterations')),
      ),
    )
    .option('--slurm-opt <name=value>', 'slurm: an sbatch option, e.g. partition=gpu, time=02:00:00, mem=8G, gres=gpu:1 (repeatable)', collect)
    .option('--wait', 'slurm: wait until every submitted run has ended, then print the states')
    .option('--status <dir>', 'print the state of each run of the sweep in <dir>')
    .option('--report <dir>', 'evaluate every finished run of the sweep in <dir> and write its report')
    .addOption(
      new Option('--n <count>', 'report: samples evaluated per run').default(1000).argParser(wholeNumber('--n', { ...protocolRange('sample', 'n'), min: 10 })),
    )
    .addOption(
      new Option('--mcmc-steps <k>', 'report: also evaluate K Langevin steps on the energy (calibrated runs)')
        .default(0)
        .argParser(wholeNumber('--mcmc-steps', protocolRange('sample', 'mcmcSteps'))),
    );
  inceptionOptions(cmd, 'report: ');
  backendOption(cmd, 'report: TF.js backend of the evaluation');
  jsonOption(cmd);
  return cmd.action(async (config: string | undefined, opts: SweepOptions) => {
    const modes = [config !== undefined, opts.status !== undefined, opts.report !== undefined].filter(Boolean).length;
    if (modes !== 1) throw new UsageError('give a config to sweep (with --out), or --status <dir>, or --report <dir>: one of them.', 'sweep');
    if (config !== undefined && !opts.out) throw new UsageError('a sweep needs --out <dir>, the folder its runs go to.', 'sweep');
    const given = (flag: string, v: unknown): string[] => (v === undefined ? [] : [flag]);
    const startOnly = [
      ...given('--out', opts.out),
      ...given('--set', opts.set),
      ...given('--iterations', opts.iterations),
      ...given('--parallel', opts.parallel),
      ...given('--slurm-opt', opts.slurmOpt),
      ...given('--wait', opts.wait),
    ];
    if (config === undefined && startOnly.length)
      throw new UsageError(`${startOnly.join(', ')} ${startOnly.length > 1 ? 'are' : 'is'} for starting a sweep, not for --status or --report.`, 'sweep');
    const reportOnly = [...given('--inception', opts.inception), ...given('--inception-output', opts.inceptionOutput)];
    if (opts.report === undefined && reportOnly.length)
      throw new UsageError(`${reportOnly.join(', ')} ${reportOnly.length > 1 ? 'are' : 'is'} for --report.`, 'sweep');
    if (opts.executor === 'slurm' && opts.parallel !== undefined)
      throw new UsageError('--parallel is for --executor local; Slurm decides how many tasks run at once.', 'sweep');
    if (opts.executor === 'local' && (opts.slurmOpt || opts.wait))
      throw new UsageError(`${opts.slurmOpt ? '--slurm-opt' : '--wait'} is for --executor slurm.`, 'sweep');
    process.exitCode = await (await import('./run.ts')).run(config, opts);
  });
}
