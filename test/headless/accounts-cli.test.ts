import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { send, syncHeader } from '../helpers/sync-client.ts';
import { startTestServer } from '../helpers/test-server.ts';

const cli = fileURLToPath(new URL('../../src/headless/accounts-cli.ts', import.meta.url));
const run = (base: string, args: string[], input = '') =>
  spawnSync(process.execPath, [cli, ...args], { input, encoding: 'utf8', env: { ...process.env, SYNC_BASE: base }, timeout: 30_000 });

describe('accounts CLI', () => {
  test('a person added with the CLI can log in to a running server, and cannot after removal', async () => {
    const base = mkdtempSync(join(tmpdir(), 'hearth-cli-'));
    const t = await startTestServer({ base, users: [] });
    try {
      const added = run(base, ['add', 'alice'], 'apple-pie-42\n');
      assert.equal(added.status, 0, added.stderr);
      assert.match(added.stdout, /Added alice/);
      assert.ok(!added.stdout.includes('apple-pie-42') && !added.stderr.includes('apple-pie-42'), 'password never echoed');
      const login = await send(t.endpoint, '/sync/hostKey', { header: syncHeader(''), body: { u: 'alice', p: 'apple-pie-42' } });
      assert.equal(login.status, 200);
      const { key } = login.json() as { key: string };

      assert.match(run(base, ['list']).stdout, /^alice\t/m);
      const removed = run(base, ['remove', 'alice']);
      assert.equal(removed.status, 0);
      assert.match(removed.stdout, /still in/);
      const meta = await send(t.endpoint, '/sync/meta', { header: syncHeader(key), body: { v: 11, cv: 'x' } });
      assert.equal(meta.status, 403);
    } finally {
      await t.stop();
    }
  });

  test('bad usernames and short passwords get a plain message and exit code 1', () => {
    const base = mkdtempSync(join(tmpdir(), 'hearth-cli-'));
    const colon = run(base, ['add', 'a:b'], 'long-enough-pw\n');
    assert.equal(colon.status, 1);
    assert.match(colon.stderr, /cannot contain a colon/);
    const short = run(base, ['add', 'bob'], 'short\n');
    assert.equal(short.status, 1);
    assert.match(short.stderr, /at least 8 characters/);
    assert.match(run(base, ['list']).stdout, /No accounts yet/);
    assert.equal(run(base, ['frobnicate']).status, 2);
  });

  test('devices are listed with their ids, and one or all signed out, while the server runs', async () => {
    const base = mkdtempSync(join(tmpdir(), 'hearth-cli-'));
    const t = await startTestServer({ base, users: [] });
    try {
      assert.equal(run(base, ['add', 'alice'], 'apple-pie-42\n').status, 0);
      const login = async (c: string): Promise<string> => {
        const r = await send(t.endpoint, '/sync/hostKey', { header: { ...syncHeader(''), c }, body: { u: 'alice', p: 'apple-pie-42' } });
        return (r.json() as { key: string }).key;
      };
      const meta = (key: string) => send(t.endpoint, '/sync/meta', { header: syncHeader(key), body: { v: 11, cv: 'x' } });
      const phone = await login('25.09.2,dev,android');
      const laptop = await login('25.09.2,abc,windows');
      assert.match(run(base, ['devices', 'bob']).stderr, /no person called “bob”/);
      const listed = run(base, ['devices', 'alice']);
      assert.equal(listed.status, 0, listed.stderr);
      const lines = listed.stdout.trim().split('\n');
      assert.equal(lines.length, 2, listed.stdout);
      const phoneLine = lines.find((l) => l.includes('AnkiDroid on Android'));
      assert.ok(phoneLine, listed.stdout);
      assert.match(phoneLine, /^[0-9a-f]{8}\tAnkiDroid on Android, not synced yet \(AnkiDroid 2\.23 or 2\.24, from 127\.0\.0\.1\)$/);
      const phoneId = phoneLine.split('\t')[0]!;

      const wrong = run(base, ['signout', 'alice', 'nothing1']);
      assert.equal(wrong.status, 1);
      assert.match(wrong.stderr, /alice has no such device/);
      assert.equal((await meta(phone)).status, 200, 'nothing changed');

      const one = run(base, ['signout', 'alice', phoneId]);
      assert.equal(one.status, 0, one.stderr);
      assert.equal((await meta(phone)).status, 403, 'the server sees it at the next request');
      assert.equal((await meta(laptop)).status, 200);
      assert.equal(run(base, ['signout', 'alice']).status, 0);
      assert.equal((await meta(laptop)).status, 403);
      assert.match(run(base, ['devices', 'alice']).stdout, /No device of alice has logged in yet/);
    } finally {
      await t.stop();
    }
  });
});
