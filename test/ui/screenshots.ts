/**
 * Takes the screenshots in docs/screenshots/ (shown in the README): every screen of the window,
 * light and dark, in real Chromium. The window runs against the stand-in Hearth of
 * test/ui/fake-hearth.ts, with lifelike data a test machine cannot have (a home-network
 * address, people who synced hours ago, a move half done, a problem to show).
 *
 *   node test/ui/screenshots.ts            # all, into docs/screenshots/
 *   node test/ui/screenshots.ts home        # only the scenes whose name contains "home"
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { launchBrowser, UI_STEP_TIMEOUT_MS } from './browser.ts';
import { initialFakeState, startFakeHearth } from './fake-hearth.ts';
import type { FakePerson, FakeState } from './fake-hearth.ts';
import { ensureRendererBuilt, goTo } from './support.ts';

const OUT = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const WIDTH = 900;
const HEIGHT = 720;
const HOUR = 3600_000;

const iso = (msAgo: number): string => new Date(Date.now() - msAgo).toISOString();

function family(): FakePerson[] {
  return [
    {
      username: 'anna',
      password: 'anna-password',
      source: 'hearth',
      lastSyncAt: iso(2 * HOUR + 5 * 60_000),
      lastClient: 'AnkiDroid 2.20.1',
      collectionBytes: 38_400_000,
      mediaFiles: 1_214,
      mediaBytes: 212_000_000,
      devices: [
        {
          id: 'k7f3a',
          name: 'AnkiDroid on Android',
          app: 'AnkiDroid 2.23 or 2.24',
          fromBefore: false,
          signedInAt: iso(40 * 24 * HOUR),
          firstSyncAt: iso(40 * 24 * HOUR),
          lastSyncAt: iso(2 * HOUR + 5 * 60_000),
          lastAddress: '192.168.1.40',
        },
        {
          id: 'k21c9',
          name: 'Anki on Windows',
          app: 'Anki 25.09.2 (Windows)',
          fromBefore: false,
          signedInAt: iso(12 * 24 * HOUR),
          firstSyncAt: iso(12 * 24 * HOUR),
          lastSyncAt: iso(28 * HOUR),
          lastAddress: '192.168.1.20',
        },
      ],
      study: {
        reviewsToday: 64,
        reviewsLast7Days: 412,
        daysInARow: 12,
        dueToday: 23,
        notes: 1_204,
        cards: 2_380,
        asOf: iso(2 * HOUR + 5 * 60_000),
      },
    },
    {
      username: 'ben',
      password: 'ben-password',
      source: 'hearth',
      lastSyncAt: iso(26 * HOUR),
      lastClient: 'AnkiMobile 25.09',
      collectionBytes: 9_100_000,
      mediaFiles: 86,
      mediaBytes: 14_500_000,
      devices: [
        {
          id: 'before',
          name: 'Devices signed in before this update',
          app: 'AnkiMobile (Anki 25.09)',
          fromBefore: true,
          signedInAt: null,
          firstSyncAt: iso(20 * 24 * HOUR),
          lastSyncAt: iso(26 * HOUR),
          lastAddress: null,
        },
        {
          id: 'k9b02',
          name: 'AnkiMobile on iPhone or iPad',
          app: null,
          fromBefore: false,
          signedInAt: iso(5 * 60_000),
          firstSyncAt: null,
          lastSyncAt: null,
          lastAddress: '192.168.1.52',
        },
      ],
      study: { reviewsToday: 0, reviewsLast7Days: 95, daysInARow: 3, dueToday: 41, notes: 310, cards: 620, asOf: iso(26 * HOUR) },
    },
    {
      username: 'grandpa',
      password: 'x',
      source: 'hearth',
      lastSyncAt: null,
      lastClient: null,
      collectionBytes: 0,
      mediaFiles: 0,
      mediaBytes: 0,
      devices: [],
      study: null,
    },
  ];
}

/** A person just added: no sync, no device yet. */
function notSyncedYet(p: FakePerson): FakePerson {
  return { ...p, lastSyncAt: null, lastClient: null, collectionBytes: 0, mediaFiles: 0, mediaBytes: 0, devices: [] };
}

function lifelike(): FakeState {
  const s = initialFakeState();
  s.people = family();
  s.localName = 'family-pc';
  s.hosts = [
    { address: '192.168.1.20', interfaceName: 'Wi-Fi', kind: 'lan' },
    { address: '172.22.16.1', interfaceName: 'vEthernet (WSL)', kind: 'virtual' },
  ];
  return s;
}

interface Scene {
  readonly name: string;
  readonly state: () => FakeState;
  /** Brings the window to the screen to show. */
  readonly go: (page: Page) => Promise<void>;
  /** Only the window's size (dialogs), not the whole page. */
  readonly viewportOnly?: boolean;
  /** A taller window, for a dialog that would not fit. */
  readonly height?: number;
}

