/**
 * The runs table: rows read from real run folders (summary, key hyper-parameters from
 * config.json, the newest metrics), and the webview in a real browser: sortable by any
 * column (kept after a reload), a row posts "open" with its run folder, strict CSP.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { runsTableBody } from '../../extension/runsTable/html.ts';
import type { RunRow, RunsTableState } from '../../extension/runsTable/messages.ts';
import { runRows } from '../../extension/runsTable/rows.ts';
import { webviewPage } from '../../extension/webviewPage.ts';
import { listRuns } from '../../sidecar/runLayout/runFolder.ts';
import { appendMetrics, prepareRunFolder, writeStatus } from '../../sidecar/engine/store/runWriter.ts';
import { tempDir, withDefaults } from '../helpers.ts';
import { launchChromium, openWebview, sendToWebview, writeWebviewPage } from '../webviewHarness.ts';

let browser: Browser;
const dir = tempDir();
const pageFile = join(dir, 'runs-table.html');

before(async () => {
  writeWebviewPage(pageFile, 'runsTable', (o) => webviewPage(o, 'EC-VAE runs', runsTableBody()));
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

function makeRun(name: string, o: { iteration: number; batchSize: number; rec: number; status: 'finished' | 'stopped' }): string {
  const runDir = join(dir, 'runs', name);
  prepareRunFolder(runDir, withDefaults({ name, data: { kind: 'mnist' }, training: { batchSize: o.batchSize, iterations: 100 } }), true);
  appendMetrics(runDir, { iteration: o.iteration, rec: o.rec, kl: 2, elbo: 0, lambda: 1, itPerSec: 4, elapsed: 1, gap: 0.5 });
  writeStatus(runDir, { status: o.status, iteration: o.iteration, total: 100 });
  return runDir;
}

test('rows carry status, iteration, key hyper-parameters and the last metrics of each run folder', () => {
  makeRun('alpha', { iteration: 100, batchSize: 64, rec: 30, status: 'finished' });
  makeRun('beta', { iteration: 40, batchSize: 16, rec: 55.5, status: 'stopped' });
  const rows = runRows(listRuns(join(dir, 'runs')), () => undefined);
  const beta = rows.find((r) => r.name === 'beta')!;
  assert.deepEqual(
    [beta.status, beta.iteration, beta.total, beta.params.batchSize, beta.params.model, beta.last.rec, beta.last.gap],
    ['stopped', 40, 100, 16, 'auto', 55.5, 0.5],
  );
  assert.equal(beta.where, 'beta');
  assert.ok(beta.updated && !Number.isNaN(Date.parse(beta.updated)));
});

test('the table sorts by the clicked column (again: the other way), keeps it after a reload, and a row opens its dashboard', async () => {
  const rows: RunRow[] = runRows(listRuns(join(dir, 'runs')), () => undefined);
  const { page, errors } = await openWebview(browser, pageFile);
  await sendToWebview(page, { type: 'rows', rows });
  const names = (p: Page): Promise<string[]> => p.$$eval('#runs tbody tr td:first-child', (els) => els.map((e) => e.firstChild?.textContent ?? ''));
  assert.equal(await page.textContent('#count'), '2 runs');
  await page.click('th[data-key="batchSize"] button');
  assert.deepEqual(await names(page), ['alpha', 'beta'], 'numbers sort largest first on the first click');
  await page.click('th[data-key="batchSize"] button');
  assert.deepEqual(await names(page), ['beta', 'alpha']);
  assert.equal(await page.getAttribute('th[data-key="batchSize"]', 'aria-sort'), 'ascending');
  await page.click('th[data-key="rec"] button');
  assert.deepEqual(await names(page), ['beta', 'alpha'], 'rec 55.5 above 30');
  const cells = await page.$$eval('#runs tbody tr:first-child td', (els) => els.map((e) => e.textContent));
  assert.deepEqual(cells.slice(1, 12), ['stopped', '40 / 100', 'auto', '64', '16', '2e-4', '0.1', '15', '55.5', '2', '0.5']);
  await page.click('#runs tbody tr:nth-child(2)');
  assert.deepEqual(((await page.evaluate('window.__posted')) as unknown[]).slice(-1), [{ type: 'open', runDir: join(dir, 'runs', 'alpha') }]);
  const saved = (await page.evaluate('window.__state')) as RunsTableState;
  assert.deepEqual(saved.sort, { key: 'rec', descending: true });
  const reloaded = await openWebview(browser, pageFile, saved);
  await sendToWebview(reloaded.page, { type: 'rows', rows });
  assert.deepEqual(await names(reloaded.page), ['beta', 'alpha']);
  assert.deepEqual([...errors, ...reloaded.errors], [], 'no script errors and no CSP violations');
});
