// The phone setup page (src/server/http/landing-page.ts) in real Chromium, at a phone's width,
// as an Android phone and an iPhone open it: what a family coming from AnkiWeb must do comes
// before the steps (log out first, which device to sync first, Download on the others); the
// phone's app comes first, with the apps' own menu and field names (AnkiDroid: one "Sync url",
// no media address); the general tips come after every app's steps, the older versions last.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { CLIENT_SETUPS, FIRST_SYNC_STEP, FROM_ANKIWEB, SETUP_TIPS } from '../../src/shared/client-setup.ts';
import { startUiServer } from '../helpers/ui-server.ts';
import type { UiServer } from '../helpers/ui-server.ts';
import { launchBrowser, UI_STEP_TIMEOUT_MS } from './browser.ts';
import type { Browser } from './browser.ts';
import { textOf } from './support.ts';
import { startTogether } from '../helpers/start-together.ts';

const TEST_TIMEOUT_MS = 60_000;
const ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36';
const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

/** The page's blocks from top to bottom, by id. */
async function order(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('body > [id], body > section[id], body > details[id]')].map((e) => e.id).filter((id) => id !== 'copied'),
  );
}

describe('the phone setup page', { timeout: 4 * TEST_TIMEOUT_MS }, () => {
  let ui: UiServer;
  let browser: Browser;

  before(async () => {
    [ui, browser] = await startTogether(startUiServer({ users: ['anna:anna-password'] }), launchBrowser());
  });
  after(async () => {
    await browser?.close();
    await ui?.stop();
  });

  const open = async (userAgent: string): Promise<Page> => {
    const page = await browser.newPage({ width: 390, height: 844 });
    await page.setExtraHTTPHeaders({ 'user-agent': userAgent });
    await page.goto(ui.syncEndpoint, { timeout: UI_STEP_TIMEOUT_MS });
    return page;
  };

  it('says what a family coming from AnkiWeb does first, before any app’s steps', { timeout: TEST_TIMEOUT_MS }, async () => {
    const page = await open(ANDROID);
    try {
      const box = page.locator('#from-ankiweb');
      assert.equal(await textOf(box.getByRole('heading')), 'Coming from AnkiWeb?');
      assert.deepEqual(
        (await box.locator('li').allTextContents()).map((t) => t.trim()),
        [...FROM_ANKIWEB.steps],
      );
      const text = await textOf(box);
      assert.match(text, /log out of AnkiWeb before you set Hearth’s address/);
      assert.match(text, /never asks for the Hearth username: its first sync fails with a login error/);
      assert.match(text, /Sync first the one device that has the cards you want to keep/);
      assert.match(text, /choose “Download from AnkiWeb”/);
      const [from, steps] = await Promise.all([box.boundingBox(), page.locator('#steps-ankidroid').boundingBox()]);
      assert.ok(from && steps && from.y < steps.y, 'above the steps');
    } finally {
      await page.close();
    }
  });

  it(
    'Android: AnkiDroid first, its own menu and one "Sync url"; tips after all the steps; older versions last',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const page = await open(ANDROID);
      try {
        assert.deepEqual(await order(page), [
          'from-ankiweb',
          'steps-ankidroid',
          'steps-ankimobile',
          'steps-desktop',
          'tips',
          'older-versions',
        ]);
        const ankidroid = page.locator('#steps-ankidroid');
        const steps = (await ankidroid.locator('li').allTextContents()).map((t) => t.trim());
        assert.deepEqual(steps, [...CLIENT_SETUPS.find((c) => c.app === 'ankidroid')!.steps]);
        assert.match(steps[0]!, /Settings → Sync\./);
        assert.match(steps[1]!, /“AnkiWeb account”.*“Log out”/);
        assert.match(steps[2]!, /under Advanced, tap “Custom sync server”, then “Sync url”/);
        assert.ok(!(await textOf(ankidroid)).includes('Media sync url'), 'no media field in today’s AnkiDroid');
        assert.equal(steps.at(-1), FIRST_SYNC_STEP);
        const tips = (await page.locator('#tips li').allTextContents()).map((t) => t.trim());
        assert.deepEqual(tips, [...SETUP_TIPS]);
        assert.equal(await page.locator('#older-versions').evaluate((d) => (d as HTMLDetailsElement).open), false);
      } finally {
        await page.close();
      }
    },
  );

  it(
    'iPhone: AnkiMobile first, with the iPhone’s “Local Network” switch; then the others, then the tips',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const page = await open(IPHONE);
      try {
        assert.deepEqual((await order(page)).slice(0, 5), ['from-ankiweb', 'steps-ankimobile', 'steps-ankidroid', 'steps-desktop', 'tips']);
        const text = await textOf(page.locator('#steps-ankimobile'));
        assert.match(text, /Settings → Syncing/);
        assert.match(text, /switch “Local Network” off and on again/);
        // Nothing on the page is wider than the phone.
        assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true);
      } finally {
        await page.close();
      }
    },
  );
});
