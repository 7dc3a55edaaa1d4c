/**
 * `ecvae`: the command-line face of the engine (README.md, CLI). Human progress goes to stderr;
 * with --json the last stdout line is exactly one JSON object, also on failure
 * ({"ok": false, "error": ...}). Exit codes: 0 ok, 1 failure, 2 bad usage, an invalid
 * config or any other input the user can fix (engine/core/errors.ts UserError), 130 stopped
 * by Ctrl-C (after a checkpoint).
 */
// TF.js and its backends print notices with console.log; stdout is reserved for results.
console.log = console.error;
console.info = console.error;

import { parseArgs } from 'node:util';
import { BACKEND_ORDER } from '../engine/core/backend.ts';
import { ConfigError } from '../engine/config/config.ts';
import { UserError } from '../engine/core/errors.ts';
import { emit, UsageError, type Command, type Out } from './args.ts';
import * as compare from './commands/compare.ts';
import * as evalCommand from './commands/eval.ts';
import * as fitPriorCommand from './commands/fitPrior.ts';
import * as info from './commands/info.ts';
import * as restore from './commands/restore.ts';
import * as sample from './commands/sample.ts';
import * as train from './commands/train.ts';

/** One module per command (cli/commands/), each with its usage and its run. */
const COMMANDS: Record<string, Command> = { train, sample, restore, eval: evalCommand, compare, info, 'fit-prior': fitPriorCommand };

const USAGE = `Usage:\n${Object.values(COMMANDS)
  .map((c) => `  ${c.usage}`)
  .join('\n')}\nBackends: auto, ${BACKEND_ORDER.join(', ')}.`;

export async function main(argv: string[]): Promise<number> {
  let out: Out = { json: argv.includes('--json') };
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean' },
        out: { type: 'string' },
        iterations: { type: 'string' },
        resume: { type: 'boolean' },
        backend: { type: 'string' },
        n: { type: 'string' },
        seed: { type: 'string' },
        'mcmc-steps': { type: 'string' },
        task: { type: 'string' },
        mask: { type: 'string' },
        factor: { type: 'string' },
        sigma: { type: 'string' },
        reference: { type: 'string' },
        'from-clean': { type: 'boolean' },
        steps: { type: 'string' },
        'step-size': { type: 'string' },
        'energy-weight': { type: 'string' },
        compare: { type: 'string' },
        model: { type: 'string' },
        variants: { type: 'string' },
        'batch-size': { type: 'string' },
        'learning-rate': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    out = { json: Boolean(values.json) };
    const [cmd, ...rest] = positionals;
    if (values.help || !cmd) {
      process.stderr.write(USAGE + '\n');
      return cmd || values.help ? 0 : 2;
    }
    const command = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
    if (!command) throw new UsageError(`Unknown command "${cmd}".`);
    return await command.run(rest, values, out);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.message + '\n');
      emit(out, { ok: false, error: `invalid config ${err.file}`, kind: err.kind, diagnostics: err.diagnostics });
      return 2;
    }
    // Bad usage and every UserError (bad input a user can fix) exit 2; anything else is a failure.
    const usage = err instanceof UsageError || Boolean((err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS'));
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`ecvae: error: ${message}\n${usage ? USAGE + '\n' : ''}`);
    emit(out, { ok: false, error: message, ...(err instanceof UserError ? { kind: err.kind } : {}) });
    return usage || err instanceof UserError ? 2 : 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`ecvae: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
