/** `ecvae info`: its options and help; the work is in run.ts, loaded only when it runs. */
import { Command } from 'commander';
import { backendOption, jsonOption } from '../../args.ts';
import type { InfoOptions } from './options.ts';

export function infoCommand(): Command {
  const cmd = new Command('info')
    .summary('show the backend that runs here and the built-in data, or the sizes of a model')
    .description(
      'Which TF.js backend runs here, why, and why the faster ones do not; and what each data.kind holds.\n' +
        "With --model, the sizes of a config's networks and the memory training them takes (or of the paper's networks: --model paper32, paper64 or paper256) instead.",
    )
    .option('--model <config|paper32|paper64|paper256>', "a run config (*.ecvae.json), or a paper preset for the paper's networks at 32, 64 or 256 pixels");
  backendOption(cmd, 'try only this backend');
  jsonOption(cmd);
  return cmd.action(async (opts: InfoOptions) => {
    process.exitCode = await (await import('./run.ts')).run(opts);
  });
}
