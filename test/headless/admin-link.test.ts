// The headless admin page's link across restarts (src/headless/admin-token.ts, cli.ts): the token
// is kept in <SYNC_BASE>/.hearth/admin-token (0600), so the link printed at the first start still
// works after a restart; a wrong token still gets nothing; `--new-admin-link` (or deleting the
// file) makes a new one, and the old link stops working. Also: the admin page's own port is not
// offered to the sync server, and is refused as what it is.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startUiServer } from '../helpers/ui-server.ts';
import type { UiServer } from '../helpers/ui-server.ts';
import { adminTokenPath, loadAdminToken } from '../../src/headless/admin-token.ts';

const TEST_TIMEOUT_MS = 60_000;

type T = { after: (fn: () => unknown) => void };

function tempBase(t: T): string {
  const base = mkdtempSync(join(tmpdir(), 'hearth-admin-link-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  return base;
}

/** An API call with this token, as the page makes it: the status only. */
async function callWith(ui: UiServer, token: string): Promise<number> {
  const r = await fetch(`${ui.adminOrigin}/api/getStatus`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: '[]',
  });
  return r.status;
}

describe('the headless admin link', { timeout: 6 * TEST_TIMEOUT_MS }, () => {
  it(
    'is the same after a restart, kept readable by its owner only; a wrong token gets nothing',
    { timeout: TEST_TIMEOUT_MS },
    async (t) => {
      const base = tempBase(t);
      const first = await startUiServer({ base, users: ['carol:carols-password'] });
      const link = first.adminUrl.replace(first.adminOrigin, '');
      assert.equal(await callWith(first, first.token), 200);
      await first.stop();
      if (process.platform !== 'win32') assert.equal(statSync(adminTokenPath(base)).mode & 0o777, 0o600);
      assert.equal(readFileSync(adminTokenPath(base), 'utf8').trim(), first.token);

      const second = await startUiServer({ base, users: ['carol:carols-password'] });
      t.after(() => second.stop());
      assert.equal(second.token, first.token, 'the same token after a restart');
      assert.equal(second.adminUrl.replace(second.adminOrigin, ''), link, 'the same link, but for the port');
      assert.equal(await callWith(second, first.token), 200, 'the old link works');
      assert.equal(await callWith(second, `${first.token.slice(0, -1)}${first.token.endsWith('A') ? 'B' : 'A'}`), 401);
      assert.equal(await callWith(second, 'not-the-token'), 401);
      const noToken = await fetch(`${second.adminOrigin}/api/getStatus`, { method: 'POST', body: '[]' });
      assert.equal(noToken.status, 401);
      assert.doesNotMatch(await noToken.text(), /carol/, 'nothing about the server without the token');
    },
  );

  it('--new-admin-link, or deleting the file, makes a new link; the old one stops working', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const base = tempBase(t);
    const first = await startUiServer({ base, users: ['carol:carols-password'] });
    await first.stop();

    const renewed = await startUiServer({ base, users: ['carol:carols-password'], args: ['--new-admin-link'] });
    assert.notEqual(renewed.token, first.token);
    assert.match(renewed.output(), /A new admin link was made: pages opened with the old link are refused\./);
    assert.equal(await callWith(renewed, first.token), 401, 'the old link is refused');
    assert.equal(await callWith(renewed, renewed.token), 200);
    await renewed.stop();

    rmSync(adminTokenPath(base));
    const fresh = await startUiServer({ base, users: ['carol:carols-password'] });
    t.after(() => fresh.stop());
    assert.notEqual(fresh.token, renewed.token);
    assert.equal(await callWith(fresh, renewed.token), 401);
  });

  it('refuses an unknown option with a sentence', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const base = tempBase(t);
    await assert.rejects(startUiServer({ base, users: ['carol:carols-password'], args: ['--new-admin-lnk'] }), (e: unknown) =>
      /Unknown option --new-admin-lnk\. The only option is --new-admin-link/.test(String(e)),
    );
  });

  it('refuses the admin page’s own port for the sync server as the admin page’s port', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const ui = await startUiServer({ base: tempBase(t), users: ['carol:carols-password'] });
    t.after(() => ui.stop());
    const adminPort = Number(new URL(ui.adminOrigin).port);
    const r = await ui.api.checkPort(adminPort);
    assert.match(
      r.ok ? '' : r.problem,
      new RegExp(
        `^Port ${adminPort} is the admin page’s own port \\(the page you are using now\\), so the sync server cannot use it too\\. Choose another, for example \\d+\\.$`,
      ),
    );
    const suggested = Number(/example (\d+)\.$/.exec(r.ok ? '' : r.problem)![1]);
    assert.notEqual(suggested, adminPort);
  });

  it('keeps a stored token only when it is whole and its owner’s alone', { timeout: TEST_TIMEOUT_MS }, (t) => {
    const base = tempBase(t);
    let n = 0;
    const make = (): string => `token-${++n}-${'x'.repeat(40)}`;
    const first = loadAdminToken(base, { make });
    assert.deepEqual(first, { token: `token-1-${'x'.repeat(40)}`, origin: 'new' });
    assert.deepEqual(loadAdminToken(base, { make }), { token: first.token, origin: 'kept' });
    assert.equal(loadAdminToken(base, { make, renew: true }).origin, 'renewed');
    writeFileSync(adminTokenPath(base), 'short\n');
    assert.equal(loadAdminToken(base, { make }).origin, 'new', 'a damaged file is replaced');
    if (process.platform !== 'win32') {
      chmodSync(adminTokenPath(base), 0o644);
      const again = loadAdminToken(base, { make, platform: 'linux' });
      assert.equal(again.origin, 'new', 'a token others could read is not used again');
      assert.equal(statSync(adminTokenPath(base)).mode & 0o777, 0o600);
    }
  });
});
