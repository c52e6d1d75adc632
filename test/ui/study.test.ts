// What each person studied, in real Chromium against the real headless server: before anna's
// first sync Home and People say nothing about it; after the real Anki client answered cards and
// synced (a full upload, then a normal sync), both show her line, with the numbers the client
// itself reports (test/interop/study-stats.hearth.test.ts compares every figure in detail).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startUiServer } from '../helpers/ui-server.ts';
import type { UiServer } from '../helpers/ui-server.ts';
import { AnkiClient } from '../interop/anki-client.ts';
import type { ClientStudyFigures } from '../interop/anki-client.ts';
import { studyLine } from '../../src/renderer/format.ts';
import { launchBrowser, UI_POLL_TIMEOUT_MS } from './browser.ts';
import type { Browser } from './browser.ts';
import { ensureRendererBuilt, goTo, newDevice, openWindow, textOf, waitForText } from './support.ts';
import { startTogether } from '../helpers/start-together.ts';

const TEST_TIMEOUT_MS = 180_000;
const ANNA_PASSWORD = 'anna-password';

/** The line the window shows for the client's own figures (the days in a row: today only, a new collection). */
function expectedLine(c: ClientStudyFigures): string {
  const line = studyLine({
    reviewsToday: c.answered_today,
    reviewsLast7Days: c.answered_today,
    daysInARow: c.answered_today > 0 ? 1 : 0,
    dueToday: c.due,
    notes: c.notes,
    cards: c.cards,
    asOf: '',
  });
  assert.ok(line);
  return line;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('the window: what each person studied', { timeout: 4 * TEST_TIMEOUT_MS }, () => {
  let ui: UiServer;
  let browser: Browser;
  let page: Page;
  let anki: AnkiClient;
  const laptop = newDevice('anna-study');

  before(async () => {
    const staticDir = await ensureRendererBuilt();
    [ui, browser, anki] = await startTogether(startUiServer({ staticDir }), launchBrowser(), AnkiClient.start());
    await ui.api.finishFirstRun();
    assert.deepEqual(await ui.api.addPerson('anna', ANNA_PASSWORD), { ok: true });
    page = await browser.newPage();
    await openWindow(page, ui.adminUrl);
  });

  after(async () => {
    await Promise.allSettled([browser?.close(), anki?.stop()]);
    await ui?.stop();
  });

  /** Home's line under anna's row in "Who synced". */
  const homeCell = () => page.locator('tr[data-person="anna"] + tr.study-row .person-study');
  const peopleLine = () => page.locator('.person[data-person="anna"] .person-study');

  it('says nothing before the first sync', { timeout: TEST_TIMEOUT_MS }, async () => {
    await goTo(page, 'home');
    await page.locator('tr[data-person="anna"]').waitFor({ timeout: UI_POLL_TIMEOUT_MS });
    assert.equal(await homeCell().count(), 0, 'no line under her row');
    await goTo(page, 'people');
    assert.equal(await textOf(peopleLine()), 'What they studied shows here once they study and sync.');
  });

  it('after a real sync, Home and People show what anna studied, as her Anki counts it', { timeout: TEST_TIMEOUT_MS }, async () => {
    await anki.login(laptop, ui.syncEndpoint, 'anna', ANNA_PASSWORD);
    await anki.populate(laptop, { notes: 12, reviews: 7 });
    assert.equal((await anki.sync(laptop)).required, 'FULL_UPLOAD');
    await anki.fullUpload(laptop);
    let line = expectedLine(await anki.studyFigures(laptop));
    assert.match(line, /^7 reviews today · 7 in the last 7 days · 1 day in a row · \d+ due today · 12 notes, 12 cards$/);
    await goTo(page, 'home');
    await waitForText(homeCell(), new RegExp(`^${escape(line)}$`), UI_POLL_TIMEOUT_MS);
    await goTo(page, 'people');
    await waitForText(peopleLine(), new RegExp(`^${escape(line)}$`), UI_POLL_TIMEOUT_MS);

    // More answers, then a normal sync: the line follows.
    await anki.review(laptop, 3);
    assert.equal((await anki.sync(laptop)).normal_sync_performed, true);
    line = expectedLine(await anki.studyFigures(laptop));
    assert.match(line, /^10 reviews today/);
    await waitForText(peopleLine(), new RegExp(`^${escape(line)}$`), UI_POLL_TIMEOUT_MS);
    await goTo(page, 'home');
    await waitForText(homeCell(), new RegExp(`^${escape(line)}$`), UI_POLL_TIMEOUT_MS);
  });
});
