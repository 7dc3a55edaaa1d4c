/**
 * The samples panel's webview in a real browser (webviewHarness.ts): it asks for samples
 * on open, shows one-step and MCMC grids with their times, lets two samples be chosen and
 * interpolated, re-rolls the seed, and comes back after a reload; no CSP violation.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { webviewPage } from '../../extension/webviewPage.ts';
import { samplesBody } from '../../extension/samples/html.ts';
import type { FromSamplesPanel, SamplesPanelState, ToSamplesPanel } from '../../extension/samples/messages.ts';
import { encodePng } from '../../sidecar/engine/data/images.ts';
import { tempDir } from '../helpers.ts';
import { launchChromium, openWebview, sendToWebview, writeWebviewPage } from '../webviewHarness.ts';

let browser: Browser;
const html = join(tempDir(), 'samples.html');
const png = (k: number): string =>
  `data:image/png;base64,${encodePng(
    new Float32Array(28 * 28).map((_, i) => Math.cos(i / (3 + k))),
    28,
    28,
    1,
  ).toString('base64')}`;

before(async () => {
  writeWebviewPage(html, 'samples', (o) => webviewPage(o, 'Samples', samplesBody()));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

const send = (page: Page, m: ToSamplesPanel): Promise<void> => sendToWebview(page, m);
const posted = (page: Page): Promise<FromSamplesPanel[]> => page.evaluate('window.__posted') as Promise<FromSamplesPanel[]>;
const outcome = (seed: number) => ({
  n: 4,
  seed,
  mcmcSteps: 5,
  checkpoint: '/runs/digits/checkpoints/ckpt-000010.ckpt',
  iteration: 10,
  secondsPerImage: { oneStep: 0.0004, mcmc: 0.012 },
  previews: { kind: 'images' as const, oneStep: [0, 1, 2, 3].map(png), mcmc: [4, 5, 6, 7].map(png), latents: [0, 1, 2, 3].map((i) => [i, 10 - i]) },
});

test('samples panel: grids with times, two samples interpolated, re-roll, state after reload, strict CSP', async () => {
  const { page, errors } = await openWebview(browser, html);
  await send(page, { type: 'init', source: { name: 'digits', checkpoint: '/runs/digits' } });
  assert.deepEqual(await posted(page), [{ type: 'ready' }, { type: 'generate', form: { n: 16, seed: 0, mcmcSteps: 0 } }], 'it samples on open');
  await page.fill('#mcmcSteps', '5');
  await send(page, { type: 'samples', outcome: outcome(0), form: { n: 4, seed: 0, mcmcSteps: 5 } });
  assert.equal(await page.locator('#one img').count(), 4);
  assert.equal(await page.locator('#mcmc img').count(), 4);
  assert.match((await page.textContent('#cap-one'))!, /400 µs per sample/);
  assert.match((await page.textContent('#cap-mcmc'))!, /MCMC-refined \(5 steps\): 12\.0 ms per sample/);
  assert.equal(await page.isDisabled('#interpolate'), true);
  await page.click('#one img >> nth=1');
  await page.click('#one img >> nth=0');
  await page.click('#one img >> nth=3'); // a third choice drops the oldest
  await page.click('#interpolate');
  assert.deepEqual((await posted(page)).at(-1), { type: 'interpolate', from: [0, 10], to: [3, 7] });
  await send(page, { type: 'interpolation', images: [0, 1, 2, 3, 4, 5, 6, 7].map(png) });
  assert.equal(await page.locator('#interp img').count(), 8);
  await page.click('#reroll');
  assert.deepEqual((await posted(page)).at(-1), { type: 'generate', form: { n: 16, seed: 1, mcmcSteps: 5 } });
  await send(page, { type: 'error', message: 'No such checkpoint or run folder' });
  assert.equal(await page.textContent('#status'), 'No such checkpoint or run folder');
  await page.click('#save');
  assert.deepEqual((await posted(page)).at(-1), { type: 'save', form: { n: 16, seed: 1, mcmcSteps: 5 } });

  const state = (await page.evaluate('window.__state')) as SamplesPanelState;
  const reloaded = await openWebview(browser, html, state);
  assert.equal(await reloaded.page.locator('#one img').count(), 4, 'the grids are back without a message');
  assert.equal(await reloaded.page.locator('#interp img').count(), 8);
  await send(reloaded.page, { type: 'init', source: { name: 'digits', checkpoint: '/runs/digits' } });
  assert.deepEqual(await posted(reloaded.page), [{ type: 'ready' }], 'no new sampling after a reload');
  assert.deepEqual([...errors, ...reloaded.errors], []);
});