const SCENES: readonly Scene[] = [
  {
    name: 'first-run-1-person',
    state: () => ({ ...initialFakeState(), firstRun: true }),
    go: async (page) => {
      await page.getByRole('heading', { name: /Step 1 of 3/ }).waitFor();
    },
  },
  {
    name: 'first-run-2-folder',
    state: () => ({ ...initialFakeState(), firstRun: true }),
    go: async (page) => {
      await page.locator('[data-field="username"]').fill('anna');
      await page.locator('[data-field="password"]').fill('anna-password');
      await page.locator('[data-field="confirm"]').fill('anna-password');
      await page.getByRole('button', { name: 'Add this person' }).click();
      await page.getByRole('heading', { name: /Step 2 of 3/ }).waitFor();
    },
  },
  {
    // Coming back after step 1: the guide resumes at step 2 (anna was added, nobody synced yet).
    name: 'first-run-3-phone',
    state: () => ({ ...initialFakeState(), firstRun: true, people: [notSyncedYet(family()[0]!)], localName: 'family-pc' }),
    go: async (page) => {
      await page.getByRole('button', { name: 'Next: use this folder' }).click();
      await page.getByRole('heading', { name: /Step 3 of 3/ }).waitFor();
      await page.locator('.address-best svg.qr').waitFor();
    },
  },
  {
    name: 'first-run-3-this-pc',
    state: () => {
      const s: FakeState = { ...initialFakeState(), firstRun: true, people: [notSyncedYet(family()[0]!)] };
      s.settings = { ...s.settings, listen: 'this-pc' };
      return s;
    },
    go: async (page) => {
      await page.getByRole('button', { name: 'Next: use this folder' }).click();
      await page.getByRole('heading', { name: /Step 3 of 3/ }).waitFor();
      await page.locator('.phones-blocked').waitFor();
    },
  },
  {
    name: 'home',
    state: () => {
      const s = lifelike();
      s.errors = [{ at: iso(3 * HOUR), message: 'ben’s phone tried to sync with a wrong password.' }];
      return s;
    },
    go: async (page) => {
      await page.locator('.table').waitFor();
    },
  },
  {
    name: 'home-this-pc',
    state: () => {
      const s = lifelike();
      s.localName = null;
      s.settings = { ...s.settings, listen: 'this-pc' };
      return s;
    },
    go: async (page) => {
      await page.locator('.table').waitFor();
      await page.locator('.state-scope button').waitFor();
    },
  },
  {
    name: 'home-problem',
    state: () => {
      const s = lifelike();
      s.server = { kind: 'crashed', error: { code: 'port-in-use', detail: 'port 8080' }, retryAt: null };
      s.otherHearths = [{ name: 'Hearth on LIVING-ROOM-PC', host: '192.168.1.31', port: 8080 }];
      s.errors = [{ at: iso(60_000), message: 'The sync server could not start: another program is already using port 8080.' }];
      return s;
    },
    go: async (page) => {
      await page.locator('.other-hearths .notice').waitFor();
    },
  },
  {
    name: 'people',
    state: () => {
      const s = lifelike();
      s.throttledLogins = [{ username: 'ben', address: '192.168.1.52', until: new Date(Date.now() + 14 * 60_000).toISOString() }];
      return s;
    },
    go: async (page) => {
      await goTo(page, 'people');
      await page.locator('.person .device').first().waitFor();
      await page.locator('.person .refused-login').waitFor();
    },
  },
  {
    name: 'people-sign-out',
    state: lifelike,
    viewportOnly: true,
    go: async (page) => {
      await goTo(page, 'people');
      await page.getByRole('button', { name: 'Sign out AnkiDroid on Android of anna' }).click();
      await page.getByRole('dialog').waitFor();
    },
  },
  {
    name: 'people-backups',
    state: () => {
      const s = lifelike();
      const at = (msAgo: number): string => new Date(Date.now() - msAgo).toISOString();
      const id = (reason: string, msAgo: number): string => `collection-${reason}-${at(msAgo).replace(/[:.]/g, '-')}.anki2`;
      s.backups = {
        anna: [
          {
            id: id('daily', 2 * HOUR),
            takenAt: at(2 * HOUR),
            reason: 'daily',
            notes: 1204,
            cards: 2380,
            reviews: 18_412,
            bytes: 31_457_280,
            readable: true,
          },
          {
            id: id('before-upload', 26 * HOUR),
            takenAt: at(26 * HOUR),
            reason: 'before-upload',
            notes: 1198,
            cards: 2368,
            reviews: 18_290,
            bytes: 31_260_672,
            readable: true,
          },
          {
            id: id('daily', 27 * HOUR),
            takenAt: at(27 * HOUR),
            reason: 'daily',
            notes: 1198,
            cards: 2368,
            reviews: 18_251,
            bytes: 31_195_136,
            readable: true,
          },
          {
            id: id('daily', 8 * 24 * HOUR),
            takenAt: at(8 * 24 * HOUR),
            reason: 'daily',
            notes: 1150,
            cards: 2270,
            reviews: 17_020,
            bytes: 29_884_416,
            readable: true,
          },
        ],
      };
      return s;
    },
    viewportOnly: true,
    height: 860,
    go: async (page) => {
      await goTo(page, 'people');
      await page.getByRole('button', { name: 'Backups of anna’s cards' }).click();
      const dialog = page.getByRole('dialog', { name: 'Backups of anna’s cards' });
      await dialog.locator('li.backup').first().waitFor();
    },
  },
  {
    name: 'people-restore',
    state: () => {
      const s = lifelike();
      const at = new Date(Date.now() - 26 * HOUR).toISOString();
      s.backups = {
        anna: [
          {
            id: `collection-before-upload-${at.replace(/[:.]/g, '-')}.anki2`,
            takenAt: at,
            reason: 'before-upload',
            notes: 1198,
            cards: 2368,
            reviews: 18_290,
            bytes: 31_260_672,
            readable: true,
          },
        ],
      };
      return s;
    },
    viewportOnly: true,
    go: async (page) => {
      await goTo(page, 'people');
      await page.getByRole('button', { name: 'Backups of anna’s cards' }).click();
      await page.getByRole('button', { name: /^Restore anna’s cards from / }).click();
      await page.getByRole('dialog', { name: /^Restore anna’s cards from / }).waitFor();
    },
  },
  {
    name: 'people-remove',
    state: lifelike,
    viewportOnly: true,
    go: async (page) => {
      await goTo(page, 'people');
      await page.getByRole('button', { name: 'Remove ben' }).click();
      await page.getByRole('dialog').waitFor();
      await page.getByLabel('Keep them').focus();
    },
  },
  {
    name: 'people-password',
    state: lifelike,
    viewportOnly: true,
    height: 880,
    go: async (page) => {
      await goTo(page, 'people');
      await page.getByRole('button', { name: 'Change ben’s password' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.locator('[data-field="password"]').fill('short');
      await dialog.getByRole('button', { name: 'Change password' }).click();
      await dialog.locator('.field-problem').filter({ hasText: /./ }).waitFor();
    },
  },
  {
    name: 'connect',
    state: lifelike,
    go: async (page) => {
      await goTo(page, 'connect');
      await page.locator('.address-best svg.qr').waitFor();
    },
  },
  {
    name: 'connect-older',
    state: lifelike,
    go: async (page) => {
      await goTo(page, 'connect');
      const older = page.locator('.connect details.older');
      await older.locator('summary').click();
      await older.locator('.older-app').first().waitFor();
      await older.scrollIntoViewIfNeeded();
    },
  },
  {
    name: 'settings',
    state: () => {
      const s = lifelike();
      s.storageMove = {
        state: 'copying',
        from: s.settings.storageFolder,
        to: '/media/anna/Backup/Hearth',
        copiedBytes: 131_000_000,
        totalBytes: 274_000_000,
        problem: null,
      };
      s.takenPorts = [8081];
      return s;
    },
    go: async (page) => {
      await goTo(page, 'settings');
      await page.locator('.move[data-state="copying"]').waitFor();
      const port = page.locator('form.port-form');
      await port.locator('[data-field="port"]').fill('8081');
      await port.getByRole('button', { name: 'Change port' }).click();
      await port.locator('.field-problem').filter({ hasText: /./ }).waitFor();
    },
  },
];

async function main(): Promise<void> {
  const only = process.argv[2];
  const staticDir = await ensureRendererBuilt();
  mkdirSync(OUT, { recursive: true });
  const browser = await launchBrowser();
  try {
    for (const scene of SCENES.filter((s) => !only || s.name.includes(only))) {
      for (const scheme of ['light', 'dark'] as const) {
        const fake = await startFakeHearth(scene.state(), staticDir);
        const page = await browser.newPage({ colorScheme: scheme, width: WIDTH, height: scene.height ?? HEIGHT });
        try {
          await page.goto(fake.adminUrl, { timeout: UI_STEP_TIMEOUT_MS });
          await page.waitForSelector('#app[data-ready="true"]', { timeout: UI_STEP_TIMEOUT_MS });
          await scene.go(page);
          const path = `${OUT}${scene.name}-${scheme}.png`;
          // No blinking caret or half-drawn transition in the picture.
          await page.screenshot({ path, fullPage: !scene.viewportOnly, caret: 'hide', animations: 'disabled' });
          console.log(`wrote ${path}`);
        } finally {
          await page.close();
          await fake.stop();
        }
      }
    }
  } finally {
    await browser.close();
  }
}

await main();
