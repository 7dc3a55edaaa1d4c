/**
 * Webview pages in a real browser (Debian's Chromium via playwright-core), with a stand-in
 * acquireVsCodeApi that records posted messages and keeps setState's state, so a test
 * can reopen a page with the state a reloaded window would give it.
 */
import * as assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { WebviewPageOptions } from '../extension/webviewPage.ts';
import { repoRoot } from './helpers.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: install it with "apt-get install chromium" (npm test's set-up does).`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Opens the page at `htmlFile`; `saved` is the state a reloaded window would restore. Errors collects script errors and CSP violations. */
export async function openWebview(
  browser: Browser,
  htmlFile: string,
  saved?: unknown,
  viewport = { width: 1100, height: 760 },
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  // A string, not a function: the test runner's TypeScript transform would add helpers the page lacks.
  await page.addInitScript(`
    window.__posted = [];
    window.__state = ${JSON.stringify(saved ?? null)} ?? undefined;
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.__posted.push(m),
      getState: () => window.__state,
      setState: (x) => { window.__state = JSON.parse(JSON.stringify(x)); },
    });`);
  await page.goto(pathToFileURL(htmlFile).href);
  return { page, errors };
}

/** Delivers an extension message synchronously (window.postMessage would deliver it in a later task and race the assertions). */
export const sendToWebview = (page: Page, msg: unknown): Promise<void> =>
  page.evaluate(`window.dispatchEvent(new MessageEvent('message', { data: ${JSON.stringify(msg)} }))`);

/** Writes a webview page for the built bundle dist/media/<bundle>.{js,css}, as a file page test can open. */
export function writeWebviewPage(file: string, bundle: string, render: (o: WebviewPageOptions) => string): void {
  const media = join(repoRoot, 'dist', 'media');
  writeFileSync(
    file,
    render({ cspSource: 'file:', scriptUri: pathToFileURL(join(media, `${bundle}.js`)).href, styleUri: pathToFileURL(join(media, `${bundle}.css`)).href }),
  );
}
