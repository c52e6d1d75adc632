import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostKeyFor } from '../../../src/server/accounts/host-key.ts';
import { hashPlaintextLikeReference, parsePbkdf2Phc, verifyPbkdf2 } from '../../../src/server/accounts/pbkdf2.ts';
import { AccountError, openAccountStore } from '../../../src/server/accounts/account-store.ts';
import { createAuthenticator, loadEnvUsers, realVerifiers, USER_LOGIN_RULE } from '../../../src/server/accounts/authenticator.ts';
import { BEFORE_DEVICE_ID, openDeviceStore } from '../../../src/server/accounts/device-store.ts';
import { createThrottle } from '../../../src/server/accounts/throttle.ts';
import { ConfigError, configFromEnv } from '../../../src/server/config.ts';
import { SyncHttpError } from '../../../src/server/errors.ts';

const tempBase = () => mkdtempSync(join(tmpdir(), 'hearth-accounts-'));
const fakeClock = (start = 1_700_000_000_000) => {
  let now = start;
  return { nowMs: () => now, advance: (ms: number) => void (now += ms) };
};
/** A device list in its own folder (or in `base`, to share it with a restarted authenticator). */
const devicesIn = (base = tempBase()) => openDeviceStore(base, 1_700_000_000_000);
const LINUX = '26.09.3,abc1234,linux';
const statusOf = async (p: Promise<unknown>): Promise<number> => {
  try {
    await p;
    return 200;
  } catch (err) {
    assert.ok(err instanceof SyncHttpError, String(err));
    return err.status;
  }
};

describe('host keys and PBKDF2 (official SYNC_USERn compatibility)', () => {
  test("the host key of user:pass is the official server's", () => {
    assert.equal(hostKeyFor('user:pass'), 'b2619aa1529dfdc4248e6edbf3c1b2a2b014cf6d');
  });

  test('the reference\'s PHC hash of "pass" verifies "pass" and rejects others', async () => {
    const phc = '$pbkdf2-sha256$i=600000,l=32$tonuvYGpksNFQBlEmm3lxg$oQ1sqlkoU7Qn72xNoIq+NHyW3yOOER8EZ6mIJiv5GYc';
    const parsed = parsePbkdf2Phc(phc);
    assert.equal(parsed.rounds, 600000);
    assert.equal(await verifyPbkdf2(parsed, 'pass'), true);
    assert.equal(await verifyPbkdf2(parsed, 'Pass'), false);
    const fromPlain = await hashPlaintextLikeReference('pass');
    assert.equal(fromPlain.hash.toString('base64').replace(/=+$/, ''), 'oQ1sqlkoU7Qn72xNoIq+NHyW3yOOER8EZ6mIJiv5GYc');
  });

  test('invalid SYNC_USERn entries are refused at start-up with the variable named', async () => {
    await assert.rejects(
      loadEnvUsers([{ raw: 'nocolon', index: 1 }], false),
      (e: Error) => e instanceof ConfigError && /SYNC_USER1/.test(e.message),
    );
    await assert.rejects(loadEnvUsers([{ raw: 'a:$pbkdf2-sha256$bad', index: 2 }], true), /SYNC_USER2.*PBKDF2/);
    await assert.rejects(loadEnvUsers([{ raw: '../x:pw', index: 1 }], false), /slash/);
    await assert.rejects(
      loadEnvUsers(
        [
          { raw: 'Ann:a', index: 1 },
          { raw: 'ann:b', index: 2 },
        ],
        false,
      ),
      /defined twice/,
    );
  });

  test('configFromEnv reads the official variables with their defaults and stops at the first gap', () => {
    const c = configFromEnv({ SYNC_USER1: 'a:b', SYNC_USER2: 'c:d', SYNC_USER4: 'e:f', SYNC_BASE: '/data', HOME: '/home/x' });
    assert.deepEqual(
      c.envUsers.map((u) => u.raw),
      ['a:b', 'c:d'],
    );
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.port, 8080);
    assert.equal(c.maxPayloadMegs, 100);
    assert.equal(c.passwordsHashed, false);
    assert.equal(configFromEnv({ PASSWORDS_HASHED: '' }).passwordsHashed, true);
    assert.throws(() => configFromEnv({ SYNC_PORT: 'eighty' }), ConfigError);
    assert.throws(() => configFromEnv({ SYNC_HOST: 'localhost' }), /IP address/);
    assert.throws(() => configFromEnv({ MAX_SYNC_PAYLOAD_MEGS: '0' }), ConfigError);
  });
});

