// Settings schema, validation sentences, patches and versioned migrations (src/shared/settings.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  SETTINGS_MIGRATIONS,
  SETTINGS_VERSION,
  applySettingsPatch,
  defaultSettings,
  isAbsoluteFolder,
  migrateSettings,
  settingsFromStored,
  validateSettings,
} from '../../src/shared/settings.ts';

const DEFAULTS = defaultSettings('/home/anna/.syncserver');

describe('settings validation', () => {
  it('accepts the defaults', () => {
    assert.deepEqual(validateSettings(DEFAULTS), { ok: true, settings: DEFAULTS });
  });

  it('reports every bad field with a sentence a person can act on', () => {
    const result = validateSettings({ ...DEFAULTS, port: 80, storageFolder: 'relative/folder', listen: 'everywhere', startHidden: 'yes' });
    assert.equal(result.ok, false);
    const problems = result.ok ? [] : result.problems;
    assert.deepEqual(
      problems.map((p) => p.field),
      ['port', 'storageFolder', 'listen', 'startHidden'],
    );
    assert.match(problems[0]!.message, /whole number from 1024 to 65535/);
    assert.match(problems[1]!.message, /full path/);
    for (const p of problems) assert.match(p.message, /^[A-Z“].*\.$/, 'a sentence');
  });

  it('rejects ports that are not whole numbers in range', () => {
    for (const port of [0, 1023, 65536, 8080.5, '8080', Number.NaN]) {
      assert.equal(validateSettings({ ...DEFAULTS, port }).ok, false, String(port));
    }
    for (const port of [1024, 8080, 65535]) assert.equal(validateSettings({ ...DEFAULTS, port }).ok, true);
  });

  it('knows absolute folders on Windows, macOS and Linux', () => {
    for (const p of ['/home/anna/Hearth', 'C:\\Users\\Anna\\Hearth', 'd:/Anki', '\\\\nas\\anki'])
      assert.equal(isAbsoluteFolder(p), true, p);
    for (const p of ['Hearth', './data', 'C:data', '']) assert.equal(isAbsoluteFolder(p), false, p);
  });

  it('rejects something that is not an object', () => {
    for (const v of [null, 'x', [], 3]) assert.equal(validateSettings(v).ok, false);
  });
});

describe('settings patches', () => {
  it('applies a valid change and validates the whole result', () => {
    const r = applySettingsPatch(DEFAULTS, { port: 9000, listen: 'this-pc' });
    assert.deepEqual(r, { ok: true, settings: { ...DEFAULTS, port: 9000, listen: 'this-pc' } });
  });

  it('refuses unknown keys and the version', () => {
    const r = applySettingsPatch(DEFAULTS, { port: 9000, version: 7 });
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.problems[0]!.message, /Unknown setting: version/);
  });

  it('refuses an invalid value without changing anything', () => {
    const r = applySettingsPatch(DEFAULTS, { port: 22 });
    assert.equal(r.ok, false);
  });
});

describe('settings migrations', () => {
  it('has one step per version', () => {
    assert.equal(SETTINGS_MIGRATIONS.length, SETTINGS_VERSION);
  });

  it('migrates a version-0 file (no version key) to the current version', () => {
    const v0 = { port: 9000, storageFolder: '/srv/anki', listen: 'lan', startAtLogin: false, startHidden: true, serverEnabled: true };
    const m = migrateSettings(v0);
    assert.deepEqual(m, { ok: true, data: { ...v0, version: 2, firstRunDone: true }, fromVersion: 0 });
    const loaded = settingsFromStored(v0, DEFAULTS);
    assert.deepEqual(loaded.settings, { ...v0, version: 2, firstRunDone: true });
    assert.equal(loaded.fromVersion, 0);
    assert.equal(loaded.rewrite, true, 'a migrated file is written back');
  });

  it('migrates a version-1 file: whoever had settings already set Hearth up, so no first-run guide', () => {
    const v1 = {
      version: 1,
      port: 9000,
      storageFolder: '/srv/anki',
      listen: 'lan',
      startAtLogin: true,
      startHidden: false,
      serverEnabled: true,
    };
    assert.deepEqual(migrateSettings(v1), { ok: true, data: { ...v1, version: 2, firstRunDone: true }, fromVersion: 1 });
    const loaded = settingsFromStored(v1, DEFAULTS);
    assert.deepEqual(loaded.settings, { ...v1, version: 2, firstRunDone: true });
    assert.equal(loaded.rewrite, true);
  });

  it('a new install starts with the first-run guide', () => {
    assert.equal(DEFAULTS.firstRunDone, false);
    assert.equal(settingsFromStored(undefined, DEFAULTS).settings.firstRunDone, false);
  });

  it('leaves a current file alone', () => {
    const loaded = settingsFromStored({ ...DEFAULTS, port: 9001 }, DEFAULTS);
    assert.deepEqual(loaded, { settings: { ...DEFAULTS, port: 9001 }, problems: [], fromVersion: 2, rewrite: false });
  });

  it('keeps the good fields of a damaged file and reports the bad ones', () => {
    const loaded = settingsFromStored({ version: 1, port: 'eighty', storageFolder: '/srv/anki', listen: 'lan', extra: true }, DEFAULTS);
    assert.equal(loaded.settings.port, DEFAULTS.port);
    assert.equal(loaded.settings.storageFolder, '/srv/anki');
    assert.equal(loaded.settings.startAtLogin, DEFAULTS.startAtLogin, 'missing fields get defaults');
    assert.deepEqual(
      loaded.problems.map((p) => p.field),
      ['port'],
    );
    assert.equal('extra' in loaded.settings, false);
    assert.equal(loaded.rewrite, true);
  });

  it('uses the defaults when there is no file', () => {
    assert.deepEqual(settingsFromStored(undefined, DEFAULTS), { settings: DEFAULTS, problems: [], fromVersion: null, rewrite: true });
  });

  it('reads what it understands of a newer file, and does not overwrite it', () => {
    const loaded = settingsFromStored({ ...DEFAULTS, version: 99, port: 9002, futureThing: 1 }, DEFAULTS);
    assert.equal(loaded.settings.port, 9002);
    assert.equal(loaded.settings.version, SETTINGS_VERSION);
    assert.equal(loaded.rewrite, false);
    assert.deepEqual(migrateSettings({ version: 99 }), { ok: false, reason: 'newer-version', fromVersion: 99 });
  });

  it('refuses nonsense versions', () => {
    assert.deepEqual(migrateSettings({ version: -1 }), { ok: false, reason: 'bad-version' });
    assert.deepEqual(migrateSettings({ version: '1' }), { ok: false, reason: 'bad-version' });
    assert.deepEqual(migrateSettings([]), { ok: false, reason: 'not-an-object' });
  });
});
