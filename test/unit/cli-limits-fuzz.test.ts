/**
 * Fuzz of every CLI command's numeric flags against the one table of limits, the protocol
 * schema (schemas/ecvae-protocol.schema.json, checked by sidecar/params.ts): no value the
 * sidecar would refuse is accepted by a flag, every value a flag accepts is a finite
 * number, and where the flag is the same param, a plain number the sidecar accepts is
 * accepted by the flag too. Refusals are UsageErrors (exit 2, a sentence naming the flag).
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Option } from 'commander';
import { buildProgram } from '../../sidecar/cli/program.ts';
import { UsageError } from '../../sidecar/cli/errors.ts';
import { paramsProblem } from '../../sidecar/params.ts';

/** Each command's protocol method, the params it needs besides the flag, and whether its flags are exactly the method's (not tighter). */
const METHOD: Record<string, { method: string; base: Record<string, unknown>; exact: boolean }> = {
  train: { method: 'train/start', base: { configPath: 'c.json' }, exact: true },
  sample: { method: 'sample', base: { checkpoint: 'ck' }, exact: true },
  restore: { method: 'restore', base: { checkpoint: 'ck', image: 'i.png', task: 'denoise' }, exact: true },
  'fit-prior': { method: 'prior/fit', base: { source: 'run' }, exact: true },
  // eval, compare and sweep draw `n` samples as sampling does, and ask for at least 10 (a metric of fewer means nothing).
  eval: { method: 'sample', base: { checkpoint: 'ck' }, exact: false },
  compare: { method: 'sample', base: { checkpoint: 'ck' }, exact: false },
  sweep: { method: 'sample', base: { checkpoint: 'ck' }, exact: false },
};
/** Commands that train and then sample: their --iterations is train/start's. */
const TRAINS_THEN_SAMPLES = ['compare', 'sweep'];
/** The protocol param of a flag, where the names differ; compare's --iterations is train/start's. */
const PARAM: Record<string, string> = {
  'mcmc-steps': 'mcmcSteps',
  'batch-size': 'batchSize',
  'learning-rate': 'learningRate',
  'step-size': 'stepSize',
  'energy-weight': 'energyWeight',
};

const numericText = fc.oneof(
  fc.integer({ min: -5, max: 20 }).map(String),
  fc.integer().map(String),
  fc.double({ noNaN: false }).map(String),
  fc.bigInt({ min: 0n, max: 2n ** 70n }).map(String),
  fc.constantFrom(
    '1e400',
    '-1e400',
    'NaN',
    'Infinity',
    '-0',
    '0x10',
    '1_000',
    ' 5',
    '5 ',
    '',
    '1e3',
    '2.5',
    '.5',
    '4294967295',
    '4294967296',
    '1e-400',
    '100000001',
  ),
);

test('every numeric CLI flag refuses what the sidecar refuses, and accepts only finite numbers', () => {
  const program = buildProgram();
  let checked = 0;
  for (const cmd of program.commands) {
    const target = METHOD[cmd.name()];
    for (const opt of cmd.options as Option[]) {
      const parse = (opt as unknown as { parseArg?: (v: string, prev: unknown) => unknown }).parseArg;
      // Choices (--task, --backend, --executor) are commander's; lists (--variants, --set) are not numbers.
      if (!parse || !opt.long || opt.argChoices || ['--backend', '--variants', '--set', '--slurm-opt'].includes(opt.long)) continue;
      const flag = opt.long.slice(2);
      const param = PARAM[flag] ?? flag;
      const trains = TRAINS_THEN_SAMPLES.includes(cmd.name()) && flag === 'iterations';
      const method = trains ? 'train/start' : flag === 'parallel' ? undefined : target?.method;
      const base = trains ? { configPath: 'c.json' } : (target?.base ?? {});
      checked++;
      fc.assert(
        fc.property(numericText, (text) => {
          let value: unknown;
          try {
            value = parse.call(opt, text, undefined);
          } catch (err) {
            assert.ok(err instanceof UsageError, `${cmd.name()} ${opt.long} ${JSON.stringify(text)}: ${String(err)}`);
            assert.ok(err.message.includes(opt.long!), `the refusal names the flag: ${err.message}`);
            const plain = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : undefined;
            if (method && target?.exact && plain !== undefined && Number.isSafeInteger(plain))
              assert.ok(
                paramsProblem(method, { ...base, [param]: plain }) !== undefined,
                `${cmd.name()} ${opt.long} refuses ${text}, which the sidecar accepts`,
              );
            return;
          }
          assert.ok(typeof value === 'number' && Number.isFinite(value), `${cmd.name()} ${opt.long} ${JSON.stringify(text)} gave ${String(value)}`);
          if (method)
            assert.equal(paramsProblem(method, { ...base, [param]: value }), undefined, `${cmd.name()} ${opt.long} accepts ${text}, which the sidecar refuses`);
        }),
        { numRuns: 300, seed: 29 },
      );
    }
  }
  assert.ok(checked >= 12, `numeric flags fuzzed: ${checked}`);
});

test('non-finite numbers are refused anywhere in request params, latents included', () => {
  assert.match(
    paramsProblem('sample', { checkpoint: 'c', latents: JSON.parse('[[0, 1e400]]') as number[][] })!,
    /param "latents\/0\/1" must be a finite number/,
  );
  assert.match(paramsProblem('restore', { checkpoint: 'c', image: 'i', task: 'denoise', sigma: -Infinity })!, /param "sigma" must be a finite number/);
  assert.equal(paramsProblem('sample', { checkpoint: 'c', latents: [[0, 1e300]] }), undefined);
});
