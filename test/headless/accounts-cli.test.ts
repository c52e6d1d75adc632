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
});
