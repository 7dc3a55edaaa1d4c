/**
 * `ecvae`: the command-line face of the engine (README.md). Human progress goes to stderr;
 * with --json the last stdout line is exactly one JSON object, also on failure
 * ({"ok": false, "error": ...}). Exit codes: 0 ok (help and --version too), 1 failure,
 * 2 bad usage, an invalid config or any other input the user can fix (runLayout/errors.ts
 * UserError), 130 stopped by Ctrl-C (after a checkpoint). Flags are checked before any
 * TF.js backend loads: each command's run.ts, which loads the engine, is imported only
 * once its flags parsed.
 */
// TF.js and its backends print notices with console.log; stdout is reserved for results.
console.log = console.error;
console.info = console.error;

import { CommanderError } from 'commander';
import { ConfigError } from '../engine/config/config.ts';
import { UserError } from '../runLayout/errors.ts';
import { emit, type Out } from './args.ts';
import { UsageError } from './errors.ts';
import { buildProgram } from './program.ts';
import { guardStdio } from './stdio.ts';

guardStdio();

export async function main(argv: string[]): Promise<number> {
  const out: Out = { json: argv.includes('--json') };
  const program = buildProgram();
  const command = argv.find((a) => program.commands.some((c) => c.name() === a));
  const helpHint = `Run "ecvae ${command ? `${command} --help` : 'help'}" for the usage.`;
  process.exitCode = 0;
  try {
    await program.parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version end with exit code 0; `ecvae` alone prints the help (to stderr) and is bad usage.
      if (err.exitCode === 0) return 0;
      if (err.code === 'commander.help' || err.code === 'commander.executeSubCommandAsync') return 2;
      const message = err.message.replace(/^error: /, '');
      process.stderr.write(`ecvae: error: ${message}\n${helpHint}\n`);
      emit(out, { ok: false, error: message.replace(/\n/g, ' '), kind: 'usage' });
      return 2;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(err.message + '\n');
      emit(out, { ok: false, error: `invalid config ${err.file}`, kind: err.kind, diagnostics: err.diagnostics });
      return 2;
    }
    // Bad usage and every UserError (bad input a user can fix) exit 2; anything else is a failure.
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof UsageError) {
      const hint = err.command ? `Run "ecvae ${err.command} --help" for the usage.` : helpHint;
      process.stderr.write(`ecvae: error: ${message}\n${hint}\n`);
      emit(out, { ok: false, error: message, kind: 'usage' });
      return 2;
    }
    process.stderr.write(`ecvae: error: ${message}\n`);
    emit(out, { ok: false, error: message, ...(err instanceof UserError ? { kind: err.kind, ...(err.path ? { path: err.path } : {}) } : {}) });
    return err instanceof UserError ? 2 : 1;
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
