/**
 * The packaged extension in a real VS Code: code-server (VS Code's workbench and extension
 * host, from npm; scripts/install-vscode-host.sh) with the .vsix installed through its
 * CLI, driven from Debian's Chromium by playwright-core. Checks what a user sees:
 * activation and backend info, squiggles and hover from the config language server, a
 * training run from the command palette with its dashboard (axis titles, live legend
 * values, an overlaid run), each schema error once in Problems, the Runs tree, and the
 * restoration panel opened from the explorer's context menu.
 *
 * Slow (starts a workbench, trains a small model): run by `npm run test:vscode`, which
 * .ci/run calls as its second step; not part of `npm test`.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { encodePng } from '../../sidecar/engine/data/images.ts';
import { hostCommand, hostMissing, startCodeServer, writeUserSettings } from '../../scripts/code-server.mjs';
import { repoRoot, tempDir } from '../helpers.ts';
import { notification as notificationIn, runCommand as runCommandIn, webviewFrame as webviewFrameIn } from '../workbench.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
const vsix = join(repoRoot, `${pkg.name}-${pkg.version}.vsix`);
const artifacts = join(repoRoot, 'test', 'artifacts');

let server: Awaited<ReturnType<typeof startCodeServer>> | undefined;
let browser: Browser;
let page: Page;
const ws = tempDir('ecvae-e2e-ws-');

before(async () => {
  assert.equal(hostMissing(), undefined, 'npm run test:vscode installs it');
  assert.ok(existsSync(vsix), `${vsix} missing: npm run package`);
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}`);
  const { node, entry } = hostCommand();
  const extensions = tempDir('ecvae-e2e-ext-');
  const userData = tempDir('ecvae-e2e-user-');
  const install = spawnSync(node, [entry, '--extensions-dir', extensions, '--user-data-dir', userData, '--install-extension', vsix], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(install.status, 0, `installing the .vsix failed:\n${install.stdout}\n${install.stderr}`);
  assert.match(install.stdout, /was successfully installed/);
  writeUserSettings(userData, { 'workbench.tips.enabled': false, 'editor.hover.delay': 100 });

  writeFileSync(
    join(ws, 'tiny.ecvae.json'),
    JSON.stringify(
      {
        name: 'tiny',
        data: { kind: 'mnist', limit: 256 },
        model: { kind: 'conv', width: 4, latentDim: 4, ebmHidden: 16 },
        training: { iterations: 40, batchSize: 16 },
        calibration: { sgldSteps: 2 },
        logging: { every: 5, sampleEvery: 20, checkpointEvery: 20 },
      },
      null,
      2,
    ),
  );
  writeFileSync(
    join(ws, 'digit.png'),
    encodePng(
      new Float32Array(28 * 28).map((_, i) => (i % 28 > 9 && i % 28 < 18 ? 0.9 : 0.1)),
      28,
      28,
      1,
    ),
  );
  writeFileSync(join(ws, 'bad.ecvae.json'), '{\n  "data": { "kind": "mnist" },\n  "training": { "batchSize": 0 }\n}\n');

  server = await startCodeServer({ extensions, userData, args: [ws] });
  const { port } = server;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
  mkdirSync(artifacts, { recursive: true });
});

after(async () => {
  await page?.screenshot({ path: join(artifacts, 'vscode-e2e-last.png') }).catch(() => undefined);
  await browser?.close();
  server?.stop();
});

const runCommand = (label: string): Promise<void> => runCommandIn(page, label);
const notification = (pattern: RegExp, timeout?: number): Promise<string> => notificationIn(page, pattern, timeout);
const webviewFrame = (selector: string, timeout?: number): Promise<Frame> => webviewFrameIn(page, selector, timeout);

test('the installed extension activates; Show Backend Info reports WASM', async () => {
  await runCommand('EC-VAE: Show Backend Info');
  assert.match(await notification(/EC-VAE backend:/), /EC-VAE backend: wasm/);
});

test("a bad config gets a squiggle and hover docs from the sidecar's language server", async () => {
  await page.keyboard.press('Control+P');
  await page.locator('.quick-input-widget input').fill('bad.ecvae.json');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'bad.ecvae.json' }).first().click();
  await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 60_000 });
  await runCommand('View: Focus Problems (Errors, Warnings, Infos)');
  const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'batchSize' }).first();
  await problem.waitFor({ timeout: 30_000 });
  assert.match((await problem.textContent()) ?? '', /"training\.batchSize" must be >= 1/);
  // One diagnostic per problem: the language server's, and no second report from a JSON schema binding.
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(await page.locator('.markers-panel .monaco-list-row', { hasText: 'batchSize' }).count(), 1, 'the schema error appears once in Problems');
  // Hover over the key: our hover adds the default and the valid range to the schema's description.
  await page.locator('.monaco-editor .view-line span', { hasText: '"batchSize"' }).last().hover();
  const hover = page.locator('.monaco-hover', { hasText: 'training.batchSize' }).first();
  await hover.waitFor({ timeout: 30_000 });
  assert.match((await hover.textContent()) ?? '', /default 32 · valid ≥ 1/);
  await page.screenshot({ path: join(artifacts, 'vscode-e2e-hover.png') });
  await page.keyboard.press('Escape');
});

test('Train from the palette: the dashboard follows the run to the end, and the Runs tree lists it', async () => {
  await runCommand('EC-VAE: Train');
  const pick = page.locator('.quick-input-list .monaco-list-row', { hasText: 'tiny.ecvae.json' }).first();
  await pick.waitFor({ timeout: 30_000 });
  await pick.click();
  await page.locator('.tab', { hasText: 'EC-VAE' }).first().waitFor({ timeout: 60_000 });
  assert.match(await notification(/EC-VAE training (finished|failed|stopped)/, 240_000), /EC-VAE training finished at iteration 40/);
  await page.screenshot({ path: join(artifacts, 'vscode-e2e-dashboard.png') });
  const header = page.locator('.pane-header', { hasText: 'EC-VAE Runs' }).first();
  if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
  const run = page.locator('.monaco-list-row', { hasText: 'tiny' }).filter({ hasText: 'finished' }).first();
  await run.waitFor({ timeout: 30_000 });
  assert.match((await run.textContent()) ?? '', /tiny\s*finished · 40\/40 · 2 checkpoints/);
  await page.screenshot({ path: join(artifacts, 'vscode-e2e-runs-tree.png') });
  assert.ok(existsSync(join(ws, 'runs', 'tiny', 'checkpoints', 'latest')));
});

test('the dashboard at a glance: axis titles with units, legends with the newest values, another run overlaid', async () => {
  const dashboard = await webviewFrame('#chart-losses');
  const titles = await dashboard.locator('#chart-losses .axis-title').allTextContents();
  assert.deepEqual(titles, ['reconstruction (nats / example)', 'KL (nats)', 'iteration']);
  // No hover: the legend shows the last logged values, not "--".
  const values = await dashboard.locator('#chart-losses .u-legend .u-series .u-value').allTextContents();
  assert.equal(values[0], '40', 'the newest iteration');
  assert.ok(
    values.slice(1).every((v) => /^-?\d/.test(v)),
    `legend values: ${values.join(', ')}`,
  );
  // Another run to compare with: a copy of this one, which the Runs view lists.
  cpSync(join(ws, 'runs', 'tiny'), join(ws, 'runs', 'tiny-copy'), { recursive: true });
  await dashboard.click('#compare');
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'tiny-copy' }).first();
  await row.waitFor({ timeout: 30_000 });
  await row.click();
  await page.locator('.quick-input-widget .quick-input-action .monaco-button, .quick-input-widget a.monaco-button', { hasText: 'OK' }).first().click();
  await dashboard.locator('#overlay-info', { hasText: 'tiny (tiny-copy)' }).waitFor({ timeout: 30_000 });
  const legend = await dashboard.locator('#chart-losses .u-legend .u-series .u-label').allTextContents();
  assert.deepEqual(legend, ['iteration', 'rec', 'kl', 'rec (tiny (tiny-copy))', 'kl (tiny (tiny-copy))']);
  await page.screenshot({ path: join(artifacts, 'vscode-e2e-dashboard-overlay.png') });
  // The later tests pick "the trained run": leave one.
  rmSync(join(ws, 'runs', 'tiny-copy'), { recursive: true, force: true });
});

/** A screenshot of the editor group maximized (the docs' pictures), `selector` scrolled into view. */
async function maximizedScreenshot(frame: Frame, selector: string, file: string): Promise<void> {
  await runCommand('View: Toggle Maximize Editor Group');
  await frame.locator(selector).scrollIntoViewIfNeeded();
  await new Promise((r) => setTimeout(r, 500));
  await page.screenshot({ path: join(artifacts, file) });
  await runCommand('View: Toggle Maximize Editor Group');
}

