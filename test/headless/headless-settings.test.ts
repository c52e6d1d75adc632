// The headless host's settings (src/headless/headless-settings.ts under src/host/settings-store.ts):
// the environment, with the admin page's changes kept in <SYNC_BASE>/.hearth/headless-settings.json.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openSettingsStore } from '../../src/host/settings-store.ts';
import {
  envSettings,
  headlessListenAddress,
  headlessSettingsBackend,
  headlessSettingsPath,
  headlessSettingsRule,
} from '../../src/headless/headless-settings.ts';
import type { ServerConfig } from '../../src/server/config.ts';
import { silentLogger } from '../../src/server/logger.ts';

type T = { after: (fn: () => void) => void };

function setup(t: T, env: Partial<ServerConfig> = {}) {
  const base = mkdtempSync(join(tmpdir(), 'hearth-headless-settings-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const config: ServerConfig = { base, host: '0.0.0.0', port: 8080, maxPayloadMegs: 100, envUsers: [], passwordsHashed: false, ...env };
  const open = () =>
    openSettingsStore(headlessSettingsBackend(config, silentLogger), envSettings(config), silentLogger, headlessSettingsRule);
  return { config, open, file: headlessSettingsPath(config.base) };
}

describe('headless settings', () => {
  it('start from the environment and write nothing until the admin page changes something', (t) => {
    const { open, file, config } = setup(t);
    const settings = open();
    assert.equal(settings.get().port, 8080);
    assert.equal(settings.get().storageFolder, config.base);
    assert.equal(existsSync(file), false);
  });

  it('keep only what differs from the environment, and win over it at the next start', (t) => {
    const { open, file } = setup(t);
    assert.equal(open().update({ port: 9000, firstRunDone: true }).ok, true);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { version: 1, port: 9000, firstRunDone: true });
    const again = open();
    assert.equal(again.get().port, 9000);
    assert.equal(again.update({ port: 8080 }).ok, true);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { version: 1, firstRunDone: true }, 'back to the environment: not stored');
  });

  it('refuse start at login and start in the tray with a sentence', (t) => {
    const result = setup(t).open().update({ startAtLogin: true });
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.problems[0]!.message : '', /does not apply to the headless server/);
  });

  it('show a relative SYNC_BASE as a full path', (t) => {
    const { open } = setup(t, { base: 'relative-data' });
    assert.equal(open().get().storageFolder, resolve('relative-data'));
  });

  it('listen on SYNC_HOST while the scope is the one it means, else on the scope’s address', () => {
    const config: ServerConfig = { base: '/d', host: '192.168.1.5', port: 8080, maxPayloadMegs: 100, envUsers: [], passwordsHashed: false };
    const address = headlessListenAddress(config);
    const env = envSettings(config);
    assert.equal(env.listen, 'lan');
    assert.equal(address(env), '192.168.1.5');
    assert.equal(address({ ...env, listen: 'this-pc' }), '127.0.0.1');
    assert.equal(headlessListenAddress({ ...config, host: '127.0.0.1' })({ ...env, listen: 'lan' }), '0.0.0.0');
  });
});
