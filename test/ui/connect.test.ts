// "Connect a device" in real Chromium against the real headless server: the address shown is the
// one Anki syncs with, its QR code (read back from the pixels, as a phone camera would) holds
// exactly that address, the Copy button copies it, and the phone setup page the QR code opens
// shows the address, the steps and a working Copy button.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { CLIENT_SETUPS, SETUP_TIPS } from '../../src/shared/client-setup.ts';
import { startUiServer } from '../helpers/ui-server.ts';
import type { UiServer } from '../helpers/ui-server.ts';
import { launchBrowser, UI_STEP_TIMEOUT_MS } from './browser.ts';
import type { Browser } from './browser.ts';
import { decodeQr, ensureRendererBuilt, focused, goTo, openWindow, textOf, waitForText } from './support.ts';

const TEST_TIMEOUT_MS = 60_000;

describe('the window: connect a device', { timeout: 10 * TEST_TIMEOUT_MS }, () => {
  let ui: UiServer;
  let browser: Browser;
  let page: Page;

  before(async () => {
    const staticDir = await ensureRendererBuilt();
    [ui, browser] = await Promise.all([startUiServer({ users: ['anna:anna-password'], staticDir }), launchBrowser()]);
    await ui.api.finishFirstRun();
    page = await browser.newPage();
    await openWindow(page, ui.adminUrl);
    await goTo(page, 'connect');
  });

  after(async () => {
    await browser?.close();
    await ui?.stop();
  });

  const readClipboard = (p: Page): Promise<string> => p.evaluate(() => navigator.clipboard.readText());

  it('shows the address Anki syncs with, and a QR code that reads back as exactly that address', { timeout: TEST_TIMEOUT_MS }, async () => {
    const best = page.locator('.address-best');
    const url = await textOf(best.locator('.sync-url'));
    assert.equal(url, ui.syncEndpoint);
    assert.ok(url.endsWith('/'), 'with the trailing slash Anki needs');
    assert.equal(await decodeQr(best.locator('svg.qr')), url);
    assert.equal(await best.locator('svg.qr').getAttribute('aria-label'), `QR code for ${url}`);
  });

  it('copies the address with the Copy button', { timeout: TEST_TIMEOUT_MS }, async () => {
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(ui.adminUrl).origin });
    const url = await textOf(page.locator('.address-best .sync-url'));
    await page
      .locator('.address-best')
      .getByRole('button', { name: `Copy the address ${url}` })
      .click();
    await waitForText(page.locator('.toast'), /Copied the address .* Now paste it into Anki\./, UI_STEP_TIMEOUT_MS);
    assert.equal(await readClipboard(page), url);
  });

  it('shows each Anki app’s steps in the same words as the phone page, and the tips', { timeout: TEST_TIMEOUT_MS }, async () => {
    const tabs = page.getByRole('tab');
    assert.deepEqual(
      await tabs.evaluateAll((els) => els.map((e) => e.querySelector('.tab-name')?.textContent)),
      CLIENT_SETUPS.map((c) => c.name),
    );
    for (const [i, setup] of CLIENT_SETUPS.entries()) {
      await tabs.nth(i).click();
      const panel = page.locator(`[role="tabpanel"][data-app="${setup.app}"]`);
      assert.ok(await panel.isVisible());
      assert.deepEqual(await panel.locator('li').allTextContents(), [...setup.steps]);
    }
    // Arrow keys move between the apps (the tabs pattern).
    await tabs.nth(0).click();
    await page.keyboard.press('ArrowRight');
    assert.equal(await focused(page), 'button:AnkiMobileiPhone or iPad');
    assert.equal(await tabs.nth(1).getAttribute('aria-selected'), 'true');
    const text = await textOf(page.locator('.connect'));
    for (const tip of SETUP_TIPS) assert.ok(text.includes(tip), `tip shown: ${tip}`);
    assert.match(text, /Email = Hearth username/);
    assert.match(text, /If Anki says it cannot connect to AnkiWeb/);
    for (const check of ['Same Wi-Fi', 'Firewall', 'Awake', 'Hearth is on']) assert.ok(text.includes(check), `troubleshooting: ${check}`);
  });

  it(
    'the QR code opens the phone setup page: it shows the address and the steps, and its Copy button works',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const url = await decodeQr(page.locator('.address-best svg.qr'));
      await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(url).origin });
      const phone = await browser.newPage({ width: 400, height: 800 });
      try {
        await phone.goto(url, { timeout: UI_STEP_TIMEOUT_MS });
        assert.equal(await phone.locator('#sync-url').inputValue(), url);
        const text = await textOf(phone.locator('body'));
        for (const setup of CLIENT_SETUPS) for (const step of setup.steps) assert.ok(text.includes(step), `step shown: ${step}`);
        await phone.locator('#copy').click();
        await waitForText(phone.locator('#copied'), /^Copied\.$/, UI_STEP_TIMEOUT_MS);
        assert.equal(await readClipboard(phone), url);
      } finally {
        await phone.close();
      }
    },
  );
});
