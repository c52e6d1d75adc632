// Each person's devices in real Chromium against the real headless server: two computers log in
// with the real Anki client and sync; the window lists both; one is signed out from the window
// and only that one is asked to log in again; a new password keeps the ticked device signed in;
// "Sign out all devices" signs out every one; a SYNC_USER person's device can be signed out too;
// a device refused after wrong passwords is shown under its person and let in again.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { DeviceSummary } from '../../src/shared/api.ts';
import { startUiServer } from '../helpers/ui-server.ts';
import type { UiServer } from '../helpers/ui-server.ts';
import { loginFrom } from '../helpers/sync-client.ts';
import { AnkiClient, AnkiClientError } from '../interop/anki-client.ts';
import type { ChangesRequired } from '../interop/anki-client.ts';
import { launchBrowser, UI_POLL_TIMEOUT_MS, UI_STEP_TIMEOUT_MS } from './browser.ts';
import type { Browser } from './browser.ts';
import { ensureRendererBuilt, expectLoginRefused, goTo, loginAndSync, newDevice, openWindow, textOf, waitForText } from './support.ts';

/** One test: UI steps plus real Anki logins and syncs. */
const TEST_TIMEOUT_MS = 180_000;
const ANNA_PASSWORD = 'anna-first-password';
const ANNA_NEW_PASSWORD = 'anna-second-password';
const GRANDPA_PASSWORD = 'grandpa-password';
const FULL: readonly ChangesRequired[] = ['FULL_SYNC', 'FULL_UPLOAD', 'FULL_DOWNLOAD'];
/** The name Hearth gives a computer syncing with Anki on Linux (the real client here). */
const LINUX = 'Anki on Linux';

