/**
 * The offline stand-in for VS Code's executable (scripts/vscode-test-host.mjs): the
 * launch contract's failures come back as exit code 1 with the reason, without starting
 * anything. Its success path runs in `npm run test:electron`.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot, tempDir } from '../helpers.ts';

const launch = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [join(repoRoot, 'scripts', 'vscode-test-host.mjs'), ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, ...env },
  });

test('the test host refuses a launch without the development and tests paths, and a missing Chromium, with exit 1 and why', () => {
  const bare = launch(['--no-sandbox', '--disable-updates']);
  assert.equal(bare.status, 1);
  assert.match(bare.stderr, /needs --extensionDevelopmentPath and --extensionTestsPath/);
  const dir = tempDir();
  const noBrowser = launch([`--extensionDevelopmentPath=${repoRoot}`, '--extensionTestsPath', join(dir, 'index.cjs'), dir], {
    CHROMIUM_PATH: join(dir, 'no-chromium'),
  });
  assert.equal(noBrowser.status, 1);
  assert.match(noBrowser.stderr, /Chromium not found at .*no-chromium|code-server is not installed/);
});
