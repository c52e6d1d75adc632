// An email typed as the username, with the real Anki client against the headless server: Anki
// asks for an "Email", so anna types anna@example.com. The login is refused as any wrong login
// is, and the window's recent problems say what to do instead ("use anna, not an email
// address"); a login as a stranger's address, or with a wrong password, keeps the plain sentence.
// Neither password reaches the server's output.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startUiServer } from '../helpers/ui-server.ts';
import type { UiServer } from '../helpers/ui-server.ts';
import { AnkiClient, AnkiClientError } from '../interop/anki-client.ts';
import { startTogether } from '../helpers/start-together.ts';

const TEST_TIMEOUT_MS = 120_000;
const ANNA_PASSWORD = 'annas-long-password';

describe('an email address typed as the username', { timeout: 3 * TEST_TIMEOUT_MS }, () => {
  let ui: UiServer;
  let anki: AnkiClient;
  let dir = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hearth-email-login-'));
    [ui, anki] = await startTogether(startUiServer({ users: ['grandpa:grandpas-password'] }), AnkiClient.start());
    assert.deepEqual(await ui.api.addPerson('anna', ANNA_PASSWORD), { ok: true });
  });
  after(async () => {
    await Promise.allSettled([anki?.stop()]);
    await ui?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const refused = (username: string, password: string) =>
    assert.rejects(
      anki.login(join(dir, `${username}.anki2`), ui.syncEndpoint, username, password),
      (e: unknown) => e instanceof AnkiClientError && e.kind === 'auth',
      `${username} is refused as a wrong login`,
    );

  it('is refused, and the recent problems say to use the username instead', { timeout: TEST_TIMEOUT_MS }, async () => {
    await refused('anna@example.com', ANNA_PASSWORD);
    const [latest] = await ui.api.getRecentErrors();
    assert.equal(
      latest?.message,
      'A device tried to log in as “anna@example.com”: use “anna”, not an email address, as the username in Anki.',
    );
    // Case does not matter; an environment (SYNC_USERn) person counts too.
    await refused('Grandpa@Example.com', 'grandpas-password');
    assert.equal(
      (await ui.api.getRecentErrors())[0]?.message,
      'A device tried to log in as “Grandpa@Example.com”: use “grandpa”, not an email address, as the username in Anki.',
    );
    // Logging in as anna works, the same device and client.
    const ok = await anki.login(join(dir, 'anna.anki2'), ui.syncEndpoint, 'anna', ANNA_PASSWORD);
    assert.ok(ok.hkey.length > 0);
  });

  it('keeps the plain sentence for a stranger’s address and for a wrong password', { timeout: TEST_TIMEOUT_MS }, async () => {
    await refused('dora@example.com', 'whatever-password');
    assert.equal(
      (await ui.api.getRecentErrors())[0]?.message,
      'A device could not log in as “dora@example.com”: the username or password was wrong.',
    );
    await refused('anna', 'not annas password');
    assert.equal((await ui.api.getRecentErrors())[0]?.message, 'A device could not log in as “anna”: the username or password was wrong.');
    for (const secret of [ANNA_PASSWORD, 'not annas password', 'grandpas-password']) {
      assert.ok(!ui.output().includes(secret), 'no password in the server’s output');
    }
  });
});
