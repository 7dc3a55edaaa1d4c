/**
 * `npm run screenshots`: the pictures in docs/screenshots/, taken from the real VS Code
 * the e2e suite drives (code-server with the packaged .vsix installed, in Chromium), on
 * models trained from the shipped examples:
 *   - the toy (examples/toy-25gaussians.ecvae.json) and MNIST (examples/mnist.ecvae.json)
 *     are trained with the CLI into .tmp/screenshots-cache/ (reused when already there:
 *     the toy to the end, MNIST to half its iterations);
 *   - in VS Code, MNIST is resumed from its CodeLens and shot mid-run (dashboard.png),
 *     then used for samples.png and restore.png (a held-out test digit, degraded and
 *     restored, with its reference and PSNR/SSIM);
 *   - runs.png (the Runs view), runs-table.png, walkthrough.png, codelens.png.
 * Workbench parts that are not ours (the chat side bar, the welcome page) stay closed.
 * Prints how long each step took. Env: SCREENSHOTS_OUT (default docs/screenshots).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { hostCommand, hostMissing, startCodeServer, writeUserSettings } from './code-server.mjs';
import { loadMnist } from '../sidecar/engine/data/mnist.ts';
import { encodePng } from '../sidecar/engine/data/images.ts';
import { readRunSummary } from '../sidecar/runLayout/runFolder.ts';
import { notification, runCommand, webviewFrame } from '../test/workbench.ts';

const root = join(import.meta.dirname, '..');
const out = process.env.SCREENSHOTS_OUT ?? join(root, 'docs', 'screenshots');
const tmp = join(root, '.tmp');
const cache = join(tmp, 'screenshots-cache');
const ws = join(tmp, 'screenshots-ws');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const t0 = Date.now();
const log = (m: string): void => void process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${m}\n`);

const missing = hostMissing();
if (missing) throw new Error(`${missing} (npm run test:vscode installs it)`);
if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (scripts/ensure-chromium.sh installs it).`);

// 1. The .vsix, as a user installs it.
log('packaging the extension');
execFileSync(process.execPath, [join(root, 'scripts', 'package.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };
const vsix = join(root, `${pkg.name}-${pkg.version}.vsix`);

// 2. The shipped examples, trained with the CLI (reused from an earlier run of this script).
const example = (file: string): Record<string, unknown> => JSON.parse(readFileSync(join(root, 'examples', file), 'utf8')) as Record<string, unknown>;
const toy = example('toy-25gaussians.ecvae.json');
const mnist = example('mnist.ecvae.json');
const mnistTotal = (mnist.training as { iterations: number }).iterations;
mkdirSync(cache, { recursive: true });
function trainCached(name: string, config: Record<string, unknown>, iterations: number): void {
  const runDir = join(cache, 'runs', name);
  if (existsSync(runDir) && readRunSummary(runDir).iteration >= iterations) return log(`reusing ${runDir}`);
  log(`training ${name} to iteration ${iterations} with the CLI (ecvae train)`);
  const file = join(cache, `${name}.ecvae.json`);
  writeFileSync(file, JSON.stringify(config, null, 2) + '\n');
  const r = spawnSync(process.execPath, [join(root, 'bin', 'ecvae.js'), 'train', file, '--out', runDir, '--iterations', String(iterations), '--resume'], {
    cwd: cache,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`training ${name} failed (exit ${r.status})`);
}
trainCached('toy-25gaussians', toy, (toy.training as { iterations: number }).iterations);
trainCached('mnist', mnist, mnistTotal / 2);

// 3. The workspace VS Code opens: both configs, their runs (MNIST half-way), a held-out digit.
rmSync(ws, { recursive: true, force: true });
mkdirSync(join(ws, 'runs'), { recursive: true });
writeFileSync(join(ws, 'toy-25gaussians.ecvae.json'), JSON.stringify(toy, null, 2) + '\n');
writeFileSync(join(ws, 'mnist.ecvae.json'), JSON.stringify(mnist, null, 2) + '\n');
for (const name of ['toy-25gaussians', 'mnist']) cpSync(join(cache, 'runs', name), join(ws, 'runs', name), { recursive: true });
// The runs record the config they were trained from: point them at the workspace's copies.
for (const name of ['toy-25gaussians', 'mnist']) {
  const source = join(ws, 'runs', name, 'source.json');
  if (existsSync(source)) writeFileSync(source, readFileSync(source, 'utf8').replace(join(cache, `${name}.ecvae.json`), join(ws, `${name}.ecvae.json`)));
}
const test = loadMnist('mnist', 'test', 100);
const size = 28 * 28;
// A held-out digit (the test split is not trained on).
writeFileSync(join(ws, 'held-out-digit.png'), encodePng(test.x.subarray(0, size), 28, 28, 1));

// 4. VS Code with the .vsix installed, quiet: no chat, no welcome page, no tips.
const { node, entry } = hostCommand();
const extensions = join(tmp, 'screenshots-extensions');
const userData = join(tmp, 'screenshots-user');
for (const d of [extensions, userData]) rmSync(d, { recursive: true, force: true });
const install = spawnSync(node, [entry, '--extensions-dir', extensions, '--user-data-dir', userData, '--install-extension', vsix], { encoding: 'utf8' });
if (install.status !== 0) throw new Error(`installing the .vsix failed:\n${install.stdout}\n${install.stderr}`);
writeUserSettings(userData, {
  'workbench.tips.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'workbench.layoutControl.enabled': false,
  'window.commandCenter': false,
  'workbench.colorTheme': 'Default Dark Modern',
  'editor.minimap.enabled': false,
  'git.enabled': false,
});
const server = await startCodeServer({ extensions, userData, args: [ws] });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
const page: Page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
const shot = async (name: string): Promise<void> => {
  await new Promise((r) => setTimeout(r, 800));
  await page.screenshot({ path: join(out, `${name}.png`) });
  log(`wrote ${join(out, `${name}.png`)}`);
};
const closeNotifications = async (): Promise<void> => {
  await runCommand(page, 'Notifications: Clear All Notifications');
};
const openFile = async (name: string): Promise<void> => {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+P');
  await page.locator('.quick-input-widget input').fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().click();
};

try {
  mkdirSync(out, { recursive: true });
  await page.goto(`http://127.0.0.1:${server.port}/?folder=${encodeURIComponent(ws)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  await new Promise((r) => setTimeout(r, 3000));
  await runCommand(page, 'View: Close Secondary Side Bar').catch(() => undefined);
  await runCommand(page, 'View: Close All Editors');

  // codelens.png: the MNIST config with its lenses (a run exists, half-way), the Runs view beside.
  await runCommand(page, 'Explorer: Focus on EC-VAE Runs View');
  await openFile('mnist.ecvae.json');
  const resume = page.locator('.codelens-decoration a', { hasText: 'Resume from' }).first();
  await resume.waitFor({ timeout: 60_000 });
  await shot('codelens');

  // dashboard.png: resume MNIST from its CodeLens; shoot it mid-run, then let it finish.
  await resume.click();
  await webviewFrame(page, '#chart-losses');
  log('MNIST resumed in VS Code; waiting for it to pass three quarters of its iterations');
  // Read from the run folder: the webview's frame may be re-created while the panel moves.
  const target = Math.round(mnistTotal * 0.75);
  const metrics = join(ws, 'runs', 'mnist', 'metrics.jsonl');
  const lastIteration = (): number => {
    const lines = readFileSync(metrics, 'utf8').trim().split('\n');
    return Number(/"iteration":(\d+)/.exec(lines[lines.length - 1] ?? '')?.[1] ?? 0);
  };
  while (lastIteration() < target) await new Promise((r) => setTimeout(r, 500));
  // Taller, so the sample grids and their slider show under the charts.
  await page.setViewportSize({ width: 1600, height: 1450 });
  await runCommand(page, 'View: Toggle Maximize Editor Group');
  await shot('dashboard');
  await runCommand(page, 'View: Toggle Maximize Editor Group');
  await page.setViewportSize({ width: 1600, height: 1000 });
  await notification(page, /EC-VAE training (finished|failed|stopped)/, 15 * 60_000);
  await closeNotifications();
  log('MNIST finished');

  // samples.png: Generate Samples from the config's CodeLens.
  await runCommand(page, 'View: Close All Editors');
  await runCommand(page, 'Collapse Folders in Explorer');
  await openFile('mnist.ecvae.json');
  await page.locator('.codelens-decoration a', { hasText: 'Samples' }).first().click();
  const samples = await webviewFrame(page, '#one');
  await samples.locator('#one img').nth(15).waitFor({ timeout: 120_000 });
  // 32 samples, one-step and refined by 5 Langevin steps on the energy (the example's sampleMcmcSteps).
  await samples.fill('#n', '32');
  await samples.fill('#mcmcSteps', '5');
  await samples.click('#generate');
  await samples.locator('#mcmc img').nth(31).waitFor({ timeout: 180_000 });
  await shot('samples');

  // restore.png: the held-out digit, its lower half removed and restored, scored against it.
  await runCommand(page, 'View: Close All Editors');
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'held-out-digit.png' }).first().click({ button: 'right' });
  const item = page.locator('.context-view .action-label', { hasText: 'Restore Image…' }).first();
  await item.waitFor({ timeout: 30_000 });
  await item.hover();
  await page.keyboard.press('Enter');
  const restore = await webviewFrame(page, '#canvas');
  await restore.locator('#image-info', { hasText: '28×28' }).waitFor({ timeout: 60_000 });
  await restore.selectOption('#checkpoint', join(ws, 'runs', 'mnist'));
  await restore.selectOption('#task', 'inpaint');
  await restore.selectOption('#maskPreset', 'half');
  await restore.check('#fromClean');
  await restore.click('#run');
  await restore.locator('#cards', { hasText: 'PSNR' }).waitFor({ timeout: 180_000 });
  await restore.locator('#samples-strip .card').first().waitFor({ timeout: 180_000 });
  // The panel alone (one editor group: nothing to maximize), tall enough for the results.
  await runCommand(page, 'View: Close Primary Side Bar');
  await page.setViewportSize({ width: 1600, height: 1300 });
  await restore.locator('#results').scrollIntoViewIfNeeded();
  await shot('restore');
  await page.setViewportSize({ width: 1600, height: 1000 });
  await runCommand(page, 'View: Toggle Primary Side Bar Visibility');

  // runs-table.png and runs.png: every run, the table and the Runs view.
  await runCommand(page, 'View: Close All Editors');
  await runCommand(page, 'EC-VAE: Show Runs Table');
  const table = await webviewFrame(page, '#runs');
  await table.locator('#runs tbody tr').nth(1).waitFor({ timeout: 30_000 });
  await shot('runs-table');
  await runCommand(page, 'View: Close All Editors');
  await runCommand(page, 'Explorer: Focus on EC-VAE Runs View');
  const runRow = page.locator('.monaco-list-row', { hasText: 'mnist' }).filter({ hasText: 'finished' }).first();
  await runRow.waitFor({ timeout: 30_000 });
  await runRow.locator('.monaco-tl-twistie').click();
  await openFile('mnist.ecvae.json');
  await shot('runs');

  // walkthrough.png: the getting-started walkthrough.
  await runCommand(page, 'View: Close All Editors');
  await runCommand(page, 'Welcome: Open Walkthrough...');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Get started with EC-VAE Studio' }).first().click();
  await page.locator('.getting-started-step', { hasText: 'Create a config from a template' }).first().waitFor({ timeout: 30_000 });
  await shot('walkthrough');
  log(`done: ${out}/{dashboard,samples,restore,runs,runs-table,walkthrough,codelens}.png in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
} catch (err) {
  await page.screenshot({ path: join(tmp, 'screenshots-failure.png') }).catch(() => undefined);
  throw err;
} finally {
  await browser.close();
  server.stop();
}
