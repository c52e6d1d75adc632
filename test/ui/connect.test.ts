// "Connect a device" in real Chromium. Against the real headless server, which tests run in
// "this PC only" mode (they may listen on 127.0.0.1 only): the address shown is the one Anki
// syncs with, the Copy button copies it, there is no QR code (127.0.0.1 on a phone is the phone
// itself) but a plain sentence and the button that allows the home network, Home says the same,
// and the phone setup page at the address shows the address, the steps and a working Copy
// button. The older apps' steps are folded away under today's in both, open with the keyboard,
// and carry the addresses made from that one. Against the stand-in Hearth (fake-hearth.ts), whose
// status reports a home-network address a test machine cannot have: the QR code (read back from
// the pixels, as a phone camera would) holds exactly the address shown, and the button switches
// "this PC only" to the home network, after which the QR code appears.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import {
  CLIENT_SETUPS,
  FROM_ANKIWEB,
  OLDER_CLIENT_SETUPS,
  OLDER_SETUPS_TITLE,
  SETUP_TIPS,
  TOO_OLD_SETUP,
} from '../../src/shared/client-setup.ts';
import { startUiServer } from '../helpers/ui-server.ts';
import { initialFakeState, startFakeHearth } from './fake-hearth.ts';
import type { FakeHearth } from './fake-hearth.ts';
import type { UiServer } from '../helpers/ui-server.ts';
import { launchBrowser, UI_POLL_TIMEOUT_MS, UI_STEP_TIMEOUT_MS } from './browser.ts';
import type { Browser } from './browser.ts';
import { decodeQr, ensureRendererBuilt, focused, focusRingShown, goTo, openWindow, textOf, waitForText } from './support.ts';
import { startTogether } from '../helpers/start-together.ts';

const TEST_TIMEOUT_MS = 60_000;
/** Longer than the window's poll (POLL_INTERVAL_MS in src/renderer/app.ts, 2 s): one redraw at least. */
const ONE_POLL_MS = 2_500;

/** The three lines that start Anki 2.1.50–2.1.56 with Hearth's addresses, for `url`. */
function desktopLines(url: string): string[] {
  return [
    `set "SYNC_ENDPOINT=${url}sync/" & set "SYNC_ENDPOINT_MEDIA=${url}msync/" & "C:\\Program Files\\Anki\\anki.exe"`,
    `SYNC_ENDPOINT="${url}sync/" SYNC_ENDPOINT_MEDIA="${url}msync/" /Applications/Anki.app/Contents/MacOS/anki`,
    `SYNC_ENDPOINT="${url}sync/" SYNC_ENDPOINT_MEDIA="${url}msync/" anki`,
  ];
}

