// The first walk, as a parent makes it, in real Chromium at 1280×800: from the first window to a
// QR code fully in view in at most five interactions, then on to a first sync by the real Anki
// client (test/interop/anki-client.ts) with the person the walk made; and coming back to an
// unfinished guide resumes where the parent left, with every button named for what it does.
//
// Interactions are counted as the issue that asked for this counted them ("six interactions from
// opening the window to a QR code"): filling a field is one (the guide puts the cursor in the
// first), a key press or a click is one, and so is a scroll the parent needs to see the QR code.
// The guide's path is: username, password, password again, Enter, "Next: use this folder": five.
//
// Where the walk runs. Test servers may listen on 127.0.0.1 only, so the real headless server in
// a test is in "this PC only" mode, where (rightly) there is no QR code: 127.0.0.1 on a phone is
// the phone itself. The app itself starts on the home network (src/shared/settings.ts,
// defaultSettings). So the walk is made twice, each time against something true:
//   - to the QR code, against the stand-in Hearth (fake-hearth.ts: the real admin page and
//     transport over in-memory answers), on the home network as the app starts, with a
//     home-network address; the QR code read back from the pixels is that address;
//   - to the first sync, against the real headless server: the same five interactions reach the
//     same step, which says phones cannot reach this PC and shows the address for Anki on this PC;
//     the real client logs in as the person the walk made, with that address, and syncs; Done
//     opens Home at the top, saying what is true in this mode and who synced.
// Switching the real server to the home network in a test would make it listen on every
// interface, and letting it do otherwise would be a test-only branch in the product: neither.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { FROM_ANKIWEB } from '../../src/shared/client-setup.ts';
import { startUiServer } from '../helpers/ui-server.ts';
import type { UiServer } from '../helpers/ui-server.ts';
import { AnkiClient } from '../interop/anki-client.ts';
import { initialFakeState, startFakeHearth } from './fake-hearth.ts';
import { launchBrowser, UI_POLL_TIMEOUT_MS, UI_STEP_TIMEOUT_MS } from './browser.ts';
import type { Browser } from './browser.ts';
import { decodeQr, ensureRendererBuilt, loginAndSync, newDevice, openWindow, textOf, waitForText } from './support.ts';
import { startTogether } from '../helpers/start-together.ts';

/** One test: UI steps plus, for the real server, a real Anki login and sync. */
const TEST_TIMEOUT_MS = 180_000;
/** The window size the issue measured at. */
const WIDTH = 1280;
const HEIGHT = 800;
/** Most interactions from the first window to a QR code in view. */
const MAX_INTERACTIONS = 5;
/** "Done visible without a long scroll": at most half a window below the first screen. */
const DONE_MAX_BOTTOM = HEIGHT * 1.5;
const PASSWORD = 'anna-first-password';
/** How often the test asks whether a sync is recorded. */
const RECORD_POLL_MS = 250;

/** Counts what the parent does; each method is one interaction. */
function parent(page: Page): {
  count(): number;
  fill(field: string, text: string): Promise<void>;
  press(key: string): Promise<void>;
  click(name: string): Promise<void>;
} {
  let n = 0;
  return {
    count: () => n,
    async fill(field, text) {
      await page.locator(`form.person-form [data-field="${field}"]`).fill(text);
      n += 1;
    },
    async press(key) {
      await page.keyboard.press(key);
      n += 1;
    },
    async click(name) {
      await page.getByRole('button', { name, exact: true }).click();
      n += 1;
    },
  };
}

/** The guide's path to step 3: the first person, Enter, the folder as it is. */
async function walkToStep3(page: Page, walker: ReturnType<typeof parent>): Promise<void> {
  await page.getByRole('heading', { name: 'Step 1 of 3: Who will sync' }).waitFor({ timeout: UI_STEP_TIMEOUT_MS });
  await walker.fill('username', 'anna');
  await walker.fill('password', PASSWORD);
  await walker.fill('confirm', PASSWORD);
  await walker.press('Enter');
  await page.getByRole('heading', { name: 'Step 2 of 3: Where to keep the cards' }).waitFor({ timeout: UI_STEP_TIMEOUT_MS });
  await walker.click('Next: use this folder');
  await page.getByRole('heading', { name: 'Step 3 of 3: Connect a phone' }).waitFor({ timeout: UI_STEP_TIMEOUT_MS });
}

/** Whether the element is entirely inside the window as it is scrolled now. */
async function fullyInView(page: Page, selector: string): Promise<boolean> {
  return page.locator(selector).evaluate((el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth;
  });
}

/** The window is at its top and the header (logo, name, state) fully visible. */
async function assertAtTop(page: Page, when: string): Promise<void> {
  assert.equal(await page.evaluate(() => window.scrollY), 0, `${when}: the window is at its top`);
  assert.ok(await fullyInView(page, 'header.topbar'), `${when}: the header is fully visible`);
}