describe('account store (argon2id)', () => {
  test('add stores an argon2id hash, never the password, in a private file', async () => {
    const store = openAccountStore(tempBase());
    await store.add('alice', 'correct horse');
    const text = readFileSync(store.path, 'utf8');
    assert.ok(!text.includes('correct horse'));
    assert.ok(!text.includes(hostKeyFor('alice:correct horse')));
    assert.match(text, /\$argon2id\$/);
    if (process.platform !== 'win32') assert.equal(statSync(store.path).mode & 0o777, 0o600);
  });

  test('an account saved by an earlier Hearth (argon2 0.45 package, parameters in its own order) still logs in', async () => {
    const base = tempBase();
    mkdirSync(join(base, '.hearth'), { recursive: true });
    // Written by the `argon2` npm package 0.45.1 for sha1("alice:correct horse"); note "m=…,p=…,t=…".
    const verifier = '$argon2id$v=19$m=19456,p=1,t=2$a55XERyvhYTuslltV0kdnw$7uYUkWGECwuFf7sIEGMQqedDK+C73siM41EJKPq8uFE';
    const account = { username: 'alice', verifier, createdAt: '2026-01-01T00:00:00Z', passwordChangedAt: '2026-01-01T00:00:00Z' };
    writeFileSync(join(base, '.hearth', 'accounts.json'), JSON.stringify({ version: 1, accounts: [account] }));
    assert.equal(await realVerifiers.argon2(verifier, hostKeyFor('alice:correct horse')), true);
    assert.equal(await realVerifiers.argon2(verifier, hostKeyFor('alice:wrong horse')), false);
    const auth = await createAuthenticator([], openAccountStore(base), devicesIn(base), { clock: fakeClock() });
    const key = await auth.login('alice', 'correct horse', '127.0.0.1', LINUX);
    assert.deepEqual(await auth.userForHostKey(key, '127.0.0.1'), {
      username: 'alice',
      device: (await auth.userForHostKey(key, 'x')).device,
    });
    // Her devices from before hold the official key, which goes on working.
    assert.deepEqual(await auth.userForHostKey(hostKeyFor('alice:correct horse'), '127.0.0.1'), {
      username: 'alice',
      device: BEFORE_DEVICE_ID,
    });
  });

  test('invalid usernames and short passwords are refused with plain words, and nothing is written', async () => {
    const store = openAccountStore(tempBase());
    const cases: Array<[string, string, RegExp]> = [
      ['', 'longenough', /enter a username/],
      ['a:b', 'longenough', /colon/],
      ['../evil', 'longenough', /slash/],
      ['bob', 'short', /at least 8/],
    ];
    for (const [u, p, msg] of cases) await assert.rejects(store.add(u, p), (e: Error) => e instanceof AccountError && msg.test(e.message));
    await store.add('bob', 'longenough');
    await assert.rejects(store.add('BOB', 'longenough'), /already a person/);
    assert.equal(store.list().length, 1);
  });

  test('a second store on the same folder sees changes made by the first (CLI while the server runs)', async () => {
    const base = tempBase();
    const a = openAccountStore(base);
    const b = openAccountStore(base);
    await a.add('carol', 'password1');
    assert.deepEqual(
      b.list().map((x) => x.username),
      ['carol'],
    );
    a.remove('carol');
    assert.deepEqual(b.list(), []);
  });
});