test('Restore Image… opens the restoration panel: paint a mask, watch the estimates, see the samples, Save writes and opens the file', async (t) => {
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'digit.png' }).first().click({ button: 'right' });
  const item = page.locator('.context-view .action-label', { hasText: 'Restore Image…' }).first();
  await item.waitFor({ timeout: 30_000 });
  await item.hover(); // VS Code's menus act on the highlighted item
  await page.keyboard.press('Enter');
  await page.locator('.tab', { hasText: 'Restore digit.png' }).first().waitFor({ timeout: 30_000 });
  const panel = await webviewFrame('#canvas');
  // The page's CSP allows no eval: waits use locators, not waitForFunction strings.
  await panel.locator('#image-info', { hasText: '28×28' }).waitFor({ timeout: 30_000 });
  assert.match((await panel.textContent('#checkpoint')) ?? '', /tiny \(latest, iteration 40\)/);
  // Paint the missing pixels: a stroke across the middle rows.
  await panel.selectOption('#maskPreset', 'painted');
  await panel.click('#clear');
  const box = (await panel.locator('#canvas').boundingBox())!;
  const cell = box.width / 28;
  await page.mouse.move(box.x + 6 * cell, box.y + 14 * cell);
  await page.mouse.down();
  await page.mouse.move(box.x + 22 * cell, box.y + 14 * cell, { steps: 10 });
  await page.mouse.up();
  const clicked = Date.now();
  await panel.click('#run');
  await panel.locator('#step', { hasText: /^step \d+ of 50$/ }).waitFor({ timeout: 30_000 });
  const firstFrameMs = Date.now() - clicked;
  await panel.locator('#samples-strip .card').nth(3).waitFor({ timeout: 120_000 });
  t.diagnostic(`first estimate shown ${firstFrameMs} ms after the click (28x28, 50 steps, 4 samples)`);
  assert.ok(existsSync(join(ws, 'digit.mask.png')), 'the painted mask is saved beside the image');
  await page.screenshot({ path: join(artifacts, 'vscode-e2e-restore-panel.png') });
  await maximizedScreenshot(panel, '#results', 'vscode-e2e-restore-panel-maximized.png');
  await panel.click('#samples-strip .card >> nth=2');
  await panel.click('#save');
  await page.locator('.tab', { hasText: 'digit.inpaint-restored.png' }).first().waitFor({ timeout: 30_000 });
  assert.ok(existsSync(join(ws, 'digit.inpaint-restored.png')));
});

test('Generate Samples opens the samples panel of the trained run: a one-step grid with its time per sample', async () => {
  await runCommand('EC-VAE: Generate Samples');
  await page.locator('.tab', { hasText: 'Samples: tiny' }).first().waitFor({ timeout: 30_000 });
  const panel = await webviewFrame('#one');
  await panel.locator('#one img').nth(15).waitFor({ timeout: 60_000 });
  assert.match((await panel.textContent('#cap-one')) ?? '', /per sample/);
  await panel.locator('#one img').nth(0).click();
  await panel.locator('#one img').nth(5).click();
  await panel.click('#interpolate');
  await panel.locator('#interp img').nth(7).waitFor({ timeout: 30_000 });
  await maximizedScreenshot(panel, '#interp', 'vscode-e2e-samples-panel-maximized.png');
});
