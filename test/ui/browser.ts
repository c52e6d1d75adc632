/**
 * Real Chromium for the UI tests and the screenshots: Debian's `chromium` (never a downloaded
 * browser; scripts/setup.sh --tests installs it), driven by playwright-core, in a fresh profile
 * folder that is removed afterwards. Every wait the tests make has a named timeout below.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env['HEARTH_CHROMIUM'] ?? '/usr/bin/chromium';
/** Longest Chromium may take to start. */
export const BROWSER_LAUNCH_TIMEOUT_MS = 60_000;
/** Longest one UI step (a click, a text to appear, a page to load) may take. */
export const UI_STEP_TIMEOUT_MS = 15_000;
/** Longest the window may take to show something after the server changed (it polls every 2 s). */
export const UI_POLL_TIMEOUT_MS = 20_000;
/** Longest the sync server may take to come back on a new port. */
export const SERVER_RESTART_TIMEOUT_MS = 30_000;

const ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-gpu',
];

export interface Browser {
  readonly context: BrowserContext;
  newPage(options?: { colorScheme?: 'light' | 'dark'; width?: number; height?: number }): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `No Chromium at ${CHROMIUM_PATH}. Install Debian's chromium package (bash scripts/setup.sh --tests does, as root), or set HEARTH_CHROMIUM.`,
    );
  }
  const profile = mkdtempSync(join(tmpdir(), 'hearth-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ARGS,
    timeout: BROWSER_LAUNCH_TIMEOUT_MS,
    viewport: { width: 900, height: 760 },
    deviceScaleFactor: 1,
    colorScheme: 'light',
    reducedMotion: 'reduce',
  });
  context.setDefaultTimeout(UI_STEP_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(UI_STEP_TIMEOUT_MS);
  return {
    context,
    async newPage(options = {}) {
      const page = await context.newPage();
      await page.setViewportSize({ width: options.width ?? 900, height: options.height ?? 760 });
      await page.emulateMedia({ colorScheme: options.colorScheme ?? 'light', reducedMotion: 'reduce' });
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
