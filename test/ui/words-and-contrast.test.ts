// Issue 21's words and accessibility, in real Chromium against the real headless server: fields
// and other controls have borders of at least 3:1 against the page and the cards, light and
// dark; the header badge says in words what it shows (not only in a tooltip); Home fits a
// 320 px window (400 % zoom) without sideways scrolling; Settings explains "port", "sync server"
// and "AnkiWeb" where they first appear, and says that the admin page's own port is the admin
// page's; Home's "where is the log" line fits the headless server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startUiServer } from '../helpers/ui-server.ts';
import type { UiServer } from '../helpers/ui-server.ts';
import { launchBrowser, UI_STEP_TIMEOUT_MS } from './browser.ts';
import type { Browser } from './browser.ts';
import { ensureRendererBuilt, goTo, openWindow, textOf, waitForText } from './support.ts';

const TEST_TIMEOUT_MS = 60_000;
/** WCAG 1.4.11: the visual boundary of a control against what is next to it. */
const CONTROL_CONTRAST = 3;

/** Contrast ratio of two CSS colours as the browser computed them (rgb(…)). */
function contrast(a: string, b: string): number {
  const lum = (css: string): number => {
    const [r, g, bl] = (css.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number);
    const lin = (v: number): number => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * lin(r!) + 0.7152 * lin(g!) + 0.0722 * lin(bl!);
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

/** A custom property of the page, as a computed rgb() colour. */
async function colourOf(page: Page, variable: string): Promise<string> {
  return page.evaluate((v) => {
    const probe = document.createElement('span');
    probe.style.color = `var(${v})`;
    document.body.append(probe);
    const colour = getComputedStyle(probe).color;
    probe.remove();
    return colour;
  }, variable);
}

describe('the window: words and contrast', { timeout: 8 * TEST_TIMEOUT_MS }, () => {
  let ui: UiServer;
  let browser: Browser;

  before(async () => {
    const staticDir = await ensureRendererBuilt();
    [ui, browser] = await Promise.all([
      startUiServer({ users: ['anna:anna-password', 'grandpa-johannes:his-password'], staticDir }),
      launchBrowser(),
    ]);
    await ui.api.finishFirstRun();
  });
  after(async () => {
    await browser?.close();
    await ui?.stop();
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`${scheme}: field and control borders have at least 3:1 against the page and the cards`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const page = await browser.newPage({ colorScheme: scheme });
      try {
        await openWindow(page, ui.adminUrl);
        await goTo(page, 'settings');
        const input = page.locator('[data-field="port"]');
        const border = await input.evaluate((el) => getComputedStyle(el).borderTopColor);
        const card = await input.evaluate((el) => getComputedStyle(el.closest('.card')!).backgroundColor);
        const pageBg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        for (const [what, against] of [
          ['the card', card],
          ['the page', pageBg],
          ['--surface-2', await colourOf(page, '--surface-2')],
        ] as const) {
          const ratio = contrast(border, against);
          assert.ok(ratio >= CONTROL_CONTRAST, `input border ${border} against ${what} ${against}: ${ratio.toFixed(2)}:1`);
        }
        // The switch's track when off, and the app tabs of "Connect a device", use the same colour.
        assert.equal(await colourOf(page, '--control-border'), border);
      } finally {
        await page.close();
      }
    });
  }

  it('the header badge says what is on in words, not only in its tooltip', { timeout: TEST_TIMEOUT_MS }, async () => {
    const page = await browser.newPage();
    try {
      await openWindow(page, ui.adminUrl);
      await waitForText(page.locator('.state-pill'), /^Sync server on$/, UI_STEP_TIMEOUT_MS);
      assert.equal(await page.locator('.state-pill').isVisible(), true);
    } finally {
      await page.close();
    }
  });

  it('Home fits a 320 px window (400 % zoom): nothing makes the page scroll sideways', { timeout: TEST_TIMEOUT_MS }, async () => {
    const page = await browser.newPage({ width: 320, height: 640 });
    try {
      await openWindow(page, ui.adminUrl);
      await page.locator('.table').waitFor({ timeout: UI_STEP_TIMEOUT_MS });
      const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, window: window.innerWidth }));
      assert.ok(widths.page <= widths.window, `the page is ${widths.page} px wide in a ${widths.window} px window`);
      const card = page.locator('section', { has: page.getByRole('heading', { name: 'Who synced' }) });
      const [table, box] = await Promise.all([page.locator('.table').boundingBox(), card.boundingBox()]);
      assert.ok(table && box && table.x + table.width <= box.x + box.width + 0.5, 'the table stays inside its card');
      // Each row stacks, each value named by its column, instead of scrolling sideways in the card.
      const stacked = await page.evaluate(() => {
        const t = document.querySelector('.table');
        const cell = t?.querySelector('td[data-label]');
        return {
          // The column names stay for screen readers, out of sight.
          headShown: (t?.querySelector('thead')?.getBoundingClientRect().height ?? 0) > 1,
          fits: t ? t.scrollWidth <= t.clientWidth + 1 : false,
          label: cell ? getComputedStyle(cell, '::before').content : '',
        };
      });
      assert.deepEqual(stacked, { headShown: false, fits: true, label: '"Last sync: "' });
    } finally {
      await page.close();
    }
  });

  it(
    'Settings says what a port, the sync server and AnkiWeb are; the admin page’s port is refused as that',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const page = await browser.newPage();
      try {
        await openWindow(page, ui.adminUrl);
        await goTo(page, 'settings');
        const port = page.locator('section', { has: page.getByRole('heading', { name: 'Port' }) });
        assert.match(await textOf(port), /The port is the number after the last colon of the sync address/);
        const network = page.locator('section', { has: page.getByRole('heading', { name: 'Network and start-up' }) });
        assert.match(
          await textOf(network),
          /sync server is the part of Hearth that Anki talks to when it syncs, in place of AnkiWeb \(Anki’s own sync service on the internet\)/,
        );

        const adminPort = new URL(ui.adminOrigin).port;
        const form = page.locator('form.port-form');
        await form.locator('[data-field="port"]').fill(adminPort);
        await form.getByRole('button', { name: 'Change port' }).click();
        await waitForText(
          form.locator('.field-problem'),
          new RegExp(
            `^Port ${adminPort} is the admin page’s own port \\(the page you are using now\\), so the sync server cannot use it too\\.`,
          ),
          UI_STEP_TIMEOUT_MS,
        );
        assert.doesNotMatch(await textOf(form), /another program/);
      } finally {
        await page.close();
      }
    },
  );

  it('Home says where the headless server’s log is in words that fit it', { timeout: TEST_TIMEOUT_MS }, async () => {
    const page = await browser.newPage();
    try {
      await openWindow(page, ui.adminUrl);
      await waitForText(
        page.locator('.log-line'),
        /Hearth’s log: the messages of the headless server, in the terminal where it was started \(or in its service’s log\)\.$/,
        UI_STEP_TIMEOUT_MS,
      );
    } finally {
      await page.close();
    }
  });
});
