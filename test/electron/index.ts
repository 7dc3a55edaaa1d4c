/**
 * The extension-host test module: @vscode/test-electron's runTests loads it inside VS
 * Code's extension host (scripts/test-electron.mjs; offline through
 * scripts/vscode-test-host.mjs) and calls run(); the run's outcome is the exit code.
 * Mocha runs the suite of suite.ts against the real `vscode` API. Every line the run
 * prints carries the "[ecvae-test]" marker, so the offline host can pick it out of the
 * workbench's console.
 */
import { format } from 'node:util';
import Mocha from 'mocha';
import { defineSuite } from './suite.ts';

export const MARK = '[ecvae-test]';

export function run(): Promise<void> {
  // ECVAE_TEST_GREP runs only the tests whose title matches (a debugging aid).
  const grep = process.env.ECVAE_TEST_GREP;
  const mocha = new Mocha({ ui: 'bdd', timeout: 180_000, color: false, reporter: 'spec', ...(grep ? { grep } : {}) });
  const log = console.log.bind(console);
  Mocha.reporters.Base.consoleLog = (...args: unknown[]) => log(`${MARK} ${format(...args)}`);
  defineSuite((title, fn) => mocha.suite.addTest(new Mocha.Test(title, fn)));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} extension-host test(s) failed.`)) : resolve()));
  });
}
