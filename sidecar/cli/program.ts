/**
 * The `ecvae` program: one commander Command per folder under commands/, each declaring
 * its own options and help. Every parse problem (an unknown command or flag, a missing
 * argument, a bad value) throws instead of exiting, so main.ts can answer it with exit 2
 * and, under --json, a JSON line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { packageRoot } from '../engine/core/paths.ts';
import { compareCommand } from './commands/compare/index.ts';
import { evalCommand } from './commands/eval/index.ts';
import { fitPriorCommand } from './commands/fit-prior/index.ts';
import { infoCommand } from './commands/info/index.ts';
import { restoreCommand } from './commands/restore/index.ts';
import { sampleCommand } from './commands/sample/index.ts';
import { sweepCommand } from './commands/sweep/index.ts';
import { trainCommand } from './commands/train/index.ts';

/** The commands, in the order help lists them. */
export const COMMANDS: (() => Command)[] = [
  trainCommand,
  sampleCommand,
  restoreCommand,
  evalCommand,
  compareCommand,
  sweepCommand,
  fitPriorCommand,
  infoCommand,
];

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

export function buildProgram(): Command {
  const program = new Command('ecvae')
    .description('Train and run Energy-Calibrated VAEs (EC-VAE, Luo et al., ECCV 2024) on TF.js.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'print this help')
    .helpCommand('help [command]', "print a command's help")
    // Wide enough that each flag's line fits on one line.
    .configureHelp({ helpWidth: 110 })
    .exitOverride()
    // main.ts prints errors (with the command's help pointer and the --json line).
    .configureOutput({ outputError: () => undefined })
    .showSuggestionAfterError(true)
    .addHelpText('after', '\nRun "ecvae help <command>" or "ecvae <command> --help" for its flags.');
  for (const make of COMMANDS) {
    const cmd = make();
    cmd.copyInheritedSettings(program);
    cmd.allowExcessArguments(false).helpOption('-h, --help', 'print this help');
    program.addCommand(cmd);
  }
  return program;
}
