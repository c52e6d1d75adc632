// Settings in real Chromium against the real headless server: a port out of range or taken is
// refused with a clear message and nothing changes; a good port is applied and the real Anki
// client syncs at the new address; a folder that cannot be written is refused and nothing moves;
// a good folder is moved to, with its progress shown.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { freeLoopbackPort, startUiServer } from '../helpers/ui-server.ts';
import type { UiServer } from '../helpers/ui-server.ts';
import { AnkiClient } from '../interop/anki-client.ts';
import { launchBrowser, SERVER_RESTART_TIMEOUT_MS, UI_POLL_TIMEOUT_MS, UI_STEP_TIMEOUT_MS } from './browser.ts';
import type { Browser } from './browser.ts';
import { waitUntilNobodySyncs, ensureRendererBuilt, goTo, loginAndSync, newDevice, openWindow, textOf, waitForText } from './support.ts';

const TEST_TIMEOUT_MS = 180_000;
/** How often the test asks the server whether it has restarted. */
const STATUS_POLL_MS = 200;

describe('the window: settings', { timeout: 10 * TEST_TIMEOUT_MS }, () => {
  let ui: UiServer;
  let browser: Browser;
  let page: Page;
  let anki: AnkiClient;
  const scratch = mkdtempSync(join(tmpdir(), 'hearth-ui-settings-'));

  before(async () => {
    const staticDir = await ensureRendererBuilt();
    [ui, browser, anki] = await Promise.all([
      startUiServer({ users: ['anna:anna-password'], staticDir }),
      launchBrowser(),
      AnkiClient.start(),
    ]);
    await ui.api.finishFirstRun();
    page = await browser.newPage();
    await openWindow(page, ui.adminUrl);
    await goTo(page, 'settings');
  });

  after(async () => {
    await Promise.allSettled([browser?.close(), anki?.stop()]);
    await ui?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  const portForm = () => page.locator('form.port-form');
  const tryPort = async (value: string, expected: RegExp): Promise<void> => {
    await portForm().locator('[data-field="port"]').fill(value);
    await portForm().getByRole('button', { name: 'Change port' }).click();
    await waitForText(portForm().locator('.field-problem, .form-message'), expected, UI_STEP_TIMEOUT_MS);
  };
  const waitForRunningPort = async (port: number): Promise<void> => {
    const deadline = Date.now() + SERVER_RESTART_TIMEOUT_MS;
    for (;;) {
      const s = await ui.api.getStatus();
      if (s.server.kind === 'running' && s.server.port === port) return;
      if (Date.now() > deadline)
        assert.fail(
          `the server did not run on port ${port} within ${SERVER_RESTART_TIMEOUT_MS} ms (SERVER_RESTART_TIMEOUT_MS); state ${JSON.stringify(s.server)}`,
        );
      await sleep(STATUS_POLL_MS);
    }
  };

  it('refuses a port out of range or not a number, in the settings’ words; nothing changes', { timeout: TEST_TIMEOUT_MS }, async () => {
    const before = (await ui.api.getSettings()).port;
    for (const bad of ['80', '70000', 'eighty', '', '8080.5']) {
      await tryPort(bad, /^The port must be a whole number from 1024 to 65535 \(Hearth normally uses 8080\)\.$/);
      assert.equal(await portForm().locator('[data-field="port"]').getAttribute('aria-invalid'), 'true');
      assert.equal((await ui.api.getSettings()).port, before, `port unchanged after “${bad}”`);
    }
  });

  it('refuses a port another program is using; nothing changes', { timeout: TEST_TIMEOUT_MS }, async () => {
    const before = (await ui.api.getSettings()).port;
    const taken = await freeLoopbackPort();
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(taken, '127.0.0.1', resolve));
    try {
      await tryPort(String(taken), new RegExp(`Port ${taken} is already used by another program`));
      assert.equal((await ui.api.getSettings()).port, before);
      assert.equal((await ui.api.getStatus()).server.kind, 'running');
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });

  it('changes the port; the window shows the new address and Anki syncs there', { timeout: TEST_TIMEOUT_MS }, async () => {
    const port = await freeLoopbackPort();
    await tryPort(String(port), new RegExp(`Hearth now uses port ${port}\\.`));
    assert.equal((await ui.api.getSettings()).port, port);
    await waitForRunningPort(port);
    await goTo(page, 'connect');
    const expected = `http://127.0.0.1:${port}/`;
    await waitForText(page.locator('.address-best .sync-url'), new RegExp(`^${expected.replace(/[.]/g, '\\.')}$`), UI_POLL_TIMEOUT_MS);
    await loginAndSync(anki, newDevice('new-port'), expected, 'anna', 'anna-password');
    await goTo(page, 'settings');
  });

  it('refuses a folder it cannot write to, or a path that is not a full path; nothing moves', { timeout: TEST_TIMEOUT_MS }, async () => {
    const before = await ui.api.getStatus();
    assert.equal(before.canPickFolder, false, 'in a browser the folder is typed');
    const card = page.locator('section', { has: page.getByRole('heading', { name: 'Where the sync data is kept' }) });
    await card.getByRole('button', { name: 'Change…' }).click();
    const folderField = card.locator('[data-field="folder"]');
    await folderField.waitFor({ timeout: UI_STEP_TIMEOUT_MS });
    // A regular file stands in the way: no folder can be made there, whoever runs the test (root too).
    const blocker = join(scratch, 'a-file');
    writeFileSync(blocker, 'not a folder');
    await folderField.fill(join(blocker, 'sync'));
    await card.getByRole('button', { name: 'Check and move' }).click();
    await waitForText(card.locator('.field-problem'), /./, UI_STEP_TIMEOUT_MS);
    assert.equal(await folderField.getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByRole('dialog').count(), 0, 'no move is offered');

    await folderField.fill('relative/folder');
    await card.getByRole('button', { name: 'Check and move' }).click();
    await waitForText(card.locator('.field-problem'), /must be a full path/, UI_STEP_TIMEOUT_MS);

    const after = await ui.api.getStatus();
    assert.equal(after.storageFolder, before.storageFolder);
    assert.equal(after.storageMove.state, 'idle');
    await card.getByRole('button', { name: 'Cancel' }).click();
  });

  it('moves the sync data to a new folder with its progress shown; Anki still syncs', { timeout: TEST_TIMEOUT_MS }, async () => {
    // Hearth refuses to move the data while a device syncs (or synced seconds ago, as above).
    await waitUntilNobodySyncs(ui.api);
    const target = join(scratch, 'new-home');
    const card = page.locator('section', { has: page.getByRole('heading', { name: 'Where the sync data is kept' }) });
    await card.getByRole('button', { name: 'Change…' }).click();
    await card.locator('[data-field="folder"]').fill(target);
    await card.getByRole('button', { name: 'Check and move' }).click();
    const dialog = page.getByRole('dialog', { name: 'Move the sync data?' });
    await dialog.waitFor({ timeout: UI_STEP_TIMEOUT_MS });
    assert.match(await textOf(dialog), new RegExp(target.replace(/[/.-]/g, '\\$&')));
    await dialog.getByRole('button', { name: 'Move the data' }).click();
    await waitForText(card.locator('.move-text'), /^Done\. The sync data is now in /, UI_POLL_TIMEOUT_MS);
    assert.equal(await card.locator('progress').evaluate((p: HTMLProgressElement) => p.value === p.max), true, 'the progress bar is full');
    assert.equal((await ui.api.getStatus()).storageFolder, target);
    assert.equal(await card.locator('[data-storage-folder]').getAttribute('data-storage-folder'), target);
    await waitForRunningPort((await ui.api.getSettings()).port);
    const endpoint = (await ui.api.getStatus()).addresses[0]?.url;
    assert.ok(endpoint);
    await loginAndSync(anki, newDevice('moved'), endpoint, 'anna', 'anna-password');
  });
});
