// The older apps' steps when this PC has several addresses, in real Chromium: the parent picks
// the address in the disclosure (with the keyboard too) and the steps show that address's sync/
// and msync/; when the addresses change, the disclosure stays open and falls back to the best.
// (The stand-in Hearth of fake-hearth.ts: a test machine has no home network with two addresses.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { initialFakeState, startFakeHearth } from './fake-hearth.ts';
import type { FakeHearth } from './fake-hearth.ts';
import { launchBrowser, UI_POLL_TIMEOUT_MS } from './browser.ts';
import type { Browser } from './browser.ts';
import { ensureRendererBuilt, goTo, openWindow } from './support.ts';
import { startTogether } from '../helpers/start-together.ts';

const TEST_TIMEOUT_MS = 60_000;

describe('the window: older apps’ steps for the address picked', { timeout: 3 * TEST_TIMEOUT_MS }, () => {
  let hearth: FakeHearth;
  let browser: Browser;
  let page: Page;
  const state = {
    ...initialFakeState(),
    hosts: [
      { address: '192.168.1.20', interfaceName: 'Wi-Fi', kind: 'lan' as const },
      { address: '10.0.0.7', interfaceName: 'Ethernet', kind: 'other' as const },
    ],
    localName: 'annas-pc',
  };
  const port = state.settings.port;
  const best = `http://192.168.1.20:${port}/`;
  const byName = `http://annas-pc.local:${port}/`;
  const other = `http://10.0.0.7:${port}/`;

  before(async () => {
    const staticDir = await ensureRendererBuilt();
    [hearth, browser] = await startTogether(startFakeHearth(state, staticDir), launchBrowser());
    page = await browser.newPage();
    await openWindow(page, hearth.adminUrl);
    await goTo(page, 'connect');
  });
  after(async () => {
    await browser?.close();
    await hearth?.stop();
  });

  const details = () => page.locator('.connect details.older');
  const mediaAddress = () => details().locator('.older-app[data-app="ankidroid-old"] .paste-value').nth(1).textContent();
  const linuxLine = () => details().locator('.older-app[data-app="desktop-old"] .paste-value').nth(2).textContent();

  it('offers every address shown, best first, and shows the steps for the one picked', { timeout: TEST_TIMEOUT_MS }, async () => {
    await details().locator('summary').click();
    const radios = details().getByRole('radio');
    assert.deepEqual(await radios.evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value)), [best, byName, other]);
    assert.equal(await details().getByRole('radio', { name: best }).isChecked(), true, 'the best one at first');
    assert.equal(await mediaAddress(), `${best}msync/`);

    // Arrow keys pick another (the radio group pattern); the steps follow and the focus stays.
    await details().getByRole('radio', { name: best }).focus();
    await page.keyboard.press('ArrowDown');
    assert.equal(await details().getByRole('radio', { name: byName }).isChecked(), true);
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.value), byName, 'the focus stays on it');
    assert.equal(await mediaAddress(), `${byName}msync/`);
    assert.equal(await linuxLine(), `SYNC_ENDPOINT="${byName}sync/" SYNC_ENDPOINT_MEDIA="${byName}msync/" anki`);
  });

  it('keeps the disclosure open when the addresses change, and falls back to the best one', { timeout: TEST_TIMEOUT_MS }, async () => {
    hearth.state.localName = null;
    await details().getByRole('radio', { name: byName }).waitFor({ state: 'detached', timeout: UI_POLL_TIMEOUT_MS });
    assert.equal(await details().evaluate((d) => (d as HTMLDetailsElement).open), true, 'still open');
    assert.equal(await details().getByRole('radio', { name: best }).isChecked(), true);
    assert.equal(await mediaAddress(), `${best}msync/`);
  });
});
