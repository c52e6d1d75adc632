// "Connect a device" in real Chromium against the real headless server: the address shown is the
// one Anki syncs with, its QR code (read back from the pixels, as a phone camera would) holds
// exactly that address, the Copy button copies it, and the phone setup page the QR code opens
// shows the address, the steps and a working Copy button. The older apps' steps are folded away
// under today's in both, open with the keyboard, and carry the addresses made from that one.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { CLIENT_SETUPS, OLDER_CLIENT_SETUPS, OLDER_SETUPS_TITLE, SETUP_TIPS, TOO_OLD_SETUP } from '../../src/shared/client-setup.ts';
import { startUiServer } from '../helpers/ui-server.ts';
import type { UiServer } from '../helpers/ui-server.ts';
import { launchBrowser, UI_STEP_TIMEOUT_MS } from './browser.ts';
import type { Browser } from './browser.ts';
import { decodeQr, ensureRendererBuilt, focused, focusRingShown, goTo, openWindow, textOf, waitForText } from './support.ts';

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
