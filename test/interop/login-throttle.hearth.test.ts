// Throttled logins as the real Anki client sees them, and as a family meets them: a stranger's
// wrong passwords (from another address on the network) never stop a family member's device,
// and the device being refused is told why, in the words Anki shows for it.
// (Hearth only: the official server does not throttle.)
import { runAll } from './teardown.ts';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AnkiClient, AnkiClientError } from './anki-client.ts';
import { startServer } from './servers.ts';
import type { RunningServer } from './servers.ts';
import { loginFrom } from '../helpers/sync-client.ts';

const TEST_TIMEOUT_MS = 120_000;

describe('throttled logins: real Anki client against Hearth', { timeout: 3 * TEST_TIMEOUT_MS }, () => {
  let tmp = '';
  let server: RunningServer | undefined;
  let client: AnkiClient | undefined;

  before(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'hearth-throttle-'));
    server = await startServer('hearth', { users: ['anna:annas-password'] });
    client = await AnkiClient.start();
  });
  after(() =>
    runAll(
      () => client?.stop(),
      () => server?.stop(),
      () => rm(tmp, { recursive: true, force: true }),
    ),
  );

  it('a stranger’s 100 wrong passwords from another address do not stop anna’s device', { timeout: TEST_TIMEOUT_MS }, async () => {
    let refused = 0;
    for (let i = 0; i < 100; i++) if ((await loginFrom(server!.endpoint, '127.0.0.2', 'anna', `guess ${i}`)) === 429) refused++;
    assert.ok(refused >= 80, `the stranger is refused once throttled (${refused} of 100)`);
    const device = path.join(tmp, 'phone', 'collection.anki2');
    const login = await client!.login(device, server!.endpoint, 'anna', 'annas-password');
    assert.match(login.hkey, /^[0-9a-f]{40}$/);
  });

  it('a device refused for too many wrong passwords is told so, and when to try again', { timeout: TEST_TIMEOUT_MS }, async () => {
    const device = path.join(tmp, 'laptop', 'collection.anki2');
    for (let i = 0; i < 10; i++) {
      await assert.rejects(
        client!.login(device, server!.endpoint, 'anna', `wrong ${i}`),
        (e: unknown) => e instanceof AnkiClientError && e.kind === 'auth',
      );
    }
    await assert.rejects(client!.login(device, server!.endpoint, 'anna', 'annas-password'), (e: unknown) => {
      assert.ok(e instanceof AnkiClientError, String(e));
      assert.match(e.message, /Too many failed login attempts - try again in 15 minutes/);
      return true;
    });
  });
});
