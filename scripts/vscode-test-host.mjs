#!/usr/bin/env node
/**
 * A stand-in for the VS Code executable that @vscode/test-electron's runTests launches,
 * for machines that cannot download VS Code desktop (this one: only the npm registry).
 * runTests spawns it with Electron-style flags and judges the run by its exit code; this
 * program keeps that contract with code-server (VS Code's workbench and extension host,
 * from npm; scripts/install-vscode-host.sh) and headless Chromium:
 *
 *  - code-server refuses --extensionDevelopmentPath, --extensionTestsPath and the Electron
 *    flags, so they are read here and passed to the workbench in its page URL's `payload`
 *    as vscode-remote:// addresses. The built workbench honours that payload only when the
 *    server runs with `--vscode-option enable-smoke-test-driver` (otherwise nothing runs,
 *    silently: hence the timeout below).
 *  - When the test module's run() settles, the workbench calls
 *    window.codeAutomationExit(code); that code becomes this process's exit code.
 *  - The extension host's console arrives on the page console and is printed here.
 *
 * Environment: CHROMIUM_PATH (default /usr/bin/chromium), VSCODE_TEST_TIMEOUT_S (600),
 * VSCODE_TEST_DEBUG=1 (print the whole workbench console).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { hostMissing, startCodeServer, writeUserSettings } from './code-server.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TIMEOUT_S = Number(process.env.VSCODE_TEST_TIMEOUT_S ?? 600);
/** The marker of the test module's lines (test/electron/index.ts). */
const MARK = '[ecvae-test]';

function fail(message) {
  process.stderr.write(`vscode-test-host: ${message}\n`);
  process.exit(1);
}

/** The flags runTests passes, in `--name=value` or `--name value` form; the rest are positionals (the folder to open). */
function parse(argv) {
  const flags = {};
  const positionals = [];
  const valued = new Set(['extensionDevelopmentPath', 'extensionTestsPath', 'user-data-dir', 'extensions-dir']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    if (!m) positionals.push(a);
    else if (m[2] !== undefined) flags[m[1]] = m[2];
    else if (valued.has(m[1])) flags[m[1]] = argv[++i];
    // Electron-only flags (--no-sandbox, --disable-updates, ...) have no meaning here.
  }
  return { flags, positionals };
}

const { flags, positionals } = parse(process.argv.slice(2));
const devPath = flags.extensionDevelopmentPath && resolve(flags.extensionDevelopmentPath);
const testsPath = flags.extensionTestsPath && resolve(flags.extensionTestsPath);
if (!devPath || !testsPath) fail('needs --extensionDevelopmentPath and --extensionTestsPath (runTests passes both).');
if (hostMissing()) fail(hostMissing());
if (!existsSync(CHROMIUM)) fail(`Chromium not found at ${CHROMIUM} (scripts/ensure-chromium.sh installs it; CHROMIUM_PATH names another).`);
const folder = positionals[0] && resolve(positionals[0]);
const userData = resolve(flags['user-data-dir'] ?? join(root, '.tmp', 'vscode-test-user'));
const extensions = resolve(flags['extensions-dir'] ?? join(root, '.tmp', 'vscode-test-extensions'));
writeUserSettings(userData);
mkdirSync(extensions, { recursive: true });

let server;
try {
  server = await startCodeServer({ extensions, userData, args: ['--vscode-option', 'enable-smoke-test-driver'] });
} catch (err) {
  fail(err.message);
}
const { port } = server;

let browser;
async function finish(code, message) {
  if (message) process.stderr.write(`vscode-test-host: ${message}\n`);
  await browser?.close().catch(() => undefined);
  server.stop();
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void finish(1, `stopped by ${signal}`));
setTimeout(
  () => void finish(1, `no result after ${TIMEOUT_S} s (did the workbench get the test payload?)\n${server.log().slice(-2000)}`),
  TIMEOUT_S * 1000,
).unref();

browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage();
// The workbench reports the test run's end through this function (smoke-test driver).
await page.exposeFunction('codeAutomationExit', (code) => void finish(Number(code) || 0));
page.on('console', (m) => {
  const text = m.text();
  if (process.env.VSCODE_TEST_DEBUG) process.stderr.write(`[${m.type()}] ${text}\n`);
  // The test module marks its lines (test/electron/index.ts); the workbench's own chatter is left out.
  const at = text.indexOf(MARK);
  if (at >= 0) process.stdout.write(text.slice(at + MARK.length).replace(/^ /, '') + '\n');
});
const remote = (path) => `vscode-remote://127.0.0.1:${port}${path}`;
const payload = JSON.stringify([
  ['extensionDevelopmentPath', remote(devPath)],
  ['extensionTestsPath', remote(testsPath)],
]);
// A .code-workspace file opens as a (multi-root) workspace, anything else as a folder.
const opened = folder ? `${folder.endsWith('.code-workspace') ? 'workspace' : 'folder'}=${encodeURIComponent(folder)}&` : '';
const query = `${opened}payload=${encodeURIComponent(payload)}`;
await page.goto(`http://127.0.0.1:${port}/?${query}`);
