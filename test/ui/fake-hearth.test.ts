// The stand-in Hearth's device actions behave as the real ones do (src/host/people.ts): a device
// that is not the person's is refused and nothing changes; a new password keeps only the ticked
// devices. The screenshots rely on it (test/ui/screenshots.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DeviceSummary } from '../../src/shared/api.ts';
import { fakeHandlers, initialFakeState } from './fake-hearth.ts';
import type { FakePerson, FakeState } from './fake-hearth.ts';

const device = (id: string): DeviceSummary => ({
  id,
  name: 'AnkiDroid on Android',
  app: 'AnkiDroid 2.23 or 2.24',
  fromBefore: false,
  signedInAt: '2026-03-01T10:00:00.000Z',
  firstSyncAt: '2026-03-01T10:01:00.000Z',
  lastSyncAt: '2026-03-10T10:00:00.000Z',
  lastAddress: '192.168.1.40',
});

const person = (username: string, source: FakePerson['source'], ids: string[]): FakePerson => ({
  username,
  password: `${username}-password`,
  source,
  lastSyncAt: null,
  lastClient: null,
  collectionBytes: 0,
  mediaFiles: 0,
  mediaBytes: 0,
  devices: ids.map(device),
  study: null,
});

function family(): FakeState {
  const s = initialFakeState();
  s.people = [person('anna', 'hearth', ['a1', 'a2', 'a3']), person('ben', 'hearth', ['b1']), person('grandpa', 'environment', ['g1'])];
  return s;
}

const ids = (s: FakeState, name: string): string[] => s.people.find((p) => p.username === name)!.devices.map((d) => d.id);

describe('the stand-in Hearth: devices', () => {
  it('signs out one device of the person, and nothing else', async () => {
    const s = family();
    const api = fakeHandlers(s);
    assert.deepEqual(await api.signOutDevice('anna', 'a2'), { ok: true });
    assert.deepEqual(ids(s, 'anna'), ['a1', 'a3']);
    assert.deepEqual(ids(s, 'ben'), ['b1']);
    assert.deepEqual(await api.signOutDevice('grandpa', 'g1'), { ok: true }, 'a SYNC_USER person’s device too');
    assert.deepEqual(ids(s, 'grandpa'), []);
  });

  it('refuses an unknown device, another person’s device or an unknown person, and changes nothing', async () => {
    const s = family();
    const api = fakeHandlers(s);
    const before = JSON.stringify(s.people);
    for (const [name, id] of [
      ['anna', 'nope'],
      ['anna', 'b1'],
      ['carla', 'a1'],
    ] as const) {
      const result = await api.signOutDevice(name, id);
      assert.equal(result.ok, false, `${name}/${id} refused`);
      assert.ok(!result.ok && result.problem.length > 0, 'with a sentence');
    }
    assert.equal((await api.signOutAllDevices('carla')).ok, false);
    const keptOther = await api.changePassword('anna', 'a-new-password', ['a1', 'b1']);
    assert.equal(keptOther.ok, false, 'another person’s device cannot be kept');
    assert.equal(JSON.stringify(s.people), before, 'nothing changed');
  });

  it('signs out every device of the person at once', async () => {
    const s = family();
    assert.deepEqual(await fakeHandlers(s).signOutAllDevices('anna'), { ok: true });
    assert.deepEqual(ids(s, 'anna'), []);
    assert.deepEqual(ids(s, 'ben'), ['b1']);
  });

  it('a new password keeps only the ticked devices signed in', async () => {
    const s = family();
    assert.deepEqual(await fakeHandlers(s).changePassword('anna', 'a-new-password', ['a3']), { ok: true });
    const anna = s.people.find((p) => p.username === 'anna')!;
    assert.equal(anna.password, 'a-new-password');
    assert.deepEqual(ids(s, 'anna'), ['a3']);
    assert.deepEqual(await fakeHandlers(s).changePassword('ben', 'b-new-password', []), { ok: true });
    assert.deepEqual(ids(s, 'ben'), []);
  });
});
