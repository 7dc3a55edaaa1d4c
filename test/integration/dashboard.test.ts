/**
 * The training dashboard webview in a real browser (Debian's Chromium via playwright-core):
 * the HTML with its strict CSP, fed with the extension's messages through a stand-in
 * acquireVsCodeApi. Checks that the charts redraw, the sample grid and status update,
 * the controls post messages, state survives a reload, and no CSP violation occurs.
 * Saves test/artifacts/dashboard.png.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { dashboardHtml } from '../../extension/dashboard/html.ts';
import type { DashboardState, ToDashboard } from '../../extension/dashboard/messages.ts';
import { replayMessages } from '../../extension/dashboard/replay.ts';
import { train } from '../../sidecar/engine/jobs/run.ts';
import { readRunSnapshot } from '../../sidecar/runLayout/runFolder.ts';
import { encodePng } from '../../sidecar/engine/data/images.ts';
import { repoRoot, tempDir, withDefaults } from '../helpers.ts';
import { launchChromium, openWebview, sendToWebview, writeWebviewPage } from '../webviewHarness.ts';

let browser: Browser;
const dir = tempDir();
const page_ = join(dir, 'dashboard.html');

before(async () => {
  writeWebviewPage(page_, 'dashboard', dashboardHtml);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

const open = (saved?: DashboardState): Promise<{ page: Page; errors: string[] }> => openWebview(browser, page_, saved);
const send = (page: Page, msg: ToDashboard): Promise<void> => sendToWebview(page, msg);

function record(i: number) {
  return {
    iteration: i * 10,
    rec: 100 / i,
    kl: 5 + Math.sin(i),
    elbo: 0,
    cal: 0.5 / i,
    gradNorm: 1e4 * (1 + Math.cos(i)),
    vaeLr: 0.001 / i,
    calDistance: 0.01 / i,
    epsilon: 0.001,
    eData: -i / 5,
    eNeg: i / 10,
    eHeld: -i / 6,
    gap: i / 10 + i / 6,
    drift: 0.05 + i / 1000,
    noise: 0.02,
    ebmLoss: 0,
    lambda: 30 + i / 10,
    itPerSec: 3 + (i % 3) / 10,
    elapsed: i,
  };
}

function gridDataUri(): string {
  const px = new Float32Array(40 * 40).map((_, k) => Math.sin(k / 7));
  return `data:image/png;base64,${encodePng(px, 40, 40, 1).toString('base64')}`;
}

test('dashboard: live curves, sample grids, status, controls, state restored after reload, strict CSP', async () => {
  const { page, errors } = await open();
  assert.deepEqual(await page.evaluate('window.__posted'), [{ type: 'ready' }]);
  assert.equal(await page.locator('canvas').count(), 8, 'eight uPlot charts (the flow prior and gradient norm charts too)');
  assert.match((await page.textContent('#chart-losses .u-legend'))!, /rec–kl–|rec\s*–\s*kl\s*–/, 'an empty chart: dashes, not stale values');
  const emptyChart = await page.locator('#chart-losses canvas').screenshot();
  const emptyGrad = await page.locator('#chart-grad canvas').screenshot();
  const emptyDrift = await page.locator('#chart-drift canvas').screenshot();

  await send(page, { type: 'reset', run: { runDir: '/runs/mnist', name: 'mnist', total: 0 } }); // opened before status.json exists
  await send(page, { type: 'metrics', records: Array.from({ length: 20 }, (_, i) => record(i + 1)), total: 2000 });
  await send(page, { type: 'metrics', records: [record(19), record(20), record(21)] }); // overlap is dropped
  await send(page, { type: 'samples', iteration: 200, kind: 'one-step', src: gridDataUri() });
  await send(page, { type: 'samples', iteration: 200, kind: 'mcmc', src: gridDataUri() });

  assert.equal(await page.textContent('#run-name'), 'EC-VAE training: mnist');
  assert.match((await page.textContent('#progress'))!, /^iteration 210 \/ 2000 · 3\.\d\d it\/s · ETA 9 min \d+ s$/);
  // Axis titles with units, and legends that show the newest values without a hover.
  const axisTitles = await page.$$eval('#chart-losses .axis-title', (els) => els.map((e) => e.textContent));
  assert.deepEqual(axisTitles, ['reconstruction (nats / example)', 'KL (nats)', 'iteration']);
  const legendValues = await page.$$eval('#chart-losses .u-legend .u-series .u-value', (els) => els.map((e) => e.textContent));
  assert.deepEqual(legendValues, ['210', String(+(100 / 21).toPrecision(4)), String(+(5 + Math.sin(21)).toPrecision(4))]);
  assert.equal(await page.textContent('#status'), 'running');
  const drawn = await page.locator('#chart-losses canvas').screenshot();
  assert.notDeepEqual(drawn, emptyChart, 'the loss chart draws the curves');
  assert.notDeepEqual(await page.locator('#chart-drift canvas').screenshot(), emptyDrift, 'the drift chart draws the curves');
  assert.notDeepEqual(await page.locator('#chart-grad canvas').screenshot(), emptyGrad, 'the gradient-norm chart draws gradNorm');
  assert.equal(await page.isHidden('#calibration-warning'), true, 'no calibration warning while the records carry none');
  const warning = 'calibration inactive (iterations 220–290): the chains are mostly noise';
  await send(page, { type: 'metrics', records: [{ ...record(22), calibrationWarning: warning }] });
  assert.equal(await page.textContent('#calibration-warning'), warning, "the newest record's warning is shown");
  await send(page, { type: 'metrics', records: [record(23)] });
  assert.equal(await page.isHidden('#calibration-warning'), true, 'the warning goes once calibration is active again');
  const imgWidth = await page.evaluate(`document.getElementById('img-one-step').naturalWidth`);
  assert.equal(imgWidth, 40, 'the one-step grid is shown');
  assert.equal(await page.textContent('#it-mcmc'), '(iteration 200)');
  // The grid history: a slider through every grid the run saved.
  await send(page, { type: 'samples', iteration: 100, kind: 'one-step', src: gridDataUri() });
  assert.match((await page.textContent('#grid-info'))!, /^iteration 200 \(2 of 2\) · following the newest$/);
  await page.fill('#grid-slider', '0');
  await page.dispatchEvent('#grid-slider', 'input');
  assert.equal(await page.textContent('#it-one-step'), '(iteration 100)');
  assert.equal(await page.textContent('#it-mcmc'), '', 'no MCMC grid at or before iteration 100');
  await page.fill('#grid-slider', '1');
  await page.dispatchEvent('#grid-slider', 'input');
  assert.equal(await page.textContent('#it-mcmc'), '(iteration 200)');

  await page.click('#pause');
  await send(page, { type: 'status', status: 'paused' });
  assert.equal(await page.textContent('#pause'), 'Resume');
  await page.click('#pause');
  await page.click('#stop');
  const posted = await page.evaluate(`window.__posted.map((m) => m.type)`);
  assert.deepEqual(posted, ['ready', 'pause', 'resume', 'stop']);

  await send(page, { type: 'status', status: 'running' });
  mkdirSync(join(repoRoot, 'test', 'artifacts'), { recursive: true });
  await page.screenshot({ path: join(repoRoot, 'test', 'artifacts', 'dashboard.png'), fullPage: true });

  // A reloaded window gets its saved state back and shows the same run without new messages.
  const saved = (await page.evaluate('window.__state')) as DashboardState;
  assert.equal(saved.records.length, 23);
  assert.equal(saved.grids.length, 3);
  const reloaded = await open(saved);
  assert.match((await reloaded.page.textContent('#progress'))!, /iteration 230 \/ 2000/);
  assert.equal(await reloaded.page.evaluate(`document.getElementById('img-mcmc').naturalWidth`), 40);

  await send(page, { type: 'status', status: 'failed', message: 'Training diverged at iteration 212' });
  assert.equal(await page.textContent('#message'), 'Training diverged at iteration 212');
  assert.equal(await page.isDisabled('#stop'), true, 'no stop button for a failed run');
  assert.deepEqual([...errors, ...reloaded.errors], [], 'no script errors and no CSP violations');
});

test('dashboard: other runs overlaid dashed (any number), smoothing, log scale, links to the panels; kept after reload', async () => {
  const { page, errors } = await open();
  await send(page, { type: 'reset', run: { runDir: '/runs/ec', name: 'ec', total: 200 } });
  await send(page, { type: 'metrics', records: Array.from({ length: 20 }, (_, k) => record(k + 1)) });
  for (const id of ['open-samples', 'open-restore', 'compare']) await page.click(`#${id}`);
  assert.deepEqual(((await page.evaluate('window.__posted')) as { type: string }[]).slice(-3), [
    { type: 'openSamples' },
    { type: 'openRestore' },
    { type: 'pickOverlay' },
  ]);
  const legend = async (): Promise<string[]> =>
    page.$$eval('#chart-losses .u-legend .u-series:not(.u-off) .u-label', (els) => els.map((e) => e.textContent ?? ''));
  assert.deepEqual(await legend(), ['iteration', 'rec', 'kl']);
  const other = Array.from({ length: 15 }, (_, k) => ({ ...record(k + 1), iteration: (k + 1) * 13, rec: 50 / (k + 1) }));
  await send(page, { type: 'overlay', name: 'vae', records: other });
  await send(page, { type: 'overlay', name: 'beta2', records: other.slice(0, 5).map((r) => ({ ...r, rec: 7 })) });
  assert.deepEqual(await legend(), ['iteration', 'rec', 'kl', 'rec (vae)', 'kl (vae)', 'rec (beta2)', 'kl (beta2)']);
  assert.equal(await page.textContent('#overlay-info'), 'dashed: vae, beta2');
  // Each run's legend shows its own newest value, though the runs end at different iterations.
  const values = await page.$$eval('#chart-losses .u-legend .u-series .u-value', (els) => els.map((e) => e.textContent));
  assert.deepEqual([values[1], values[3], values[5]], [String(+(100 / 20).toPrecision(4)), String(+(50 / 15).toPrecision(4)), '7']);
  const raw = await page.locator('#chart-losses canvas').screenshot();
  await page.fill('#smoothing', '0.9');
  await page.dispatchEvent('#smoothing', 'input');
  assert.notDeepEqual(await page.locator('#chart-losses canvas').screenshot(), raw, 'smoothing redraws the curves');
  const linear = await page.locator('#chart-losses canvas').screenshot();
  await page.check('#log-scale');
  assert.notDeepEqual(await page.locator('#chart-losses canvas').screenshot(), linear, 'the log axis redraws the chart');
  const saved = (await page.evaluate('window.__state')) as DashboardState;
  assert.deepEqual(
    saved.overlays.map((o) => o.name),
    ['vae', 'beta2'],
  );
  assert.equal(saved.smoothing, 0.9);
  assert.equal(saved.logScale, true);
  const reloaded = await open(saved);
  assert.equal(await reloaded.page.inputValue('#smoothing'), '0.9');
  assert.equal(await reloaded.page.isChecked('#log-scale'), true);
  assert.equal(await reloaded.page.textContent('#overlay-info'), 'dashed: vae, beta2');
  await reloaded.page.click('#clear-overlay');
  assert.equal(await reloaded.page.isVisible('#overlay-info'), false);
  assert.deepEqual([...errors, ...reloaded.errors], []);
});

test('a real run folder replayed into the dashboard (metrics.jsonl, every grid, status); screenshot', async () => {
  const runDir = join(dir, 'mnist-run');
  await train(
    withDefaults({
      name: 'mnist-tiny',
      data: { kind: 'mnist', limit: 256 },
      model: { kind: 'conv', width: 4, latentDim: 8, ebmHidden: 16 },
      training: { iterations: 60, batchSize: 16, vaeLearningRate: 0.002 },
      calibration: { sgldSteps: 3 },
      logging: { every: 5, sampleEvery: 30, checkpointEvery: 60, sampleCount: 16, sampleMcmcSteps: 3 },
    }),
    { runDir },
  );
  const dataUri = (f: string): string => `data:image/png;base64,${readFileSync(f).toString('base64')}`;
  const msgs = replayMessages(readRunSnapshot(runDir), dataUri);
  assert.deepEqual(
    msgs.map((m) => m.type),
    ['reset', 'metrics', 'samples', 'samples', 'samples', 'samples', 'status'],
  );
  const metrics = msgs[1] as Extract<ToDashboard, { type: 'metrics' }>;
  assert.deepEqual(
    metrics.records.map((r) => r.iteration),
    Array.from({ length: 12 }, (_, i) => 5 * (i + 1)),
  );
  assert.deepEqual(
    msgs.filter((m) => m.type === 'samples').map((m) => (m as { iteration: number }).iteration),
    [30, 30, 60, 60],
  );

  const { page, errors } = await open();
  for (const m of msgs) await send(page, m);
  assert.match((await page.textContent('#progress'))!, /iteration 60 \/ 60/);
  assert.equal(await page.textContent('#status'), 'finished');
  assert.ok(((await page.evaluate(`document.getElementById('img-mcmc').naturalWidth`)) as number) > 0);
  await page.screenshot({ path: join(repoRoot, 'test', 'artifacts', 'dashboard-real-run.png'), fullPage: true });
  assert.deepEqual(errors, []);
});

test('the dashboard HTML has a strict CSP: no remote sources, no inline script without the nonce', () => {
  const html = dashboardHtml({
    cspSource: 'vscode-webview://abc',
    scriptUri: 'vscode-webview://abc/dashboard.js',
    styleUri: 'vscode-webview://abc/dashboard.css',
    nonce: 'N0nce',
  });
  const csp = /content="([^"]+)"/.exec(html)![1]!;
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'nonce-N0nce'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
  assert.equal((html.match(/<script /g) ?? []).length, 1);
  assert.match(html, /<script nonce="N0nce" src="vscode-webview:\/\/abc\/dashboard.js">/);
});