describe('the window: devices', { timeout: 8 * TEST_TIMEOUT_MS }, () => {
  let ui: UiServer;
  let browser: Browser;
  let page: Page;
  let anki: AnkiClient;
  /** anna's two computers (collection files of the real client). */
  const laptop = newDevice('anna-laptop');
  const desktop = newDevice('anna-desktop');

  before(async () => {
    const staticDir = await ensureRendererBuilt();
    [ui, browser, anki] = await Promise.all([
      startUiServer({ users: [`grandpa:${GRANDPA_PASSWORD}`], staticDir }),
      launchBrowser(),
      AnkiClient.start(),
    ]);
    await ui.api.finishFirstRun();
    assert.deepEqual(await ui.api.addPerson('anna', ANNA_PASSWORD), { ok: true });
    page = await browser.newPage();
    await openWindow(page, ui.adminUrl);
    await goTo(page, 'people');
  });

  after(async () => {
    await Promise.allSettled([browser?.close(), anki?.stop()]);
    await ui?.stop();
  });

  const person = (name: string) => page.locator(`.person[data-person="${name}"]`);
  const deviceItems = (name: string) => person(name).locator('.device');
  const devicesOf = async (name: string): Promise<readonly DeviceSummary[]> => {
    const p = (await ui.api.listPeople()).find((q) => q.username === name);
    assert.ok(p, `${name} is listed`);
    return p.devices;
  };
  /** Waits until the window lists `count` devices for the person. */
  const waitForDeviceCount = async (name: string, count: number): Promise<void> => {
    const deadline = Date.now() + UI_POLL_TIMEOUT_MS;
    while ((await deviceItems(name).count()) !== count) {
      if (Date.now() > deadline) assert.fail(`the window did not list ${count} devices of ${name} within ${UI_POLL_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const expectSignedOut = async (device: string, why: string): Promise<void> => {
    await assert.rejects(anki.sync(device), (e: unknown) => e instanceof AnkiClientError && e.kind === 'auth', why);
  };
  const expectStillSyncs = async (device: string, why: string): Promise<void> => {
    assert.equal((await anki.sync(device)).required, 'NO_CHANGES', why);
  };
  /** Clicks the device's own "Sign out" (found by its id: both computers have the same name) and confirms. */
  const signOutInWindow = async (name: string, device: DeviceSummary): Promise<void> => {
    await person(name)
      .locator(`.device[data-device="${device.id}"]`)
      .getByRole('button', { name: `Sign out ${device.name} of ${name}` })
      .click();
    const dialog = page.getByRole('dialog', { name: `Sign out ${device.name}?` });
    await dialog.waitFor({ timeout: UI_STEP_TIMEOUT_MS });
    const words = await textOf(dialog);
    assert.match(words, /Its next sync asks for .*’s password again/, 'the dialog says what happens');
    assert.match(words, /Nothing on it is lost/, 'and that nothing is lost');
    await dialog.getByRole('button', { name: 'Sign out', exact: true }).click();
    await dialog.waitFor({ state: 'detached', timeout: UI_STEP_TIMEOUT_MS });
    await waitForText(page.locator('.toast'), new RegExp(`${name}’s ${device.name} is signed out`), UI_STEP_TIMEOUT_MS);
    // The button the keyboard was on is gone with the device: the focus stays in the person's devices.
    await page.waitForFunction(
      (key) => document.activeElement instanceof HTMLElement && document.activeElement.dataset['focusKey'] === key,
      `devices-${name}`,
      { timeout: UI_STEP_TIMEOUT_MS },
    );
  };

  it('lists each computer that logged in, named for a parent, with its last sync', { timeout: TEST_TIMEOUT_MS }, async () => {
    await waitForText(person('anna').locator('.devices .empty'), /^No device has synced yet\.$/);
    // The laptop logs in and uploads its collection; the desktop then logs in and downloads it.
    const first = await anki.login(laptop, ui.syncEndpoint, 'anna', ANNA_PASSWORD);
    await anki.populate(laptop, { notes: 2, reviews: 0 });
    assert.ok(FULL.includes((await anki.sync(laptop)).required), 'a new account takes a full sync');
    await anki.fullUpload(laptop);
    await expectStillSyncs(laptop, 'after the upload, the laptop and Hearth agree');
    const second = await anki.login(desktop, ui.syncEndpoint, 'anna', ANNA_PASSWORD);
    assert.notEqual(first.hkey, second.hkey, 'each login gets its own key');
    assert.equal((await anki.sync(desktop)).required, 'FULL_DOWNLOAD', 'an empty computer downloads the collection');
    await anki.fullDownload(desktop);
    await expectStillSyncs(desktop, 'after the download, the desktop and Hearth agree');

    const devices = await devicesOf('anna');
    assert.equal(devices.length, 2, 'two devices');
    assert.notEqual(devices[0]!.id, devices[1]!.id);
    for (const d of devices) {
      assert.equal(d.name, LINUX);
      assert.equal(d.fromBefore, false);
      assert.ok(d.signedInAt !== null && d.lastSyncAt !== null, 'both logged in and synced');
      assert.equal(d.lastAddress, '127.0.0.1');
    }
    await goTo(page, 'home');
    await goTo(page, 'people');
    await waitForDeviceCount('anna', 2);
    for (const d of devices) {
      const item = person('anna').locator(`.device[data-device="${d.id}"]`);
      assert.match(await textOf(item.locator('.device-line')), /^Anki on Linux — last synced (just now|1 minute ago)$/);
      assert.match(await textOf(item.locator('.device-detail')), /^Anki [\d.]+ \(Linux\) · from 127\.0\.0\.1$/);
    }
    assert.equal(await person('anna').getByRole('button', { name: 'Sign out all of anna’s devices' }).count(), 1);
  });

  it(
    'signing one computer out makes only its next sync ask for the password; logged in again, it syncs normally',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      // Most recently synced first: the desktop, then the laptop.
      const [desktopEntry, laptopEntry] = await devicesOf('anna');
      assert.ok(desktopEntry && laptopEntry);
      assert.ok(Date.parse(laptopEntry.signedInAt!) < Date.parse(desktopEntry.signedInAt!), 'the laptop logged in first');
      await goTo(page, 'people');
      await signOutInWindow('anna', laptopEntry);
      assert.deepEqual(
        (await devicesOf('anna')).map((d) => d.id),
        [desktopEntry.id],
        'only the desktop is left',
      );
      await waitForDeviceCount('anna', 1);

      await expectSignedOut(laptop, 'the signed-out laptop is asked to log in again');
      await expectStillSyncs(desktop, 'the other computer goes on syncing');

      // Logged in again, the laptop's cards were never lost: its next sync is a normal one.
      await anki.login(laptop, ui.syncEndpoint, 'anna', ANNA_PASSWORD);
      await anki.addNotes(laptop, [{ fields: ['Added after logging in again', 'back'] }]);
      const again = await anki.sync(laptop);
      assert.ok(!FULL.includes(again.required), `a normal sync, not ${again.required}`);
      assert.equal(again.normal_sync_performed, true, 'the new note went up in a normal sync');
      const down = await anki.sync(desktop);
      assert.ok(!FULL.includes(down.required), 'the desktop gets it in a normal sync too');
      assert.equal((await anki.dump(desktop)).notes.length, 3, 'the note reached the other computer');

      assert.equal((await devicesOf('anna')).length, 2, 'two devices again');
      await waitForDeviceCount('anna', 2);
    },
  );

  it(
    'a new password keeps the ticked computer signed in; the other must log in with the new one',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      // The desktop has kept its login since the first test; the laptop logged in again since.
      const kept = [...(await devicesOf('anna'))].sort((a, b) => Date.parse(a.signedInAt!) - Date.parse(b.signedInAt!))[0];
      assert.ok(kept);
      await goTo(page, 'people');
      await person('anna').getByRole('button', { name: 'Change anna’s password' }).click();
      const dialog = page.getByRole('dialog', { name: 'New password for anna' });
      await dialog.waitFor({ timeout: UI_STEP_TIMEOUT_MS });
      assert.match(
        await textOf(dialog),
        /Every device of anna’s that you do not keep signed in below must log in again with the new password/,
      );
      const boxes = dialog.getByRole('checkbox', { name: `Keep ${LINUX} signed in` });
      assert.equal(await boxes.count(), 2, 'one box per device');
      for (let i = 0; i < 2; i++) assert.equal(await boxes.nth(i).isChecked(), false, 'none kept unless ticked');
      await dialog.locator(`input[data-device="${kept.id}"]`).check();
      await dialog.locator('[data-field="password"]').fill(ANNA_NEW_PASSWORD);
      await dialog.locator('[data-field="confirm"]').fill(ANNA_NEW_PASSWORD);
      await dialog.getByRole('button', { name: 'Change password' }).click();
      await dialog.waitFor({ state: 'detached', timeout: UI_STEP_TIMEOUT_MS });
      await waitForText(page.locator('.toast'), /anna’s password is changed\. The devices you kept stay signed in/, UI_STEP_TIMEOUT_MS);

      assert.deepEqual(
        (await devicesOf('anna')).map((d) => d.id),
        [kept.id],
      );
      await expectStillSyncs(desktop, 'the kept desktop syncs on without logging in');
      await expectSignedOut(laptop, 'the laptop must log in again');
      await expectLoginRefused(anki, laptop, ui.syncEndpoint, 'anna', ANNA_PASSWORD);
      await anki.login(laptop, ui.syncEndpoint, 'anna', ANNA_NEW_PASSWORD);
      const again = await anki.sync(laptop);
      assert.ok(!FULL.includes(again.required), `a normal sync after logging in with the new password, not ${again.required}`);
      await waitForDeviceCount('anna', 2);
    },
  );

  it('"Sign out all devices" signs out every computer of the person', { timeout: TEST_TIMEOUT_MS }, async () => {
    await goTo(page, 'people');
    await waitForDeviceCount('anna', 2);
    await person('anna').getByRole('button', { name: 'Sign out all of anna’s devices' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sign out all of anna’s devices?' });
    await dialog.waitFor({ timeout: UI_STEP_TIMEOUT_MS });
    assert.match(await textOf(dialog), /asks for anna’s password again\. Nothing on them is lost/);
    await dialog.getByRole('button', { name: 'Sign out all devices' }).click();
    await dialog.waitFor({ state: 'detached', timeout: UI_STEP_TIMEOUT_MS });
    await waitForText(page.locator('.toast'), /All of anna’s devices are signed out/, UI_STEP_TIMEOUT_MS);

    assert.deepEqual(await devicesOf('anna'), []);
    await waitForText(person('anna').locator('.devices .empty'), /^No device has synced yet\.$/);
    assert.equal(
      await person('anna').getByRole('button', { name: 'Sign out all of anna’s devices' }).count(),
      0,
      'nothing left to sign out',
    );
    await expectSignedOut(laptop, 'the laptop is signed out');
    await expectSignedOut(desktop, 'the desktop is signed out');
  });

  it(
    'a SYNC_USER person’s device is listed and can be signed out, though their password is set elsewhere',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const tablet = newDevice('grandpa-tablet');
      await loginAndSync(anki, tablet, ui.syncEndpoint, 'grandpa', GRANDPA_PASSWORD);
      const [entry] = await devicesOf('grandpa');
      assert.ok(entry);
      await goTo(page, 'home');
      await goTo(page, 'people');
      await waitForDeviceCount('grandpa', 1);
      assert.equal(await person('grandpa').getByRole('button', { name: 'Change grandpa’s password' }).count(), 0);
      await signOutInWindow('grandpa', entry);
      assert.deepEqual(await devicesOf('grandpa'), []);
      await expectSignedOut(tablet, 'the tablet must log in again');
      await anki.login(tablet, ui.syncEndpoint, 'grandpa', GRANDPA_PASSWORD);
      await expectStillSyncs(tablet, 'logged in again, it syncs');
    },
  );

  it('shows a device refused after wrong passwords under its person, and lets it try again', { timeout: TEST_TIMEOUT_MS }, async () => {
    for (let i = 0; i < 10; i++) assert.equal(await loginFrom(ui.syncEndpoint, '127.0.0.5', 'anna', `wrong ${i}`), 403);
    assert.equal(await loginFrom(ui.syncEndpoint, '127.0.0.5', 'anna', ANNA_NEW_PASSWORD), 429, 'that device now waits');
    await goTo(page, 'people');
    const line = person('anna').locator('.refused-login');
    await waitForText(line, /^A device at 127\.0\.0\.5 is refused for too many wrong passwords until \d\d:\d\d \(in 1[45] minutes\)\./);
    assert.equal(await person('grandpa').locator('.refused-login').count(), 0, 'only under anna');
    await line.getByRole('button', { name: 'Let it try again now' }).click();
    await waitForText(page.locator('.toast'), /The device at 127\.0\.0\.5 may try again now\./, UI_STEP_TIMEOUT_MS);
    assert.equal(await loginFrom(ui.syncEndpoint, '127.0.0.5', 'anna', ANNA_NEW_PASSWORD), 200);
    await line.waitFor({ state: 'detached', timeout: UI_POLL_TIMEOUT_MS });
  });
});
