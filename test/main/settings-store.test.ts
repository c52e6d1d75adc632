// The settings store (src/host/settings-store.ts): load with migration and repair, validated
// updates, atomic saves (temp file + rename), change events; and the app's electron-store backend (src/main/settings-backend.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileSettingsBackend, openSettingsStore } from '../../src/host/settings-store.ts';
import { electronStoreBackend } from '../../src/main/settings-backend.ts';
import type { ElectronStoreLike } from '../../src/main/settings-backend.ts';
import { defaultSettings } from '../../src/shared/settings.ts';
import type { Settings } from '../../src/shared/settings.ts';
import { silentLogger } from '../../src/server/logger.ts';

const DEFAULTS = defaultSettings('/home/anna/.syncserver');

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-settings-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

describe('settings store', () => {
  it('writes the defaults on first run', (t) => {
    const path = join(tempDir(t), 'settings.json');
    const store = openSettingsStore(fileSettingsBackend(path), DEFAULTS, silentLogger);
    assert.deepEqual(store.get(), DEFAULTS);
    assert.deepEqual(readJson(path), DEFAULTS);
  });

  it('migrates a version-0 file on load and saves it as the current version', (t) => {
    const path = join(tempDir(t), 'settings.json');
    writeFileSync(path, JSON.stringify({ port: 9000, storageFolder: '/srv/anki', listen: 'this-pc' }));
    const store = openSettingsStore(fileSettingsBackend(path), DEFAULTS, silentLogger);
    // A file from before the first-run guide: that person set Hearth up already.
    const expected: Settings = { ...DEFAULTS, port: 9000, storageFolder: '/srv/anki', listen: 'this-pc', firstRunDone: true };
    assert.deepEqual(store.get(), expected);
    assert.deepEqual(readJson(path), expected);
  });

  it('repairs invalid fields on load and reports them', (t) => {
    const path = join(tempDir(t), 'settings.json');
    writeFileSync(path, JSON.stringify({ ...DEFAULTS, port: -5, startHidden: true }));
    const store = openSettingsStore(fileSettingsBackend(path), DEFAULTS, silentLogger);
    assert.equal(store.get().port, DEFAULTS.port);
    assert.equal(store.get().startHidden, true);
    assert.deepEqual(
      store.loadProblems.map((p) => p.field),
      ['port'],
    );
  });

  it('keeps a file that is not JSON aside and starts from the defaults', (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'settings.json');
    writeFileSync(path, '{"port": 90');
    const store = openSettingsStore(fileSettingsBackend(path), DEFAULTS, silentLogger);
    assert.deepEqual(store.get(), DEFAULTS);
    assert.ok(readdirSync(dir).some((f) => f.startsWith('settings.json.unreadable-')));
  });

  it('saves a valid update atomically (no temp file left) and tells listeners', (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'settings.json');
    const store = openSettingsStore(fileSettingsBackend(path), DEFAULTS, silentLogger);
    const seen: [number, number][] = [];
    store.onChange((next, prev) => seen.push([prev.port, next.port]));
    const result = store.update({ port: 9100 });
    assert.equal(result.ok, true);
    assert.equal(store.get().port, 9100);
    assert.deepEqual((readJson(path) as Settings).port, 9100);
    assert.deepEqual(seen, [[8080, 9100]]);
    assert.deepEqual(readdirSync(dir), ['settings.json']);
    // The same value again is no change.
    store.update({ port: 9100 });
    assert.equal(seen.length, 1);
  });

  it('refuses an invalid update: nothing saved, nobody told', (t) => {
    const path = join(tempDir(t), 'settings.json');
    const store = openSettingsStore(fileSettingsBackend(path), DEFAULTS, silentLogger);
    let told = false;
    store.onChange(() => (told = true));
    const result = store.update({ port: 80 });
    assert.equal(result.ok, false);
    assert.equal(store.get().port, DEFAULTS.port);
    assert.equal((readJson(path) as Settings).port, DEFAULTS.port);
    assert.equal(told, false);
  });

  it('the file backend replaces the file by rename (the old content is never half-written)', (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'settings.json');
    const backend = fileSettingsBackend(path);
    backend.write(DEFAULTS);
    const before = readFileSync(path, 'utf8');
    // A write that fails before the rename leaves the old file as it was.
    const broken = { ...DEFAULTS, port: 1n } as unknown as Settings; // JSON.stringify throws on BigInt
    assert.throws(() => backend.write(broken));
    assert.equal(readFileSync(path, 'utf8'), before);
  });
});

describe('electron-store backend', () => {
  class FakeStore implements ElectronStoreLike {
    static files = new Map<string, string>();
    readonly path: string;
    constructor(path: string) {
      this.path = path;
      const text = FakeStore.files.get(path);
      if (text !== undefined) JSON.parse(text); // conf throws SyntaxError on a broken file
    }
    get store(): Record<string, unknown> {
      return JSON.parse(FakeStore.files.get(this.path) ?? '{}') as Record<string, unknown>;
    }
    set store(value: Record<string, unknown>) {
      FakeStore.files.set(this.path, JSON.stringify(value));
    }
  }

  it('reads and writes the whole object', () => {
    const path = '/fake/settings.json';
    const backend = electronStoreBackend(path, () => new FakeStore(path), silentLogger);
    assert.equal(backend.read(), undefined, 'an empty store is no file');
    const store = openSettingsStore(backend, DEFAULTS, silentLogger);
    store.update({ listen: 'this-pc' });
    assert.deepEqual(JSON.parse(FakeStore.files.get(path)!), { ...DEFAULTS, listen: 'this-pc' });
  });

  it('moves a broken file aside and starts again', (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'settings.json');
    writeFileSync(path, 'not json');
    FakeStore.files.set(path, 'not json');
    let created = 0;
    const backend = electronStoreBackend(
      path,
      () => {
        created++;
        if (!existsSync(path)) FakeStore.files.delete(path);
        return new FakeStore(path);
      },
      silentLogger,
    );
    assert.equal(backend.read(), undefined);
    assert.equal(created, 2);
    assert.ok(readdirSync(dir).some((f) => f.startsWith('settings.json.unreadable-')));
  });
});
