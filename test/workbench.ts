/**
 * Driving VS Code's workbench (code-server in Chromium, playwright-core) as a user does:
 * the command palette, notifications, webview frames. Shared by the UI tests
 * (test/e2e/) and `npm run screenshots` (scripts/screenshots.ts).
 */
import type { Frame, Page } from 'playwright-core';

/**
 * Runs a command from the palette by its label. Retried: right after start-up the
 * workbench may swallow the first key press, or list the command before our extension
 * has registered it.
 */
export async function runCommand(page: Page, label: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${label}`);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
    try {
      await row.waitFor({ timeout: 10_000 });
      await row.click();
      return;
    } catch (err) {
      if (attempt === 4) throw err;
    }
  }
}

/** The text of the first notification matching `pattern`, once it shows. */
export async function notification(page: Page, pattern: RegExp, timeout = 60_000): Promise<string> {
  const item = page.locator('.notification-list-item-message', { hasText: pattern }).first();
  await item.waitFor({ timeout });
  return (await item.textContent()) ?? '';
}

/** The frame of the webview whose page has `selector` (webviews are nested iframes in the workbench). */
export async function webviewFrame(page: Page, selector: string, timeout = 60_000): Promise<Frame> {
  const t0 = Date.now();
  for (;;) {
    for (const f of page.frames()) if (await f.$(selector).catch(() => null)) return f;
    if (Date.now() - t0 > timeout) throw new Error(`no webview with ${selector} after ${timeout / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
