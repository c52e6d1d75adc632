// A restore from the window, in real Chromium against the real headless server, with the real
// Anki client: an old phone's "Upload to server" replaced anna's cards; the parent opens People →
// anna → Backups, restores the copy Hearth kept, is told to choose Download on each device; the
// laptop's next sync offers the full sync, it downloads, and holds anna's cards again.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startUiServer } from '../helpers/ui-server.ts';
import type { UiServer } from '../helpers/ui-server.ts';
import { AnkiClient } from '../interop/anki-client.ts';
import { launchBrowser, UI_STEP_TIMEOUT_MS } from './browser.ts';
import type { Browser } from './browser.ts';
import { ensureRendererBuilt, goTo, newDevice, openWindow, textOf, waitForText, waitUntilNobodySyncs } from './support.ts';
import { startTogether } from '../helpers/start-together.ts';

const TEST_TIMEOUT_MS = 180_000;
const PASSWORD = 'anna-first-password';

describe('the window: backups', { timeout: 3 * TEST_TIMEOUT_MS }, () => {
  let ui: UiServer;
  let browser: Browser;
  let page: Page;
  let anki: AnkiClient;
  const laptop = newDevice('anna-laptop');
  const oldPhone = newDevice('anna-old-phone');

  before(async () => {
    const staticDir = await ensureRendererBuilt();
    [ui, browser, anki] = await startTogether(startUiServer({ staticDir }), launchBrowser(), AnkiClient.start());
    await ui.api.finishFirstRun();
    assert.deepEqual(await ui.api.addPerson('anna', PASSWORD), { ok: true });
    page = await browser.newPage();
    await openWindow(page, ui.adminUrl);
  });

  after(async () => {
    await Promise.allSettled([browser?.close(), anki?.stop()]);
    await ui?.stop();
  });

  it(
    'restores the cards an old phone’s upload replaced; the laptop is offered the full sync and gets them back',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      await anki.login(laptop, ui.syncEndpoint, 'anna', PASSWORD);
      await anki.populate(laptop, { notes: 20 });
      assert.equal((await anki.sync(laptop)).required, 'FULL_UPLOAD');
      await anki.fullUpload(laptop);
      await anki.login(oldPhone, ui.syncEndpoint, 'anna', PASSWORD);
      await anki.populate(oldPhone, { notes: 2 });
      assert.equal((await anki.sync(oldPhone)).required, 'FULL_SYNC');
      await anki.fullUpload(oldPhone);
      await waitUntilNobodySyncs(ui.api);

      await goTo(page, 'people');
      await page.getByRole('button', { name: 'Backups of anna’s cards' }).click();
      const dialog = page.getByRole('dialog', { name: 'Backups of anna’s cards' });
      const replaced = dialog.locator('li.backup', { hasText: 'Upload to server' }).filter({ hasText: '20 notes' });
      await waitForText(replaced, /20 notes/);
      assert.match(await textOf(dialog), /last 7 days/, 'the keep rule is said');
      await replaced.getByRole('button', { name: /^Restore anna’s cards from / }).click();

      const confirm = page.getByRole('dialog', { name: /^Restore anna’s cards from / });
      await confirm.waitFor({ timeout: UI_STEP_TIMEOUT_MS });
      const words = await textOf(confirm);
      assert.match(words, /choose Download/, 'says which button to press on each device');
      assert.match(words, /kept as a backup first/);
      await confirm.getByRole('button', { name: 'Restore this copy' }).click();
      await waitForText(page.locator('#announcer'), /back as they were/);

      assert.equal((await anki.sync(laptop)).required, 'FULL_SYNC', 'offered the full sync');
      await anki.fullDownload(laptop);
      assert.equal((await anki.dump(laptop)).notes.length, 20);
      await anki.populate(laptop, { notes: 1 });
      assert.equal((await anki.sync(laptop)).required, 'NO_CHANGES', 'and normal syncs go on');
    },
  );
});
