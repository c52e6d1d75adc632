// The device list (src/server/accounts/device-store.ts) as several processes share it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BEFORE_DEVICE_ID, deviceFilePath, openDeviceStore } from '../../../src/server/accounts/device-store.ts';

const tempBase = () => mkdtempSync(join(tmpdir(), 'hearth-devices-'));

describe('device store', () => {
  test('another process only reading the list is not taken for a change; its sign-out is', () => {
    const base = tempBase();
    const server = openDeviceStore(base, 1);
    const seen = server.dataVersion();
    const reader = openDeviceStore(base, 2);
    reader.list('anna');
    reader.close();
    assert.equal(server.dataVersion(), seen, 'opening and reading wrote nothing');
    const writer = openDeviceStore(base, 3);
    writer.signOut('anna', BEFORE_DEVICE_ID, 4);
    writer.close();
    assert.notEqual(server.dataVersion(), seen);
    assert.equal(server.createdAt(), 1, 'made once, by the first to open it');
    server.close();
  });

  test('a key is found by itself only; the same person’s other devices and other people’s are not confused', () => {
    const devices = openDeviceStore(tempBase(), 1);
    const a = devices.addDevice('anna', '25.09.2,dev,android', '10.0.0.1', 10);
    const b = devices.addDevice('anna', '25.09.2,x,linux', '10.0.0.2', 11);
    const c = devices.addDevice('ben', '25.09.2,x,linux', '10.0.0.3', 12);
    const found = (key: string) => {
      const d = devices.deviceForKey(key);
      assert.ok(d, 'found');
      return d;
    };
    const [da, db, dc] = [found(a), found(b), found(c)];
    assert.equal(da.username, 'anna');
    assert.equal(db.username, 'anna');
    assert.equal(dc.username, 'ben');
    assert.notEqual(da.id, db.id);
    assert.equal(devices.deviceForKey(a.toUpperCase()), undefined);
    assert.equal(devices.signOut('anna', dc.id, 20), false, 'ben’s device is not anna’s to sign out');
    assert.equal(devices.isSignedIn('ben', dc.id), true);
    devices.close();
  });

  test('a damaged device file is put aside, a new one made, and the caller told', () => {
    const base = tempBase();
    mkdirSync(join(base, '.hearth'), { recursive: true });
    writeFileSync(deviceFilePath(base), Buffer.alloc(8192, 7));
    const told: string[] = [];
    const devices = openDeviceStore(base, 5, (aside) => told.push(aside));
    assert.equal(told.length, 1);
    assert.ok(existsSync(told[0]!), 'the damaged file is kept aside');
    assert.deepEqual(devices.list('anna'), []);
    assert.ok(readdirSync(join(base, '.hearth')).some((n) => n.startsWith('devices.sqlite3.damaged-')));
    devices.close();
  });
});
