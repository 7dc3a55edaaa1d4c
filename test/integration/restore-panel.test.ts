/**
 * The restoration panel's webview in a real browser (webviewHarness.ts): the form and its
 * defaults, mask presets drawn with the engine's formulas, painting that produces the
 * expected mask bits, live frames, results with scores, sample selection and Save, state
 * restored after a reload, no CSP violation. Saves test/artifacts/restore-panel.png.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { webviewPage } from '../../extension/webviewPage.ts';
import { restoreBody } from '../../extension/restore/html.ts';
import type { FromRestorePanel, RestorePanelState, ToRestorePanel } from '../../extension/restore/messages.ts';
import { encodePng } from '../../sidecar/engine/data/images.ts';
import { repoRoot, tempDir } from '../helpers.ts';
import { launchChromium, openWebview, sendToWebview, writeWebviewPage } from '../webviewHarness.ts';

let browser: Browser;
const dir = tempDir();
const html = join(dir, 'restore.html');
const image = join(dir, 'digit.png');
const png = (seed: number): string =>
  `data:image/png;base64,${encodePng(
    new Float32Array(28 * 28).map((_, k) => Math.sin(k / (5 + seed))),
    28,
    28,
    1,
  ).toString('base64')}`;

before(async () => {
  writeWebviewPage(html, 'restore', (o) => webviewPage(o, 'Restore', restoreBody()));
  writeFileSync(
    image,
    encodePng(
      new Float32Array(28 * 28).map((_, k) => (k % 28 > 9 && k % 28 < 18 ? 0.8 : -0.8)),
      28,
      28,
      1,
    ),
  );
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

const send = (page: Page, m: ToRestorePanel): Promise<void> => sendToWebview(page, m);
const posted = (page: Page): Promise<FromRestorePanel[]> => page.evaluate('window.__posted') as Promise<FromRestorePanel[]>;
const init: ToRestorePanel = {
  type: 'init',
  image: { path: image, src: pathToFileURL(image).href, name: 'digit.png' },
  checkpoints: [
    { label: 'digits (latest, iteration 10)', path: '/runs/digits' },
    { label: 'digits / ckpt-000010.ckpt', path: '/runs/digits/checkpoints/ckpt-000010.ckpt' },
  ],
};

test('restoration panel: presets, painting the mask, live frames, results, save, state after reload, strict CSP', async () => {
  const { page, errors } = await openWebview(browser, html);
  assert.deepEqual(await posted(page), [{ type: 'ready' }]);
  await send(page, init);
  await page.waitForFunction(`document.getElementById('image-info').textContent.includes('28×28')`);
  assert.equal(await page.inputValue('#steps'), '50');
  assert.equal(await page.inputValue('#samples'), '4');
  assert.equal(await page.inputValue('#checkpoint'), '/runs/digits');
  assert.equal(await page.isVisible('fieldset[data-task="inpaint"]'), true);
  assert.equal(await page.isVisible('fieldset[data-task="sr"]'), false);

  // The centre preset, as the engine draws it: rows and columns 7..20 missing.
  let state = (await page.evaluate('window.__state')) as RestorePanelState;
  assert.equal(state.mask!.bits.filter((b) => b === 0).length, 14 * 14);
  assert.equal(state.mask!.bits[10 * 28 + 10], 0);
  assert.equal(state.mask!.bits[2 * 28 + 2], 1);

  // Paint over a corner that the preset keeps: those pixels become missing, and the preset "painted".
  await page.selectOption('#maskPreset', 'painted');
  await page.click('#clear');
  const box = (await page.locator('#canvas').boundingBox())!;
  const cell = box.width / 28;
  await page.fill('#brush', '1');
  await page.mouse.move(box.x + 2.5 * cell, box.y + 2.5 * cell);
  await page.mouse.down();
  await page.mouse.move(box.x + 5.5 * cell, box.y + 2.5 * cell, { steps: 6 });
  await page.mouse.up();
  await page.click('#run');
  const request = (await posted(page)).find((m) => m.type === 'restore') as Extract<FromRestorePanel, { type: 'restore' }>;
  assert.ok(request, 'Restore posts the request');
  assert.equal(request.form.maskPreset, 'painted');
  const missing = request.mask!.bits.flatMap((b, i) => (b ? [] : [i]));
  assert.deepEqual(missing, [2 * 28 + 2, 2 * 28 + 3, 2 * 28 + 4, 2 * 28 + 5], 'exactly the painted row segment is missing');
  assert.equal(await page.isDisabled('#run'), true, 'one restoration at a time');
  await page.click('#cancel');
  assert.deepEqual((await posted(page)).at(-1), { type: 'cancel' });

  // Live frames, then the result.
  await send(page, { type: 'progress', step: 10, steps: 50, image: png(0) });
  assert.equal(await page.textContent('#step'), 'step 10 of 50');
  const scores = (p: number) => ({ psnr: p, ssim: 0.5 });
  await send(page, {
    type: 'result',
    outcome: {
      task: 'inpaint',
      degradation: 'inpainting (mask digit.mask.png)',
      n: 1,
      ...scores(21),
      perSample: [scores(20), scores(22)],
      baselines: { pinv: scores(12), meanFill: scores(15) },
      secondsPerImage: 0.4,
      options: { steps: 50, stepSize: 0.0002, dataSigma: 0.1, energyWeight: 1, noiseScale: 1, seed: 0 },
      checkpoint: '/runs/digits/checkpoints/ckpt-000010.ckpt',
      notes: [],
      previews: { observed: png(1), samples: [png(2), png(3)], baselines: { pinv: png(1), meanFill: png(4) }, reference: png(5) },
    },
  });
  assert.equal(await page.isDisabled('#run'), false);
  assert.equal(await page.locator('#cards .card').count(), 3, 'observed, mean fill, reference');
  assert.match((await page.textContent('#cards'))!, /Observed \(A⁺y\) — PSNR 12\.00 dB · SSIM 0\.500.*Mean fill — PSNR 15\.00 dB/);
  assert.equal(await page.locator('#samples-strip .card').count(), 2);
  assert.match((await page.textContent('#samples-strip'))!, /Sample 2 — PSNR 22\.00 dB/);
  await page.click('#samples-strip .card >> nth=1');
  await page.click('#save');
  assert.deepEqual((await posted(page)).at(-1), { type: 'save', sample: 1, saveAs: false });
  await send(page, { type: 'saved', file: '/x/digit.inpaint-restored.png' });
  assert.match((await page.textContent('#saved'))!, /Saved \/x\/digit\.inpaint-restored\.png/);
  mkdirSync(join(repoRoot, 'test', 'artifacts'), { recursive: true });
  await page.screenshot({ path: join(repoRoot, 'test', 'artifacts', 'restore-panel.png'), fullPage: true });

  // A reloaded window: the same form, mask and result, before any message.
  state = (await page.evaluate('window.__state')) as RestorePanelState;
  const reloaded = await openWebview(browser, html, state);
  assert.equal(await reloaded.page.locator('#samples-strip .card').count(), 2, 'the result is back');
  await send(reloaded.page, init);
  await reloaded.page.waitForFunction(`document.getElementById('image-info').textContent.includes('28×28')`);
  assert.equal(await reloaded.page.inputValue('#maskPreset'), 'painted');
  await reloaded.page.click('#run');
  const again = (await posted(reloaded.page)).find((m) => m.type === 'restore') as Extract<FromRestorePanel, { type: 'restore' }>;
  assert.deepEqual(again.mask!.bits, request.mask!.bits, 'the painted mask survives the reload');
  assert.deepEqual([...errors, ...reloaded.errors], [], 'no script errors and no CSP violations');
});

test('restoration panel: each task shows its own parameters; a saved mask of the image size is offered as painted', async () => {
  const { page, errors } = await openWebview(browser, html);
  const bits = new Array(28 * 28).fill(1).map((_, i) => (i < 28 ? 0 : 1));
  await send(page, { ...init, mask: { width: 28, height: 28, bits } });
  await page.waitForFunction(`document.getElementById('image-info').textContent.includes('28×28')`);
  assert.equal(await page.inputValue('#maskPreset'), 'painted');
  await page.selectOption('#task', 'sr');
  assert.equal(await page.isVisible('fieldset[data-task="sr"]'), true);
  assert.equal(await page.isVisible('fieldset[data-task="inpaint"]'), false);
  await page.selectOption('#factor', '2');
  await page.click('#run');
  const r = (await posted(page)).find((m) => m.type === 'restore') as Extract<FromRestorePanel, { type: 'restore' }>;
  assert.equal(r.form.task, 'sr');
  assert.equal(r.form.factor, 2);
  assert.equal(r.mask, undefined, 'no mask outside inpainting');
  await send(page, { type: 'error', message: 'For 4x super-resolution this model (28x28) needs a 7x7 input' });
  assert.match((await page.textContent('#status'))!, /needs a 7x7 input/);
  assert.equal(await page.isDisabled('#run'), false);
  assert.deepEqual(errors, []);
});
