// A data-folder check on a slow drive, in real Chromium: while the check runs the settings say
// "Checking the folder…" and its buttons cannot be pressed again; then the answer replaces it.
// (The stand-in Hearth of fake-hearth.ts, whose check takes 1.5 s: no slow drive can be made here.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { initialFakeState, startFakeHearth } from './fake-hearth.ts';
import type { FakeHearth } from './fake-hearth.ts';
import { launchBrowser, UI_STEP_TIMEOUT_MS } from './browser.ts';
import type { Browser } from './browser.ts';
import { ensureRendererBuilt, goTo, openWindow, waitForText } from './support.ts';
import { startTogether } from '../helpers/start-together.ts';

const TEST_TIMEOUT_MS = 120_000;

describe('the window: a slow data-folder check', { timeout: 3 * TEST_TIMEOUT_MS }, () => {
  let hearth: FakeHearth;
  let browser: Browser;
  let page: Page;

  before(async () => {
    const staticDir = await ensureRendererBuilt();
    const state = { ...initialFakeState(), folderCheckMs: 1_500, badFolders: { '/mnt/old-drive/Hearth': 'That drive is full.' } };
    [hearth, browser] = await startTogether(startFakeHearth(state, staticDir), launchBrowser());
    page = await browser.newPage();
    await openWindow(page, hearth.adminUrl);
    await goTo(page, 'settings');
  });
  after(async () => {
    await browser?.close();
    await hearth?.stop();
  });

  it('says it is checking while the check runs, then shows the answer', { timeout: TEST_TIMEOUT_MS }, async () => {
    const card = page.locator('section', { has: page.getByRole('heading', { name: 'Where the sync data is kept' }) });
    await card.getByRole('button', { name: 'Change…' }).click();
    await card.locator('[data-field="folder"]').fill('/mnt/old-drive/Hearth');
    const check = card.getByRole('button', { name: 'Check and move' });
    await check.click();
    await waitForText(card, /Checking the folder…/, UI_STEP_TIMEOUT_MS);
    assert.equal(await check.isDisabled(), true, 'not pressed twice');
    await waitForText(card.locator('.field-problem'), /That drive is full\./, UI_STEP_TIMEOUT_MS);
    assert.doesNotMatch((await card.textContent()) ?? '', /Checking the folder…/);
    assert.equal(await check.isDisabled(), false);
  });
});
