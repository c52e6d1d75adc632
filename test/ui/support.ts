/**
 * Shared steps of the UI tests: the window built fresh into dist/renderer, opened in Chromium
 * against the real headless server (test/helpers/ui-server.ts), QR codes read back from the
 * pixels on screen, and the real Anki client (test/interop/anki-client.ts) to prove that what
 * the window did works for Anki.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import type { Locator, Page } from 'playwright-core';
import { AnkiClient, AnkiClientError } from '../interop/anki-client.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HearthApi } from '../../src/shared/api.ts';
import { UI_POLL_TIMEOUT_MS, UI_STEP_TIMEOUT_MS } from './browser.ts';
// @ts-expect-error: a plain .mjs build script without type declarations
import { buildRenderer as buildRendererUntyped } from '../../scripts/build-renderer.mjs';

const buildRenderer = buildRendererUntyped as (options?: { outDir?: string }) => Promise<string>;
// jsqr is CommonJS whose types declare an ES default export; at run time the function is both.
const jsQR = ((jsQRModule as unknown as { default?: typeof jsQRModule }).default ?? jsQRModule) as unknown as typeof jsQRModule.default;

/** Temp folders this test process made (the built window, devices); removed when it exits. */
const scratch: string[] = [];
process.once('exit', () => scratch.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

let built: Promise<string> | undefined;
/**
 * Builds the window from the current sources once per test process (esbuild: well under a
 * second), into a folder of its own: test files run in parallel, and none may serve another's
 * half-written app.js (or replace the developer's dist/). Pass it as `staticDir`.
 */
export function ensureRendererBuilt(): Promise<string> {
  built ??= buildRenderer({ outDir: tempDir('hearth-ui-renderer-') });
  return built;
}

/** Opens the admin page and waits until the window has its first data from Hearth. */
export async function openWindow(page: Page, adminUrl: string): Promise<void> {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(adminUrl, { timeout: UI_STEP_TIMEOUT_MS });
  await page.waitForSelector('#app[data-ready="true"]', { timeout: UI_STEP_TIMEOUT_MS });
  assert.deepEqual(problems, [], 'the page ran without script errors');
}

/** Goes to a screen with the navigation (as a person would, by clicking). */
export async function goTo(page: Page, view: 'home' | 'people' | 'connect' | 'settings'): Promise<void> {
  await page.click(`nav [data-view="${view}"]`, { timeout: UI_STEP_TIMEOUT_MS });
  await page.waitForSelector(`nav [data-view="${view}"][aria-current="page"]`, { timeout: UI_STEP_TIMEOUT_MS });
}

/** Reads the QR code drawn in `locator` from a screenshot of it: what a phone camera would read. */
export async function decodeQr(locator: Locator): Promise<string> {
  const png = PNG.sync.read(await locator.screenshot({ timeout: UI_STEP_TIMEOUT_MS }));
  const code = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height);
  assert.ok(code, 'a QR code is readable in the screenshot');
  return code.data;
}

/** The text of the element, with runs of white space made one space. */
export async function textOf(locator: Locator): Promise<string> {
  return ((await locator.textContent({ timeout: UI_STEP_TIMEOUT_MS })) ?? '').replace(/\s+/g, ' ').trim();
}

/** Waits until `locator`'s text matches (the window redraws after its next poll). */
export async function waitForText(locator: Locator, pattern: RegExp, timeout = UI_POLL_TIMEOUT_MS): Promise<void> {
  await locator.filter({ hasText: pattern }).first().waitFor({ state: 'visible', timeout });
}

/** A fresh device (collection file path) for the real Anki client. */
export function newDevice(name: string): string {
  return join(tempDir(`hearth-ui-${name}-`), 'collection.anki2');
}

/** Logs in with the real client and syncs one note all the way (a new account takes a full upload). */
export async function loginAndSync(
  client: AnkiClient,
  device: string,
  endpoint: string,
  username: string,
  password: string,
): Promise<void> {
  await client.login(device, endpoint, username, password);
  await client.populate(device, { notes: 1, reviews: 0 });
  const first = await client.sync(device);
  if (first.required === 'FULL_UPLOAD' || first.required === 'FULL_SYNC') await client.fullUpload(device);
  const again = await client.sync(device);
  assert.equal(again.required, 'NO_CHANGES', 'after the upload, the device and Hearth agree');
}

export async function expectLoginRefused(
  client: AnkiClient,
  device: string,
  endpoint: string,
  username: string,
  password: string,
): Promise<void> {
  await assert.rejects(
    client.login(device, endpoint, username, password),
    (e: unknown) => e instanceof AnkiClientError && e.kind === 'auth',
  );
}

/** Whether the focused element shows the keyboard focus ring (:focus-visible with an outline). */
export async function focusRingShown(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!(el instanceof HTMLElement) || el === document.body) return false;
    const style = getComputedStyle(el);
    return el.matches(':focus-visible') && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  });
}

/** What has the keyboard focus: its data-field, or its tag and text. */
export async function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el) return '';
    return el.dataset.field ?? `${el.tagName.toLowerCase()}:${(el.textContent ?? '').trim()}`;
  });
}

/** Longest a device counts as syncing after its last request (the server waits SYNC_QUIET_MS, 5 s, after it). */
export const SYNC_QUIET_TIMEOUT_MS = 20_000;
const STATUS_POLL_MS = 250;

/**
 * Waits until Hearth counts nobody as syncing. Removing a person or moving the data is refused
 * while a device syncs, and a sync counts until a few seconds after its last request.
 */
export async function waitUntilNobodySyncs(api: HearthApi): Promise<void> {
  const deadline = Date.now() + SYNC_QUIET_TIMEOUT_MS;
  for (;;) {
    const { server } = await api.getStatus();
    const busy =
      (server.kind === 'running' || server.kind === 'stopping') &&
      (server.activity.syncing || (server.activity.syncingUsers ?? []).length > 0);
    if (!busy) return;
    if (Date.now() > deadline) assert.fail(`Hearth still counts a sync after ${SYNC_QUIET_TIMEOUT_MS} ms (SYNC_QUIET_TIMEOUT_MS)`);
    await sleep(STATUS_POLL_MS);
  }
}