describe('the window: connect a device', { timeout: 10 * TEST_TIMEOUT_MS }, () => {
  let ui: UiServer;
  let browser: Browser;
  let page: Page;

  before(async () => {
    const staticDir = await ensureRendererBuilt();
    [ui, browser] = await startTogether(startUiServer({ users: ['anna:anna-password'], staticDir }), launchBrowser());
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

  it(
    'this PC only: shows the address Anki on this PC syncs with, no QR code, and says phones cannot reach this PC, with the button',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      assert.equal((await ui.api.getStatus()).listen, 'this-pc', 'the test server runs in this-PC mode');
      const best = page.locator('.address-best');
      const url = await textOf(best.locator('.sync-url'));
      assert.equal(url, ui.syncEndpoint);
      assert.ok(url.endsWith('/'), 'with the trailing slash Anki needs');
      assert.equal(await page.locator('.connect svg.qr').count(), 0, 'no QR code of 127.0.0.1 anywhere');
      const text = await textOf(page.locator('.connect'));
      assert.ok(!/scan/i.test(text), `nothing says to scan: ${text}`);
      assert.match(await textOf(best), /Phones cannot reach this PC right now/);
      assert.match(await textOf(best), /The address for Anki on this PC/);
      assert.ok(await best.getByRole('button', { name: 'Allow the home network' }).isVisible());

      // Home says what is true in this mode, with the same button.
      await goTo(page, 'home');
      await waitForText(page.locator('.state-detail'), /^Only Anki on this PC can sync with it/);
      const card = await textOf(page.locator('.state-card'));
      assert.ok(!card.includes('Anki on your phones and computers can sync'), card);
      assert.match(card, /Sync address for Anki on this PC: /);
      assert.ok(await page.locator('.state-card').getByRole('button', { name: 'Allow the home network' }).isVisible());
      // (Not pressed here: the real server would then listen on every interface, which a test may not.)
      await goTo(page, 'connect');
    },
  );

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
    assert.ok(await page.locator('.address-card .email-note').isVisible(), 'Email = Hearth username, next to the address');
    assert.match(await textOf(page.locator('.address-card .email-note')), /Email = Hearth username/);
    // What to check when Anki cannot connect: folded away under its heading, opened with a click.
    const trouble = page.locator('.connect details.disclosure', { hasText: 'If Anki says it cannot connect to AnkiWeb' });
    assert.equal(await trouble.evaluate((d) => (d as HTMLDetailsElement).open), false, 'folded at first');
    await trouble.locator('summary').click();
    const checks = await textOf(trouble);
    for (const check of ['Same Wi-Fi', 'Firewall', 'Awake', 'Hearth is on']) assert.ok(checks.includes(check), `troubleshooting: ${check}`);
    assert.ok(await trouble.getByText('Same Wi-Fi').isVisible());
  });

  it(
    'says what a family coming from AnkiWeb does first, folded before the steps; next to the address, to log out of AnkiWeb',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      assert.match(await textOf(page.locator('.address-card .email-note')), /never asks: log out of AnkiWeb in it first\./);
      assert.equal(await page.locator('.nobody-yet').count(), 0, 'anna is there: no “add a person first”');
      const folds = page.locator('.connect > details.disclosure > summary');
      assert.deepEqual((await folds.allTextContents()).slice(0, 2), [FROM_ANKIWEB.title, 'Set up Anki: the steps for each app']);
      const from = page.locator('.connect details.disclosure', { hasText: FROM_ANKIWEB.title });
      assert.equal(await from.evaluate((d) => (d as HTMLDetailsElement).open), false, 'folded at first');
      await from.locator(':scope > summary').click();
      assert.match(await textOf(from), new RegExp(FROM_ANKIWEB.intro.replace(/[()]/g, '\\$&')));
      assert.deepEqual(
        (await from.locator('li').allTextContents()).map((t) => t.trim()),
        [...FROM_ANKIWEB.steps],
      );
      assert.ok(await from.getByText(FROM_ANKIWEB.steps[0]).isVisible());
    },
  );

  it(
    'folds the older apps’ steps away under today’s; the disclosure opens with the keyboard and shows this address’s sync/ and msync/',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const url = ui.syncEndpoint;
      // Today's AnkiDroid steps still leave the media address empty.
      const tabs = page.getByRole('tab');
      await tabs.nth(0).click();
      const today = await textOf(page.locator('[role="tabpanel"][data-app="ankidroid"]'));
      assert.match(today, /There is no separate media address to fill in\./);
      assert.ok(!today.includes('msync'), today);

      const details = page.locator('.connect details.older');
      const summary = details.locator('summary');
      assert.equal(await textOf(summary), OLDER_SETUPS_TITLE);
      assert.equal(await details.evaluate((d) => (d as HTMLDetailsElement).open), false, 'closed at first');
      assert.equal(await details.locator('.older-app').first().isVisible(), false);

      // From the selected app tab, Tab reaches the disclosure (with the focus ring); Enter opens it.
      await tabs.nth(0).focus();
      await page.keyboard.press('Tab');
      assert.equal(await focused(page), `summary:${OLDER_SETUPS_TITLE}`);
      assert.ok(await focusRingShown(page), 'the focus ring shows on the disclosure');
      await page.keyboard.press('Enter');
      assert.equal(await details.evaluate((d) => (d as HTMLDetailsElement).open), true, 'Enter opens it');
      await page.keyboard.press(' ');
      assert.equal(await details.evaluate((d) => (d as HTMLDetailsElement).open), false, 'Space closes it');
      await page.keyboard.press(' ');
      assert.equal(await details.evaluate((d) => (d as HTMLDetailsElement).open), true, 'and opens it again');

      // The steps, word for word from client-setup.ts, for this address.
      for (const setup of OLDER_CLIENT_SETUPS) {
        const section = details.locator(`.older-app[data-app="${setup.id}"]`);
        assert.ok(await section.isVisible(), setup.id);
        assert.equal(await textOf(section.getByRole('heading')), `${setup.name} ${setup.device}`);
        const items = section.locator('ol > li');
        const steps = setup.steps(url);
        assert.equal(await items.count(), steps.length);
        for (const [i, step] of steps.entries()) {
          const item = items.nth(i);
          assert.ok((await textOf(item)).startsWith(step.text), step.text);
          if (step.paste) assert.equal(await item.locator('.paste-value').textContent(), step.paste.value);
        }
      }
      const android = details.locator('.older-app[data-app="ankidroid-old"] .paste-value');
      assert.deepEqual(await android.allTextContents(), [url, `${url}msync/`]);
      const desktop = details.locator('.older-app[data-app="desktop-old"] .paste-value');
      assert.deepEqual(await desktop.allTextContents(), desktopLines(url));
      assert.equal(await details.locator('.older-addresses').count(), 0, 'no choice of address with only one');
      assert.equal(await textOf(details.locator('.too-old')), TOO_OLD_SETUP);

      // The media address's Copy button copies exactly it.
      await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(ui.adminUrl).origin });
      await details.getByRole('button', { name: 'Copy the media sync address' }).click();
      await waitForText(page.locator('.toast'), /Copied the media sync address\./, UI_STEP_TIMEOUT_MS);
      assert.equal(await readClipboard(page), `${url}msync/`);

      // The disclosure stays open while the window redraws (a poll every 2 s).
      await page.waitForTimeout(ONE_POLL_MS);
      assert.equal(await details.evaluate((d) => (d as HTMLDetailsElement).open), true, 'still open after a poll');
    },
  );

  it(
    'the address opens the phone setup page (the page the QR code opens): it shows the address and the steps, and its Copy button works',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const url = await textOf(page.locator('.address-best .sync-url'));
      assert.equal(url, ui.syncEndpoint);
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

        // The older apps' steps: folded away, opened from the keyboard, with this address's sync/ and msync/.
        const details = phone.locator('details#older-versions');
        assert.equal(await details.evaluate((d) => (d as HTMLDetailsElement).open), false, 'closed at first');
        assert.equal(await phone.locator('#ankidroid-old').isVisible(), false);
        await details.locator('summary').focus();
        await phone.keyboard.press('Enter');
        assert.equal(await details.evaluate((d) => (d as HTMLDetailsElement).open), true, 'Enter opens it');
        assert.equal(await phone.locator('textarea').evaluateAll((els) => els.length), 2 + 3);
        const boxes = async (id: string) =>
          phone.locator(`#${id} textarea`).evaluateAll((els) => els.map((e) => (e as HTMLTextAreaElement).value));
        assert.deepEqual(await boxes('ankidroid-old'), [url, `${url}msync/`]);
        assert.deepEqual(await boxes('desktop-old'), desktopLines(url));
        assert.ok((await textOf(details)).includes(TOO_OLD_SETUP));
        // Its Copy buttons work like the address's (the same script, the one the CSP allows).
        await phone.getByRole('button', { name: 'Copy the media sync address' }).click();
        await waitForText(phone.locator('#ankidroid-old p.copied').filter({ hasText: /./ }), /^Copied\.$/, UI_STEP_TIMEOUT_MS);
        assert.equal(await readClipboard(phone), `${url}msync/`);
        await phone.getByRole('button', { name: 'Copy the command for Windows' }).click();
        await waitForText(phone.locator('#desktop-old p.copied').filter({ hasText: /./ }), /^Copied\.$/, UI_STEP_TIMEOUT_MS);
        assert.equal(await readClipboard(phone), desktopLines(url)[0]);
      } finally {
        await phone.close();
      }
    },
  );
});

