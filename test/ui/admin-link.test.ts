// The headless admin page bookmarked, in real Chromium: opened once with the link the server
// printed, the token leaves the address bar and the browser remembers it for the page's origin;
// after the server restarts (same data folder, same admin port) the bookmark (the address without
// the token) and the printed link both still open the window. A wrong token and no token get the
// page's sentences, never the window's data; a new admin link (--new-admin-link) turns the
// bookmark away until the new link is opened.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { API_PROBLEMS } from '../../src/renderer/api-client.ts';
import { freeLoopbackPort, startUiServer } from '../helpers/ui-server.ts';
import type { UiServer, UiServerOptions } from '../helpers/ui-server.ts';
import { launchBrowser, UI_STEP_TIMEOUT_MS } from './browser.ts';
import type { Browser } from './browser.ts';
import { ensureRendererBuilt, openWindow, waitForText } from './support.ts';
import { startTogether } from '../helpers/start-together.ts';

const TEST_TIMEOUT_MS = 90_000;

describe('the window: a bookmarked admin page', { timeout: 2 * TEST_TIMEOUT_MS }, () => {
  let browser: Browser;
  let page: Page;
  const base = mkdtempSync(join(tmpdir(), 'hearth-ui-admin-link-'));
  let ui: UiServer | undefined;
  let options: UiServerOptions;

  before(async () => {
    const staticDir = await ensureRendererBuilt();
    // The same admin port each start: a bookmark is an address, and the browser keeps the token per origin.
    const adminPort = await freeLoopbackPort();
    options = { base, users: ['anna:anna-password'], staticDir, env: { HEARTH_ADMIN_PORT: String(adminPort) } };
    [ui, browser] = await startTogether(startUiServer(options), launchBrowser());
    await ui.api.finishFirstRun();
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await ui?.stop();
    rmSync(base, { recursive: true, force: true });
  });

  const restart = async (extra: Partial<UiServerOptions> = {}): Promise<UiServer> => {
    await ui?.stop();
    ui = await startUiServer({ ...options, ...extra });
    return ui;
  };
  const homeShown = async (): Promise<void> => {
    await page.getByRole('heading', { name: 'Home', level: 1 }).waitFor({ timeout: UI_STEP_TIMEOUT_MS });
    assert.equal(await page.locator('.connection-lost').isVisible(), false);
  };

  it('keeps working from a bookmark and from the printed link after the server restarts', { timeout: TEST_TIMEOUT_MS }, async () => {
    const printed = ui!.adminUrl;
    await openWindow(page, printed);
    await homeShown();
    const bookmark = page.url();
    assert.equal(bookmark, `${ui!.adminOrigin}/`, 'the token left the address bar');

    const second = await restart();
    assert.equal(second.adminUrl, printed, 'the same link is printed again');
    await openWindow(page, bookmark);
    await homeShown();
    await page.close();
    page = await browser.newPage();
    await openWindow(page, printed);
    await homeShown();
  });

  it(
    'a wrong token or none gets a sentence and no data; a new admin link turns the bookmark away',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const origin = ui!.adminOrigin;
      const forget = (): Promise<void> => page.evaluate(() => localStorage.clear());
      // A fresh load each time: going to the same page with another #fragment would not load it again.
      const load = async (url: string): Promise<void> => {
        await page.goto('about:blank');
        await page.goto(url, { timeout: UI_STEP_TIMEOUT_MS });
      };

      await forget();
      await load(`${origin}/#token=${'w'.repeat(43)}`);
      await waitForText(page.locator('.connection-lost'), new RegExp(`^${escape(API_PROBLEMS.unauthorized)}$`), UI_STEP_TIMEOUT_MS);
      assert.equal(await page.locator('nav').isVisible(), true);
      assert.equal(await page.getByText('anna', { exact: true }).count(), 0, 'no person shown');

      await forget();
      await load(`${origin}/`);
      await waitForText(page.locator('[role="alert"]'), new RegExp(`^${escape(API_PROBLEMS.noToken)}$`), UI_STEP_TIMEOUT_MS);

      // The bookmark works again from the printed link; then a new link is made.
      await page.goto('about:blank');
      await openWindow(page, ui!.adminUrl);
      await homeShown();
      const old = ui!.adminUrl;
      const renewed = await restart({ args: ['--new-admin-link'] });
      assert.notEqual(renewed.adminUrl, old);
      await load(`${origin}/`);
      await waitForText(page.locator('.connection-lost'), new RegExp(`^${escape(API_PROBLEMS.unauthorized)}$`), UI_STEP_TIMEOUT_MS);
      await page.goto('about:blank');
      await openWindow(page, renewed.adminUrl);
      await homeShown();
    },
  );
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