describe('authenticator', () => {
  test('each login of a stored account gets a key of its own, 40 hex digits, recognised afterwards and after a restart', async () => {
    const base = tempBase();
    const store = openAccountStore(base);
    await store.add('dora', 'secret-pw');
    const auth = await createAuthenticator([], store, devicesIn(base), { clock: fakeClock() });
    const key = await auth.login('dora', 'secret-pw', '10.0.0.1', LINUX);
    const other = await auth.login('dora', 'secret-pw', '10.0.0.2', '25.09.2,dev,android');
    assert.match(key, /^[0-9a-f]{40}$/);
    assert.notEqual(key, other);
    assert.notEqual(key, hostKeyFor('dora:secret-pw'), 'not the key derived from the password');
    const first = await auth.userForHostKey(key, '10.0.0.1');
    const second = await auth.userForHostKey(other, '10.0.0.2');
    assert.equal(first.username, 'dora');
    assert.equal(second.username, 'dora');
    assert.notEqual(first.device, second.device);
    // A fresh authenticator (server restart) recognises the key without a new login.
    const restarted = await createAuthenticator([], openAccountStore(base), devicesIn(base), { clock: fakeClock() });
    assert.deepEqual(await restarted.userForHostKey(key, '10.0.0.1'), first);
    // A person added since keys are per device has no devices from before: the derived key is refused.
    assert.equal(await statusOf(auth.userForHostKey(hostKeyFor('dora:secret-pw'), '10.0.0.1')), 403);
  });

  test('the key is stored only as a hash, never as sent', async () => {
    const base = tempBase();
    const store = openAccountStore(base);
    await store.add('dora', 'secret-pw');
    const devices = devicesIn(base);
    const auth = await createAuthenticator([], store, devices, { clock: fakeClock() });
    const key = await auth.login('dora', 'secret-pw', '10.0.0.1', LINUX);
    devices.close();
    assert.equal(readFileSync(join(base, '.hearth', 'devices.sqlite3')).includes(key), false);
  });

  test('a signed-out device is refused at once; the person’s other devices go on', async () => {
    const base = tempBase();
    const store = openAccountStore(base);
    await store.add('dora', 'secret-pw');
    const devices = devicesIn(base);
    const auth = await createAuthenticator([], store, devices, { clock: fakeClock() });
    const phone = await auth.login('dora', 'secret-pw', 'a', '25.09.2,dev,android');
    const laptop = await auth.login('dora', 'secret-pw', 'a', LINUX);
    const phoneDevice = await auth.userForHostKey(phone, 'a');
    // Signed out by another process (the window), through its own connection.
    const window = openDeviceStore(base, 0);
    assert.equal(window.signOut('dora', phoneDevice.device, 5), true);
    window.close();
    assert.equal(await statusOf(auth.userForHostKey(phone, 'a')), 403);
    assert.equal(auth.isSignedIn(phoneDevice), false);
    assert.equal((await auth.userForHostKey(laptop, 'a')).username, 'dora');
  });

  test('changing a password makes the old password stop working; devices are signed out separately', async () => {
    const store = openAccountStore(tempBase());
    await store.add('erin', 'first-password');
    const auth = await createAuthenticator([], store, devicesIn(), { clock: fakeClock() });
    await store.setPassword('erin', 'second-password');
    assert.equal(await statusOf(auth.login('erin', 'first-password', 'a', LINUX)), 403);
    assert.match(await auth.login('erin', 'second-password', 'a', LINUX), /^[0-9a-f]{40}$/);
  });

  test('the derived key from before a password change works only when the parent kept those devices', async () => {
    const base = tempBase();
    mkdirSync(join(base, '.hearth'), { recursive: true });
    const store = openAccountStore(base);
    await store.add('erin', 'first-password');
    // As written by a Hearth from before keys per device: no keyFromBefore field.
    const file = join(base, '.hearth', 'accounts.json');
    const data = JSON.parse(readFileSync(file, 'utf8')) as { accounts: Record<string, unknown>[] };
    for (const a of data.accounts) delete a.keyFromBefore;
    writeFileSync(file, JSON.stringify(data));
    const old = hostKeyFor('erin:first-password');
    const auth = await createAuthenticator([], store, devicesIn(base), { clock: fakeClock() });
    assert.deepEqual(await auth.userForHostKey(old, 'a'), { username: 'erin', device: BEFORE_DEVICE_ID });
    await store.setPassword('erin', 'second-password', true);
    assert.deepEqual(await auth.userForHostKey(old, 'a'), { username: 'erin', device: BEFORE_DEVICE_ID }, 'kept');
    await store.setPassword('erin', 'third-password', false);
    assert.equal(await statusOf(auth.userForHostKey(old, 'a')), 403, 'not kept');
    assert.equal(await statusOf(auth.userForHostKey(hostKeyFor('erin:third-password'), 'a')), 403, 'never handed out');
  });

  test('a removed account can no longer log in or sync, with any of its keys', async () => {
    const store = openAccountStore(tempBase());
    await store.add('finn', 'password-f');
    const auth = await createAuthenticator([], store, devicesIn(), { clock: fakeClock() });
    const key = await auth.login('finn', 'password-f', 'a', LINUX);
    const device = await auth.userForHostKey(key, 'a');
    store.remove('finn');
    assert.equal(auth.isSignedIn(device), false);
    assert.equal(await statusOf(auth.userForHostKey(key, 'a')), 403);
    assert.equal(await statusOf(auth.login('finn', 'password-f', 'a', LINUX)), 403);
  });

  test('env users (SYNC_USERn) log in with the official password check, plain or PASSWORDS_HASHED, and their official keys go on working until signed out', async () => {
    const phc = '$pbkdf2-sha256$i=600000,l=32$tonuvYGpksNFQBlEmm3lxg$oQ1sqlkoU7Qn72xNoIq+NHyW3yOOER8EZ6mIJiv5GYc';
    const hashed = await createAuthenticator(await loadEnvUsers([{ raw: `user:${phc}`, index: 1 }], true), undefined, devicesIn(), {
      clock: fakeClock(),
    });
    const hashedKey = await hashed.login('user', 'pass', 'a', LINUX);
    assert.equal((await hashed.userForHostKey(hashedKey, 'a')).username, 'user');
    assert.equal(await statusOf(hashed.login('user', 'wrong', 'a', LINUX)), 403);
    assert.deepEqual(await hashed.userForHostKey(hostKeyFor(`user:${phc}`), 'a'), { username: 'user', device: BEFORE_DEVICE_ID });
    const devices = devicesIn();
    const plain = await createAuthenticator(await loadEnvUsers([{ raw: 'user:pass', index: 1 }], false), undefined, devices, {
      clock: fakeClock(),
    });
    const key = await plain.login('user', 'pass', 'a', LINUX);
    assert.equal((await plain.userForHostKey(key, 'a')).username, 'user');
    const official = 'b2619aa1529dfdc4248e6edbf3c1b2a2b014cf6d';
    assert.deepEqual(await plain.userForHostKey(official, 'a'), { username: 'user', device: BEFORE_DEVICE_ID });
    devices.signOut('user', BEFORE_DEVICE_ID, 1);
    assert.equal(await statusOf(plain.userForHostKey(official, 'a')), 403);
    assert.equal((await plain.userForHostKey(key, 'a')).username, 'user', 'the device with its own key goes on');
  });

  test('every login costs one PBKDF2 and one argon2id check, whether the name is an env user, a stored account or unknown', async () => {
    const store = openAccountStore(tempBase());
    await store.add('hana', 'password-h');
    const calls: string[] = [];
    const counting = {
      pbkdf2: (h: Parameters<typeof realVerifiers.pbkdf2>[0], p: string) => (calls.push('pbkdf2'), realVerifiers.pbkdf2(h, p)),
      argon2: (h: string, p: string) => (calls.push('argon2'), realVerifiers.argon2(h, p)),
    };
    const env = await loadEnvUsers([{ raw: 'ivan:password-i', index: 1 }], false);
    const auth = await createAuthenticator(env, store, devicesIn(), { clock: fakeClock(), verifiers: counting });
    for (const [u, p] of [
      ['ivan', 'password-i'],
      ['ivan', 'wrong'],
      ['hana', 'password-h'],
      ['hana', 'wrong'],
      ['nobody', 'whatever'],
    ] as const) {
      calls.length = 0;
      await auth.login(u, p, 'a', LINUX).catch(() => undefined);
      assert.deepEqual(calls.sort(), ['argon2', 'pbkdf2'], `${u}/${p}`);
    }
  });

  test('after repeated failures from one address a username is throttled there with 429, even with the right password, until the window passes', async () => {
    const store = openAccountStore(tempBase());
    await store.add('gina', 'right-password');
    const clock = fakeClock();
    const auth = await createAuthenticator([], store, devicesIn(), { clock });
    for (let i = 0; i < USER_LOGIN_RULE.maxFailures; i++) {
      assert.equal(await statusOf(auth.login('gina', 'wrong', '10.0.0.9', LINUX)), 403);
    }
    assert.equal(await statusOf(auth.login('gina', 'right-password', '10.0.0.9', LINUX)), 429);
    clock.advance(USER_LOGIN_RULE.windowMs);
    assert.equal(await statusOf(auth.login('gina', 'right-password', '10.0.0.9', LINUX)), 200);
  });

  test('a stranger’s 100 wrong passwords do not stop a family member’s device from logging in', async () => {
    const store = openAccountStore(tempBase());
    await store.add('anna', 'annas-password');
    const clock = fakeClock();
    const auth = await createAuthenticator([], store, devicesIn(), { clock });
    // From many addresses and from one, as an attacker might.
    for (let i = 0; i < 50; i++) await statusOf(auth.login('anna', `guess ${i}`, `203.0.113.${i}`, LINUX));
    for (let i = 0; i < 50; i++) await statusOf(auth.login('anna', `guess ${i}`, '198.51.100.1', LINUX));
    assert.equal(await statusOf(auth.login('anna', 'annas-password', '198.51.100.1', LINUX)), 429, 'the stranger’s own address is refused');
    assert.equal(await statusOf(auth.login('anna', 'annas-password', '192.168.1.23', LINUX)), 200, 'anna’s phone logs in');
    const key = await auth.login('anna', 'annas-password', '192.168.1.24', LINUX);
    assert.equal((await auth.userForHostKey(key, '192.168.1.24')).username, 'anna', 'and her devices keep syncing');
  });

  test('one address guessing many usernames or host keys is throttled', async () => {
    const clock = fakeClock();
    const auth = await createAuthenticator([], openAccountStore(tempBase()), devicesIn(), { clock });
    let last = 0;
    for (let i = 0; i < 40; i++) last = await statusOf(auth.userForHostKey(hostKeyFor(`x${i}`), '192.0.2.7'));
    assert.equal(last, 429);
    assert.equal(await statusOf(auth.userForHostKey(hostKeyFor('x'), '192.0.2.8')), 403, 'other addresses are not affected');
  });
});

describe('throttle', () => {
  test('counts failures in a sliding window and reports how long to wait', () => {
    const clock = fakeClock();
    const th = createThrottle(clock);
    const rule = { maxFailures: 2, windowMs: 1000 };
    th.recordFailure('k');
    clock.advance(100);
    th.recordFailure('k');
    assert.equal(th.retryAfterMs('k', rule), 900);
    clock.advance(900);
    assert.equal(th.retryAfterMs('k', rule), 0);
    th.recordFailure('k');
    th.clear('k');
    assert.equal(th.retryAfterMs('k', rule), 0);
  });
});