describe('the window: the first walk', { timeout: 4 * TEST_TIMEOUT_MS }, () => {
  let browser: Browser;
  let anki: AnkiClient;
  let staticDir: string;

  before(async () => {
    const built = ensureRendererBuilt();
    // Awaited below; handled here too, so a failed build is not an unhandled rejection meanwhile.
    built.catch(() => undefined);
    [browser, anki] = await startTogether(launchBrowser(), AnkiClient.start());
    staticDir = await built;
  });
  after(async () => {
    await Promise.allSettled([browser?.close(), anki?.stop()]);
  });

  it(
    'on the home network (the stand-in Hearth): five interactions to a QR code fully in view at 1280×800, holding the address',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const state = { ...initialFakeState(), firstRun: true };
      assert.equal(state.settings.listen, 'lan', 'the app starts on the home network');
      const hearth = await startFakeHearth(state, staticDir);
      const page = await browser.newPage({ width: WIDTH, height: HEIGHT });
      try {
        await openWindow(page, hearth.adminUrl);
        const walker = parent(page);
        await walkToStep3(page, walker);

        await page.locator('.address-best svg.qr').waitFor({ timeout: UI_POLL_TIMEOUT_MS });
        assert.ok(walker.count() <= MAX_INTERACTIONS, `${walker.count()} interactions to the QR code`);
        await assertAtTop(page, 'step 3');
        assert.ok(await fullyInView(page, '.address-best svg.qr'), 'the QR code is fully in view without scrolling');
        assert.ok(await fullyInView(page, '.address-best .sync-url'), 'and so is the address');
        const url = await textOf(page.locator('.address-best .sync-url'));
        assert.equal(url, `http://192.168.1.20:${state.settings.port}/`);
        assert.equal(await decodeQr(page.locator('.address-best svg.qr')), url);
        assert.deepEqual(
          state.people.map((p) => p.username),
          ['anna'],
        );

        // What a family coming from AnkiWeb does, the per-app steps and the troubleshooting are folded away
        // (the phone page has them), and open on demand.
        const folds = page.locator('.first-run details.disclosure');
        assert.deepEqual(
          await folds.evaluateAll((els) => els.map((d) => [d.querySelector('summary')?.textContent, (d as HTMLDetailsElement).open])),
          [
            [FROM_ANKIWEB.title, false],
            ['Set up Anki: the steps for each app', false],
            ['If Anki says it cannot connect to AnkiWeb', false],
          ],
        );
        const done = page.getByRole('button', { name: 'Done', exact: true });
        const box = await done.boundingBox();
        assert.ok(box && box.y + box.height <= DONE_MAX_BOTTOM, `Done is near: its bottom at ${box ? box.y + box.height : '?'} px`);
        await folds.nth(1).locator(':scope > summary').click();
        assert.ok(await page.getByRole('tab', { name: /AnkiDroid/ }).isVisible(), 'the steps open');

        // Done: Home opens at the top, header and all, even though Done was further down.
        await done.click();
        await page.locator('nav [data-view="home"][aria-current="page"]').waitFor({ timeout: UI_STEP_TIMEOUT_MS });
        await assertAtTop(page, 'Home after Done');
        assert.equal(state.firstRun, false);
        await waitForText(page.locator('.state-detail'), /^Anki on your phones and computers can sync with this PC\.$/);
      } finally {
        await page.close();
        await hearth.stop();
      }
    },
  );

  it(
    'this PC only (the real headless server): the same five interactions reach step 3, no QR code, and the real Anki client syncs as the person the walk made',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const ui: UiServer = await startUiServer({ staticDir });
      const page = await browser.newPage({ width: WIDTH, height: HEIGHT });
      try {
        await openWindow(page, ui.adminUrl);
        const walker = parent(page);
        await walkToStep3(page, walker);
        assert.ok(walker.count() <= MAX_INTERACTIONS, `${walker.count()} interactions to step 3`);
        await assertAtTop(page, 'step 3');

        const best = page.locator('.address-best');
        await waitForText(best, /Phones cannot reach this PC right now/);
        assert.equal(await page.locator('svg.qr').count(), 0, 'no QR code of 127.0.0.1');
        assert.ok(await best.getByRole('button', { name: 'Allow the home network' }).isVisible());
        assert.ok(await fullyInView(page, '.address-best .sync-url'), 'the address is in view');
        const shown = await textOf(best.locator('.sync-url'));
        assert.equal(shown, ui.syncEndpoint, 'the address Anki on this PC syncs with');

        // The person the walk made is a real account: the real client logs in with the address shown and syncs.
        await loginAndSync(anki, newDevice('walk'), shown, 'anna', PASSWORD);

        await page.getByRole('button', { name: 'Done', exact: true }).click();
        await page.locator('nav [data-view="home"][aria-current="page"]').waitFor({ timeout: UI_STEP_TIMEOUT_MS });
        await assertAtTop(page, 'Home after Done');
        assert.equal((await ui.api.getStatus()).firstRun, false, 'the guide is finished for good');
        await waitForText(page.locator('.state-detail'), /^Only Anki on this PC can sync with it/);
        // Hearth writes down who synced a moment after the sync; Home shows it at its next poll.
        await waitForText(page.locator('.table tbody tr', { hasText: 'anna' }), /^anna ?just now/);
      } finally {
        await page.close();
        await ui.stop();
      }
    },
  );

  it(
    'coming back to an unfinished guide resumes where the parent left; each button says what it does; a new step opens at the top',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const ui: UiServer = await startUiServer({ staticDir });
      // A smaller window, so that each step scrolls and the buttons pressed are further down.
      const page = await browser.newPage({ width: 900, height: 500 });
      const named = async (name: string): Promise<number> => page.getByRole('button', { name, exact: true }).count();
      try {
        await openWindow(page, ui.adminUrl);
        await page.getByRole('heading', { name: 'Step 1 of 3: Who will sync' }).waitFor({ timeout: UI_STEP_TIMEOUT_MS });
        assert.equal(await named('Add this person'), 1);
        assert.equal(await named('Next'), 0, 'no button just called “Next”');
        const form = page.locator('form.person-form');
        await form.locator('[data-field="username"]').fill('anna');
        await form.locator('[data-field="password"]').fill(PASSWORD);
        await form.locator('[data-field="confirm"]').fill(PASSWORD);
        await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
        await form.getByRole('button', { name: 'Add this person' }).click();
        await page.getByRole('heading', { name: 'Step 2 of 3: Where to keep the cards' }).waitFor({ timeout: UI_STEP_TIMEOUT_MS });
        await assertAtTop(page, 'step 2');

        // The parent closes the window and comes back: step 2, with step 1 done.
        await page.reload();
        await page.waitForSelector('#app[data-ready="true"]', { timeout: UI_STEP_TIMEOUT_MS });
        await page.getByRole('heading', { name: 'Step 2 of 3: Where to keep the cards' }).waitFor({ timeout: UI_STEP_TIMEOUT_MS });
        assert.deepEqual(await page.locator('.stepper li').evaluateAll((els) => els.map((e) => e.className)), ['done', 'current', '']);

        // Back at step 1, the two ways on are named apart: adding someone, or going on.
        await page.getByRole('button', { name: 'Back', exact: true }).click();
        await waitForText(page.locator('.notice-ok'), /Already set up: anna/);
        assert.equal(await named('Add this person'), 1);
        assert.equal(await named('Next: where to keep the cards'), 1);
        assert.equal(await named('Next'), 0);
        // The empty form is not what going on submits.
        await page.getByRole('button', { name: 'Next: where to keep the cards' }).click();
        await page.getByRole('heading', { name: 'Step 2 of 3: Where to keep the cards' }).waitFor({ timeout: UI_STEP_TIMEOUT_MS });
        assert.equal(await page.locator('.field-problem').filter({ hasText: /./ }).count(), 0, 'no complaint about an empty form');
        assert.deepEqual(
          (await ui.api.listPeople()).map((p) => p.username),
          ['anna'],
        );

        // A step change from the bottom of the page opens the next step at the top.
        await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
        assert.ok((await page.evaluate(() => window.scrollY)) > 0, 'step 2 scrolls in this window');
        await page.getByRole('button', { name: 'Next: use this folder' }).click();
        await page.getByRole('heading', { name: 'Step 3 of 3: Connect a phone' }).waitFor({ timeout: UI_STEP_TIMEOUT_MS });
        await assertAtTop(page, 'step 3');

        // Once someone has synced, coming back opens the last step: the phone is connected.
        await loginAndSync(anki, newDevice('resume'), ui.syncEndpoint, 'anna', PASSWORD);
        // Hearth writes down who synced a moment after the sync.
        const deadline = Date.now() + UI_POLL_TIMEOUT_MS;
        while (!(await ui.api.listPeople()).some((p) => p.lastSyncAt !== null)) {
          if (Date.now() > deadline) assert.fail(`anna’s sync is not recorded after ${UI_POLL_TIMEOUT_MS} ms (UI_POLL_TIMEOUT_MS)`);
          await sleep(RECORD_POLL_MS);
        }
        await page.reload();
        await page.waitForSelector('#app[data-ready="true"]', { timeout: UI_STEP_TIMEOUT_MS });
        await page.getByRole('heading', { name: 'Step 3 of 3: Connect a phone' }).waitFor({ timeout: UI_STEP_TIMEOUT_MS });
      } finally {
        await page.close();
        await ui.stop();
      }
    },
  );
});