describe('the window: the QR code, on a home network (the stand-in Hearth)', { timeout: 4 * TEST_TIMEOUT_MS }, () => {
  let hearth: FakeHearth;
  let browser: Browser;
  let page: Page;
  const lanUrl = `http://192.168.1.20:${initialFakeState().settings.port}/`;

  before(async () => {
    const staticDir = await ensureRendererBuilt();
    const state = initialFakeState();
    state.settings = { ...state.settings, listen: 'this-pc' };
    [hearth, browser] = await startTogether(startFakeHearth(state, staticDir), launchBrowser());
    page = await browser.newPage();
    await openWindow(page, hearth.adminUrl);
    await goTo(page, 'connect');
  });

  after(async () => {
    await browser?.close();
    await hearth?.stop();
  });

  it(
    'this PC only: no QR code; “Allow the home network” switches the setting, and the QR code of the home-network address appears',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const best = page.locator('.address-best');
      await waitForText(best, /Phones cannot reach this PC right now/);
      assert.equal(await page.locator('.connect svg.qr').count(), 0);
      await best.getByRole('button', { name: 'Allow the home network' }).click();
      await best.locator('svg.qr').waitFor({ timeout: UI_POLL_TIMEOUT_MS });
      assert.equal(hearth.state.settings.listen, 'lan', 'the window changed the setting');
      await waitForText(page.locator('.toast'), /Phones and computers at home can now sync\./, UI_STEP_TIMEOUT_MS);
      assert.equal(await best.getByRole('button', { name: 'Allow the home network' }).count(), 0);

      await goTo(page, 'home');
      await waitForText(page.locator('.state-detail'), /^Anki on your phones and computers can sync with this PC\.$/);
      assert.equal(await page.locator('.state-card').getByRole('button', { name: 'Allow the home network' }).count(), 0);
      await goTo(page, 'connect');
    },
  );

  it('shows the home-network address, and a QR code that reads back as exactly that address', { timeout: TEST_TIMEOUT_MS }, async () => {
    const best = page.locator('.address-best');
    const url = await textOf(best.locator('.sync-url'));
    assert.equal(url, lanUrl);
    assert.equal(await decodeQr(best.locator('svg.qr')), url);
    assert.equal(await best.locator('svg.qr').getAttribute('aria-label'), `QR code for ${url}`);
    assert.match(await textOf(best.locator('figcaption')), /^Scan with the phone’s camera/);
    assert.equal(await best.locator('.phones-blocked').count(), 0);
  });

  it('with no network (the address falls back to 127.0.0.1): no QR code, and it says why', { timeout: TEST_TIMEOUT_MS }, async () => {
    const hosts = hearth.state.hosts;
    hearth.state.hosts = [{ address: '127.0.0.1', interfaceName: 'this PC', kind: 'this-pc' }];
    try {
      const best = page.locator('.address-best');
      await waitForText(best, /This PC is not on a network right now/);
      assert.equal(await page.locator('.connect svg.qr').count(), 0);
      await goTo(page, 'home');
      await waitForText(page.locator('.state-detail'), /^This PC is not on a network right now/);
    } finally {
      hearth.state.hosts = hosts;
    }
    await goTo(page, 'connect');
    await page.locator('.address-best svg.qr').waitFor({ timeout: UI_POLL_TIMEOUT_MS });
  });

  it(
    'with nobody added: says to add a person first; the button opens People with the cursor in the username field',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      assert.deepEqual(hearth.state.people, []);
      const notice = page.locator('.nobody-yet');
      await waitForText(notice, /Add a person first/);
      assert.match(await textOf(notice), /Nobody can sync yet/);
      await notice.getByRole('button', { name: 'Add a person' }).click();
      await page.locator('nav [data-view="people"][aria-current="page"]').waitFor({ timeout: UI_STEP_TIMEOUT_MS });
      assert.equal(await focused(page), 'username');
      await page.keyboard.type('anna');
      await page.locator('form.person-form [data-field="password"]').fill('anna-password');
      await page.locator('form.person-form [data-field="confirm"]').fill('anna-password');
      await page.keyboard.press('Enter');
      await waitForText(page.locator('form.person-form .form-message'), /anna can sync now\./, UI_STEP_TIMEOUT_MS);
      await goTo(page, 'connect');
      await page.locator('.address-best svg.qr').waitFor({ timeout: UI_POLL_TIMEOUT_MS });
      assert.equal(await page.locator('.nobody-yet').count(), 0, 'gone once someone can sync');
    },
  );
});
