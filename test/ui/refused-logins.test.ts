// Devices refused for too many wrong passwords, in real Chromium against the real headless
// server: Home lists who is refused, from which address and until when (in the People page's
// words); "Let it try again now" lets that device log in at once; other addresses were never
// refused.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startUiServer } from '../helpers/ui-server.ts';
import type { UiServer } from '../helpers/ui-server.ts';
import { loginFrom } from '../helpers/sync-client.ts';
import { launchBrowser, UI_STEP_TIMEOUT_MS } from './browser.ts';
import type { Browser } from './browser.ts';
import { ensureRendererBuilt, goTo, openWindow, waitForText } from './support.ts';
import { startTogether } from '../helpers/start-together.ts';

const TEST_TIMEOUT_MS = 120_000;

describe('the window: devices refused after wrong passwords', { timeout: 5 * TEST_TIMEOUT_MS }, () => {
  let ui: UiServer;
  let browser: Browser;
  let page: Page;

  before(async () => {
    const staticDir = await ensureRendererBuilt();
    [ui, browser] = await startTogether(startUiServer({ users: ['anna:annas-password'], staticDir }), launchBrowser());
    await ui.api.finishFirstRun();
    page = await browser.newPage();
    await openWindow(page, ui.adminUrl);
    await goTo(page, 'home');
  });
  after(async () => {
    await browser?.close();
    await ui?.stop();
  });

  it('lists the refused device with its address and time, and lets it try again at once', { timeout: TEST_TIMEOUT_MS }, async () => {
    const card = page.locator('section', { has: page.getByRole('heading', { name: 'Devices waiting after wrong passwords' }) });
    assert.equal(await card.isVisible(), false, 'nothing to show while nobody is refused');
    for (let i = 0; i < 10; i++) assert.equal(await loginFrom(ui.syncEndpoint, '127.0.0.5', 'anna', `wrong ${i}`), 403);
    assert.equal(await loginFrom(ui.syncEndpoint, '127.0.0.5', 'anna', 'annas-password'), 429, 'that device now waits');
    assert.equal(await loginFrom(ui.syncEndpoint, '127.0.0.6', 'anna', 'annas-password'), 200, 'another device does not');

    await waitForText(
      card,
      /anna: A device at 127\.0\.0\.5 is refused for too many wrong passwords until \d\d:\d\d \(in 1[45] minutes\)\./,
      UI_STEP_TIMEOUT_MS,
    );
    await card.getByRole('button', { name: 'Let it try again now' }).click();
    await waitForText(page.locator('body'), /The device at 127\.0\.0\.5 may try again now\./, UI_STEP_TIMEOUT_MS);
    assert.equal(await loginFrom(ui.syncEndpoint, '127.0.0.5', 'anna', 'annas-password'), 200);
    const deadline = Date.now() + UI_STEP_TIMEOUT_MS;
    while ((await card.isVisible()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.equal(await card.isVisible(), false, 'the card goes away');
  });
});
