// "Download a copy (.colpkg)" on the People page, in real Chromium against the real headless
// server: anna's collection, built and synced by the real Anki client with media, arrives as a
// download named after her and the day, and that client's File → Import takes it and then has
// what it synced; someone who never synced gets one sentence and no download. The package itself
// is test/server/colpkg.test.ts; the app's save dialog, test/main/composition.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Download, Page } from 'playwright-core';
import { startUiServer } from '../helpers/ui-server.ts';
import type { UiServer } from '../helpers/ui-server.ts';
import { AnkiClient } from '../interop/anki-client.ts';
import { launchBrowser, UI_STEP_TIMEOUT_MS } from './browser.ts';
import type { Browser } from './browser.ts';
import { ensureRendererBuilt, goTo, newDevice, openWindow, waitForText } from './support.ts';

/** One test: UI steps plus real Anki syncs and an import. */
const TEST_TIMEOUT_MS = 180_000;
const ANNA_PASSWORD = 'anna-password';

describe('the window: download a copy of a person’s collection', { timeout: 3 * TEST_TIMEOUT_MS }, () => {
  let ui: UiServer;
  let browser: Browser;
  let page: Page;
  let anki: AnkiClient;
  const laptop = newDevice('anna-laptop');

  before(async () => {
    const staticDir = await ensureRendererBuilt();
    [ui, browser, anki] = await Promise.all([
      startUiServer({ users: [`anna:${ANNA_PASSWORD}`], staticDir }),
      launchBrowser(),
      AnkiClient.start(),
    ]);
    await ui.api.finishFirstRun();
    assert.deepEqual(await ui.api.addPerson('bob', 'bobs password'), { ok: true });
    await anki.login(laptop, ui.syncEndpoint, 'anna', ANNA_PASSWORD);
    await anki.populate(laptop, { notes: 15, decks: ['French'], reviews: 6 });
    await anki.mediaWrite(laptop, 'tour eiffel.jpg', Buffer.alloc(50_000, 7));
    assert.equal((await anki.sync(laptop)).required, 'FULL_UPLOAD');
    await anki.fullUpload(laptop);
    await anki.syncMedia(laptop);
    page = await browser.newPage();
    await openWindow(page, ui.adminUrl);
    await goTo(page, 'people');
  });

  after(async () => {
    await Promise.allSettled([browser?.close(), anki?.stop()]);
    await ui?.stop();
  });

  const copyButton = (name: string) => page.getByRole('button', { name: `Download a copy of ${name}’s collection (.colpkg)` });

  it('says what the copy is for, that the media are in it, and how Anki opens it', { timeout: TEST_TIMEOUT_MS }, async () => {
    const part = page.locator('.person[data-person="anna"] .person-copy');
    await waitForText(part, /all of anna’s cards, review history and media/);
    await waitForText(part, /File → Import, which replaces the cards on that computer/);
    assert.equal(await copyButton('anna').textContent(), 'Download a copy (.colpkg)');
  });

  it('the download arrives, and the real client imports it and has what it synced', { timeout: TEST_TIMEOUT_MS }, async () => {
    const [download] = (await Promise.all([
      page.waitForEvent('download', { timeout: UI_STEP_TIMEOUT_MS }),
      copyButton('anna').click(),
    ])) as [Download, unknown];
    assert.match(download.suggestedFilename(), /^anna \d{4}-\d\d-\d\d\.colpkg$/);
    const saved = join(newDevice('downloads'), '..', download.suggestedFilename());
    await download.saveAs(saved);
    assert.equal(await download.failure(), null);
    await waitForText(page.locator('.toast'), /anna’s copy is downloading as “anna \d{4}-\d\d-\d\d\.colpkg”/, UI_STEP_TIMEOUT_MS);
    await waitForText(copyButton('anna'), /^Download a copy \(\.colpkg\)$/, UI_STEP_TIMEOUT_MS);

    const imported = newDevice('imported');
    await anki.importColpkg(imported, saved);
    assert.deepEqual(await anki.dump(imported), await anki.dump(laptop));
    assert.deepEqual(
      (await anki.mediaFiles(imported)).files.map((f) => [f.name, f.sha1]),
      (await anki.mediaFiles(laptop)).files.map((f) => [f.name, f.sha1]),
    );
  });

  it('someone who never synced gets one sentence and no download', { timeout: TEST_TIMEOUT_MS }, async () => {
    let downloads = 0;
    page.on('download', () => downloads++);
    await copyButton('bob').click();
    await waitForText(
      page.locator('.toast'),
      /bob has not synced any cards to Hearth yet, so there is nothing to download\./,
      UI_STEP_TIMEOUT_MS,
    );
    assert.equal(downloads, 0);
  });
});
