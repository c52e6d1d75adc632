// The window in real Chromium against the real headless server: the first-run guide, adding
// people (keyboard only), refusing bad input, changing a password and removing someone. What the
// window did is then proven with the real Anki client: it logs in and syncs, or is refused.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startUiServer } from '../helpers/ui-server.ts';
import type { UiServer } from '../helpers/ui-server.ts';
import { AnkiClient } from '../interop/anki-client.ts';
import { launchBrowser, UI_POLL_TIMEOUT_MS, UI_STEP_TIMEOUT_MS } from './browser.ts';
import type { Browser } from './browser.ts';
import {
  ensureRendererBuilt,
  expectLoginRefused,
  focused,
  focusRingShown,
  goTo,
  loginAndSync,
  newDevice,
  openWindow,
  textOf,
  waitForText,
  waitUntilNobodySyncs,
} from './support.ts';

/** One test: UI steps plus real Anki logins and syncs. */
const TEST_TIMEOUT_MS = 180_000;
const ANNA_PASSWORD = 'anna-first-password';

describe('the window: people', { timeout: 10 * TEST_TIMEOUT_MS }, () => {
  let ui: UiServer;
  let browser: Browser;
  let page: Page;
  let anki: AnkiClient;

  before(async () => {
    const staticDir = await ensureRendererBuilt();
    [ui, browser, anki] = await Promise.all([
      startUiServer({ users: ['grandpa:grandpa-password'], staticDir }),
      launchBrowser(),
      AnkiClient.start(),
    ]);
    page = await browser.newPage();
    await openWindow(page, ui.adminUrl);
  });

  after(async () => {
    await Promise.allSettled([browser?.close(), anki?.stop()]);
    await ui?.stop();
  });

  const people = async (): Promise<string[]> => (await ui.api.listPeople()).map((p) => `${p.username}:${p.source}`).sort();
  const person = (name: string) => page.locator(`.person[data-person="${name}"]`);

  it(
    'first run: the guide adds the first person with the keyboard alone, and Anki syncs with it',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      await page.getByRole('heading', { name: 'Step 1 of 3: Who will sync' }).waitFor({ timeout: UI_STEP_TIMEOUT_MS });
      // The SYNC_USER person is already there; the guide says so and offers to add another.
      await waitForText(page.locator('.notice-ok'), /Already set up: grandpa/);
      assert.equal(await focused(page), 'username', 'the guide starts in the username field');
      await page.keyboard.type('anna');
      assert.ok(await focusRingShown(page), 'the focused field shows the focus ring');
      await page.keyboard.press('Tab');
      assert.equal(await focused(page), 'password');
      await page.keyboard.type(ANNA_PASSWORD);
      await page.keyboard.press('Tab');
      assert.equal(await focused(page), 'confirm');
      assert.ok(await focusRingShown(page));
      await page.keyboard.type(ANNA_PASSWORD);
      await page.keyboard.press('Enter');

      await page.getByRole('heading', { name: 'Step 2 of 3: Where to keep the cards' }).waitFor({ timeout: UI_STEP_TIMEOUT_MS });
      assert.deepEqual(await people(), ['anna:hearth', 'grandpa:environment']);
      assert.equal(
        await page.locator('[data-storage-folder]').getAttribute('data-storage-folder'),
        (await ui.api.getStatus()).storageFolder,
      );
      await page.getByRole('button', { name: 'Next: use this folder' }).click();

      await page.getByRole('heading', { name: 'Step 3 of 3: Connect a phone' }).waitFor({ timeout: UI_STEP_TIMEOUT_MS });
      const shown = await textOf(page.locator('.address-best .sync-url'));
      assert.equal(shown, ui.syncEndpoint, 'the guide shows the address Anki syncs with');
      await page.getByRole('button', { name: 'Done' }).click();
      await page.locator('nav [data-view="home"][aria-current="page"]').waitFor({ timeout: UI_STEP_TIMEOUT_MS });
      assert.equal((await ui.api.getStatus()).firstRun, false, 'the guide is finished for good');

      // The person the window made is a real account: the real Anki client logs in and syncs.
      await loginAndSync(anki, newDevice('anna'), shown, 'anna', ANNA_PASSWORD);
      await goTo(page, 'people');
      await waitForText(person('anna').locator('.person-sync'), /Last synced just now/);
    },
  );

  it('refuses bad input with a clear message next to the field, and changes nothing', { timeout: TEST_TIMEOUT_MS }, async () => {
    await goTo(page, 'people');
    const before = await people();
    const form = page.locator('form.person-form');
    const attempt = async (username: string, password: string, confirm: string, expected: RegExp): Promise<void> => {
      await form.locator('[data-field="username"]').fill(username);
      await form.locator('[data-field="password"]').fill(password);
      await form.locator('[data-field="confirm"]').fill(confirm);
      await form.getByRole('button', { name: 'Add person' }).click();
      await waitForText(form.locator('.field-problem, .form-message'), expected, UI_STEP_TIMEOUT_MS);
      assert.deepEqual(await people(), before, `nothing changed after: ${expected}`);
    };
    await attempt('', 'long enough password', 'long enough password', /^Please enter a username\.$/);
    await attempt('anna', 'long enough password', 'long enough password', /“anna” is already taken\. Choose another username\./);
    await attempt('ANNA', 'long enough password', 'long enough password', /“ANNA” is already taken/);
    await attempt('grandpa', 'long enough password', 'long enough password', /“grandpa” is already taken/);
    await attempt('ben:1', 'long enough password', 'long enough password', /^A username cannot contain a colon \(:\)\.$/);
    await attempt('ben', 'short', 'short', /^A password needs at least 8 characters\.$/);
    await attempt('ben', 'long enough password', 'long enough passwort', /The two passwords are not the same/);
    // The field with the problem is marked for screen readers too.
    assert.equal(await form.locator('[data-field="confirm"]').getAttribute('aria-invalid'), 'true');
  });

  it('keyboard only: Tab reaches the add-person form in reading order; Enter adds the person', { timeout: TEST_TIMEOUT_MS }, async () => {
    await page.reload();
    await page.waitForSelector('#app[data-ready="true"]', { timeout: UI_STEP_TIMEOUT_MS });
    await page.keyboard.press('Tab');
    const order: string[] = [];
    for (let i = 0; i < 40 && (await focused(page)) !== 'username'; i++) {
      order.push(await focused(page));
      assert.ok(await focusRingShown(page), `the focus ring shows on ${order.at(-1)}`);
      if (order.at(-1) === 'button:People') {
        await page.keyboard.press('Enter');
        await page.locator('nav [data-view="people"][aria-current="page"]').waitFor({ timeout: UI_STEP_TIMEOUT_MS });
      }
      await page.keyboard.press('Tab');
    }
    assert.equal(await focused(page), 'username', `Tab reached the form; on the way: ${order.join(' → ')}`);
    assert.deepEqual(
      order,
      [
        'a:Skip to the content',
        'button:Home',
        'button:People',
        'button:Change password',
        'button:Remove…',
        'button:Backups…',
        // anna's computer from the first test, then the devices part's own button.
        'button:Sign out',
        'button:Sign out all devices',
        'button:Download a copy (.colpkg)',
        // grandpa (SYNC_USER1): no password to change, no device yet.
        'button:Backups…',
        'button:Download a copy (.colpkg)',
      ],
      'skip link, navigation, the people list with each person’s devices and their copies, then the form',
    );
    await page.keyboard.type('carla');
    await page.keyboard.press('Tab');
    await page.keyboard.type('carla-password');
    await page.keyboard.press('Tab');
    await page.keyboard.type('carla-password');
    await page.keyboard.press('Enter');
    await person('carla').waitFor({ timeout: UI_POLL_TIMEOUT_MS });
    assert.deepEqual(await people(), ['anna:hearth', 'carla:hearth', 'grandpa:environment']);
  });

  it('changes a password: the old one stops working for Anki, the new one works', { timeout: TEST_TIMEOUT_MS }, async () => {
    await goTo(page, 'people');
    await person('anna').getByRole('button', { name: 'Change anna’s password' }).click();
    const dialog = page.getByRole('dialog', { name: 'New password for anna' });
    await dialog.waitFor({ timeout: UI_STEP_TIMEOUT_MS });
    // Too short: refused in the dialog, and the old password still works.
    await dialog.locator('[data-field="password"]').fill('short');
    await dialog.locator('[data-field="confirm"]').fill('short');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await waitForText(dialog.locator('.field-problem'), /at least 8 characters/, UI_STEP_TIMEOUT_MS);
    await anki.login(newDevice('anna-old'), ui.syncEndpoint, 'anna', ANNA_PASSWORD);

    await dialog.locator('[data-field="password"]').fill('anna-second-password');
    await dialog.locator('[data-field="confirm"]').fill('anna-second-password');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await dialog.waitFor({ state: 'detached', timeout: UI_STEP_TIMEOUT_MS });
    await waitForText(page.locator('.toast'), /anna’s password is changed/, UI_STEP_TIMEOUT_MS);
    await expectLoginRefused(anki, newDevice('anna-old-again'), ui.syncEndpoint, 'anna', ANNA_PASSWORD);
    await loginAndSync(anki, newDevice('anna-new'), ui.syncEndpoint, 'anna', 'anna-second-password');
  });

  it('home: who synced, the failed login in plain words, and the sync server’s on/off switch', { timeout: TEST_TIMEOUT_MS }, async () => {
    await goTo(page, 'home');
    // The old password was refused above; Home says so in words a person understands.
    await waitForText(page.locator('.errors li'), /A device could not log in( as “anna”)?: the username or password was wrong\./);
    const cells = await page.locator('.table tbody tr', { hasText: 'anna' }).locator('th, td').allTextContents();
    assert.equal(cells[0], 'anna');
    assert.match(cells[1] ?? '', /^(just now|\d+ minutes? ago)$/, 'the last sync, in words');

    const toggle = page.getByRole('switch', { name: 'Sync server' });
    assert.equal(await toggle.getAttribute('aria-checked'), 'true');
    await toggle.click();
    await waitForText(page.locator('.state-headline'), /^Hearth is off$/);
    assert.equal(await toggle.getAttribute('aria-checked'), 'false');
    const off = await ui.api.getStatus();
    assert.equal(off.serverEnabled, false);
    assert.equal(off.server.kind, 'stopped');
    await goTo(page, 'connect');
    await waitForText(page.locator('.addresses'), /The sync server is off/);

    await goTo(page, 'home');
    await page.getByRole('switch', { name: 'Sync server' }).press('Space');
    await waitForText(page.locator('.state-headline'), /^Hearth is on$/);
    assert.equal((await ui.api.getStatus()).server.kind, 'running');
  });

  it('shows people from SYNC_USER variables read-only', { timeout: TEST_TIMEOUT_MS }, async () => {
    await goTo(page, 'people');
    const grandpa = person('grandpa');
    assert.match(await textOf(grandpa), /read-only/);
    assert.match(await textOf(grandpa), /SYNC_USER/);
    assert.equal(await grandpa.getByRole('button', { name: /password|Remove/ }).count(), 0, 'no buttons to change or remove them');
    assert.equal(
      await grandpa.getByRole('button', { name: 'Download a copy of grandpa’s collection (.colpkg)' }).count(),
      1,
      'a copy of his cards, though',
    );
  });

  it('removes a person only after an explicit choice about their data', { timeout: TEST_TIMEOUT_MS }, async () => {
    const folder = join((await ui.api.getStatus()).storageFolder, 'anna');
    assert.ok(existsSync(folder), 'anna has a data folder after syncing');
    await goTo(page, 'people');
    await person('anna').getByRole('button', { name: 'Remove anna' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove anna?' });
    await dialog.waitFor({ timeout: UI_STEP_TIMEOUT_MS });
    assert.match(await textOf(dialog), /What should happen to anna’s cards and media on this PC/);
    // No choice made: refused, nothing changes.
    await dialog.getByRole('button', { name: 'Remove anna' }).click();
    await waitForText(dialog.locator('.form-message'), /Choose whether to keep or delete anna’s cards and media/, UI_STEP_TIMEOUT_MS);
    assert.ok((await people()).includes('anna:hearth'));
    // Escape closes the dialog without doing anything.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached', timeout: UI_STEP_TIMEOUT_MS });
    assert.ok((await people()).includes('anna:hearth'));

    // Hearth refuses to remove someone whose device is syncing (or synced seconds ago).
    await waitUntilNobodySyncs(ui.api);
    await person('anna').getByRole('button', { name: 'Remove anna' }).click();
    await dialog.getByLabel('Keep them').check();
    await dialog.getByRole('button', { name: 'Remove anna' }).click();
    await dialog.waitFor({ state: 'detached', timeout: UI_STEP_TIMEOUT_MS });
    await person('anna').waitFor({ state: 'detached', timeout: UI_POLL_TIMEOUT_MS });
    assert.deepEqual(await people(), ['carla:hearth', 'grandpa:environment']);
    assert.ok(existsSync(folder), 'the data folder was kept, as chosen');
    await expectLoginRefused(anki, newDevice('anna-removed'), ui.syncEndpoint, 'anna', 'anna-second-password');

    await person('carla').getByRole('button', { name: 'Remove carla' }).click();
    const carla = page.getByRole('dialog', { name: 'Remove carla?' });
    await carla.getByLabel('Delete them from this PC').check();
    await carla.getByRole('button', { name: 'Remove carla' }).click();
    await person('carla').waitFor({ state: 'detached', timeout: UI_POLL_TIMEOUT_MS });
    assert.deepEqual(await people(), ['grandpa:environment']);
  });
});
