// The data folder: checking a new one, and moving everything there without ever losing anything
// (src/host/storage.ts), with real temp folders and injected failures.
import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkStorageFolder, createStorageMover, folderSize, nodeMoveFs, systemFolderOf } from '../../src/host/storage.ts';
import type { MoveFs, StorageMoverDeps } from '../../src/host/storage.ts';
import type { ActionResult, StorageMove } from '../../src/shared/api.ts';
import { silentLogger } from '../../src/server/logger.ts';

type T = { after: (fn: () => void) => void };

function temp(t: T, prefix = 'hearth-storage-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A data folder as the server leaves it: accounts, a person with collection and media, the lock. */
function dataFolder(root: string): Record<string, string> {
  const files: Record<string, string> = {
    '.hearth/accounts.json': '{"version":1,"accounts":[]}',
    '.hearth/activity.json': '{"version":1,"users":{}}',
    'alice/collection.anki2': 'SQLite format 3\0' + 'x'.repeat(200_000),
    'alice/media.db': 'media db',
    'alice/media/photo.jpg': 'jpeg'.repeat(5000),
    'alice/media/sound.mp3': 'mp3',
    'alice/backups/collection-1.anki2': 'old',
    'bob/collection.anki2': 'bob',
  };
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  mkdirSync(join(root, 'bob', 'media'), { recursive: true });
  writeFileSync(join(root, '.hearth', 'server.lock'), '{"pid":1}');
  return files;
}

function assertHas(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) assert.equal(readFileSync(join(root, rel), 'utf8'), text, rel);
}

const plenty = async (): Promise<number> => 1e12;

describe('checking a new data folder', () => {
  it('accepts a new folder (made and removed again by the test write) and an empty one', async (t) => {
    const current = temp(t);
    const parent = temp(t);
    const target = join(parent, 'new', 'deeper');
    assert.deepEqual(await checkStorageFolder(target, { current, freeBytes: plenty }), { ok: true });
    assert.deepEqual(readdirSync(parent), [], 'the test write leaves nothing behind');
    mkdirSync(join(parent, 'empty'));
    writeFileSync(join(parent, 'empty', '.DS_Store'), '');
    assert.deepEqual(await checkStorageFolder(join(parent, 'empty'), { current, freeBytes: plenty }), { ok: true });
    assert.deepEqual(readdirSync(join(parent, 'empty')), ['.DS_Store']);
  });

  it('accepts a folder that is already a Hearth or official server data folder', async (t) => {
    const current = temp(t);
    const hearth = temp(t);
    mkdirSync(join(hearth, '.hearth'));
    assert.deepEqual(await checkStorageFolder(hearth, { current, freeBytes: plenty }), { ok: true });
    const official = temp(t);
    mkdirSync(join(official, 'carol'));
    writeFileSync(join(official, 'carol', 'collection.anki2'), 'x');
    assert.deepEqual(await checkStorageFolder(official, { current, freeBytes: plenty }), { ok: true });
  });

  const refused = async (target: string, deps: Parameters<typeof checkStorageFolder>[1], expected: RegExp): Promise<void> => {
    const r = await checkStorageFolder(target, deps);
    assert.equal(r.ok, false, target);
    assert.match(r.ok ? '' : r.problem, expected);
  };

  it('refuses relative paths, the current folder, and folders inside it or around it', async (t) => {
    const current = temp(t);
    await refused('', { current }, /choose a folder/);
    await refused('relative/path', { current }, /full path/);
    await refused(current, { current }, /already the folder/);
    await refused(join(current, 'sub'), { current }, /cannot be inside the current one/);
    await refused(join(current, '..'), { current }, /cannot contain the current one/);
  });

  it('refuses a file, a folder with other files, and a folder Hearth may not write in', async (t) => {
    const current = temp(t);
    const other = temp(t);
    writeFileSync(join(other, 'holiday.jpg'), 'x');
    await refused(join(other, 'holiday.jpg'), { current, freeBytes: plenty }, /is a file, not a folder/);
    await refused(join(other, 'holiday.jpg', 'sub'), { current, freeBytes: plenty }, /is a file, not a folder/);
    await refused(other, { current, freeBytes: plenty }, /already contains other files/);
    if (process.platform === 'linux') {
      // Not writable even for root.
      await refused('/sys/hearth-test-folder', { current, freeBytes: plenty }, /a folder of the system/);
    }
  });

  it('refuses a drive without room for the data (fs.statfs by default)', async (t) => {
    const current = temp(t);
    dataFolder(current);
    const target = join(temp(t), 'new');
    await refused(
      target,
      { current, freeBytes: async () => 1000 },
      /not enough free space for the sync data in .*new: it needs 64 MB, and 1,000 bytes is free\./,
    );
    assert.deepEqual(await checkStorageFolder(target, { current }), { ok: true }, 'the real free space of the temp drive');
  });
});

interface Harness {
  deps: StorageMoverDeps;
  events: string[];
  folder: () => string;
  moves: StorageMove[];
}

function harness(current: string, overrides: Partial<StorageMoverDeps> = {}, startResults: ActionResult[] = []): Harness {
  let folder = current;
  const events: string[] = [];
  const moves: StorageMove[] = [];
  const deps: StorageMoverDeps = {
    currentFolder: () => folder,
    isSyncing: () => false,
    stopServer: async () => void events.push('stop'),
    saveFolder: (f) => {
      events.push(`save:${f === current ? 'old' : 'new'}`);
      folder = f;
    },
    startServer: async () => {
      events.push(`start:${folder === current ? 'old' : 'new'}`);
      return startResults.shift() ?? { ok: true };
    },
    logger: silentLogger,
    freeBytes: plenty,
    onChange: (m) => moves.push(m),
    ...overrides,
  };
  return { deps, events, folder: () => folder, moves };
}

describe('moving the data folder', () => {
  it('copies, verifies, switches, restarts on the new folder, and only then removes the old copy', async (t) => {
    const from = temp(t);
    const files = dataFolder(from);
    const to = join(temp(t), 'Hearth data');
    const h = harness(from);
    const mover = createStorageMover(h.deps);
    assert.deepEqual(await mover.start(to), { ok: true });
    await mover.running();
    const total = Object.values(files).reduce((s, v) => s + Buffer.byteLength(v), 0);
    assert.deepEqual(mover.state(), { state: 'done', from, to, copiedBytes: total, totalBytes: total, problem: null });
    assert.deepEqual(h.events, ['stop', 'save:new', 'start:new']);
    assert.equal(h.folder(), to);
    assertHas(to, files);
    assert.ok(existsSync(join(to, 'bob', 'media')), 'empty folders are moved too');
    assert.equal(existsSync(join(to, '.hearth', 'server.lock')), false, 'the lock belongs to the old folder');
    assert.deepEqual(readdirSync(from), ['.hearth'], 'the old copy is gone; only what belongs to the folder stays');
    assert.deepEqual(readdirSync(join(from, '.hearth')), ['server.lock']);
    // Progress was reported while copying, then verifying.
    const states = [...new Set(h.moves.map((m) => m.state))];
    assert.deepEqual(states, ['copying', 'verifying', 'done']);
    assert.ok(h.moves.some((m) => m.state === 'copying' && m.copiedBytes > 0 && m.copiedBytes < total));
  });

  it('is refused while a device is syncing, and while a move runs', async (t) => {
    const from = temp(t);
    dataFolder(from);
    let syncing = true;
    const h = harness(from, { isSyncing: () => syncing });
    const mover = createStorageMover(h.deps);
    const r = await mover.start(join(temp(t), 'new'));
    assert.match(r.ok ? '' : r.problem, /syncing right now/);
    assert.deepEqual(h.events, [], 'the server was not even stopped');
    syncing = false;
    assert.deepEqual(await mover.start(join(temp(t), 'new')), { ok: true });
    const second = await mover.start(join(temp(t), 'other'));
    assert.match(second.ok ? '' : second.problem, /being moved already/);
    await mover.running();
  });

  it('refuses a bad target before stopping anything', async (t) => {
    const from = temp(t);
    dataFolder(from);
    const h = harness(from);
    const r = await createStorageMover(h.deps).start(join(from, 'inside'));
    assert.equal(r.ok, false);
    assert.deepEqual(h.events, []);
  });

  const failingCopy = (failAt: number, code: string): MoveFs => {
    let n = 0;
    return {
      ...nodeMoveFs,
      async copyFile(src, dst, onBytes) {
        if (++n === failAt) {
          // Half a file arrives, then the target refuses more.
          writeFileSync(dst, 'partial');
          throw Object.assign(new Error(`${code}: injected`), { code });
        }
        return nodeMoveFs.copyFile(src, dst, onBytes);
      },
    };
  };

  it('a target that becomes unwritable midway: the partial copy is removed, everything stays in the old folder', async (t) => {
    const from = temp(t);
    const files = dataFolder(from);
    const parent = temp(t);
    const to = join(parent, 'new');
    const h = harness(from, { fs: failingCopy(4, 'EACCES') });
    const mover = createStorageMover(h.deps);
    assert.deepEqual(await mover.start(to), { ok: true });
    await mover.running();
    const state = mover.state();
    assert.equal(state.state, 'failed');
    assert.match(state.problem ?? '', /not allowed to write there any more\. Nothing was lost: Hearth keeps using /);
    assert.deepEqual(h.events, ['stop', 'start:old'], 'never switched; the server runs on the old folder again');
    assert.equal(h.folder(), from);
    assertHas(from, files);
    assert.deepEqual(readdirSync(parent), [], 'the partial copy (and the folder it made) is gone');
  });

  it('a full drive midway is said plainly', async (t) => {
    const from = temp(t);
    dataFolder(from);
    const h = harness(from, { fs: failingCopy(2, 'ENOSPC') });
    const mover = createStorageMover(h.deps);
    await mover.start(join(temp(t), 'new'));
    await mover.running();
    assert.match(mover.state().problem ?? '', /drive became full/);
  });

  it('a copy that differs from the original fails the verification; nothing is switched', async (t) => {
    const from = temp(t);
    const files = dataFolder(from);
    const parent = temp(t);
    const corrupting: MoveFs = {
      ...nodeMoveFs,
      async copyFile(src, dst, onBytes) {
        const sum = await nodeMoveFs.copyFile(src, dst, onBytes);
        if (src.endsWith('photo.jpg')) writeFileSync(dst, 'JPEG'.repeat(5000)); // same size, other bytes
        return sum;
      },
    };
    const h = harness(from, { fs: corrupting });
    const mover = createStorageMover(h.deps);
    await mover.start(join(parent, 'new'));
    await mover.running();
    assert.equal(mover.state().state, 'failed');
    assert.match(mover.state().problem ?? '', /photo\.jpg in the new folder is not the same as the original/);
    assert.deepEqual(h.events, ['stop', 'start:old']);
    assertHas(from, files);
    assert.deepEqual(readdirSync(parent), []);
  });

  it('if the server cannot start on the new folder, it goes back to the old one, which still has everything', async (t) => {
    const from = temp(t);
    const files = dataFolder(from);
    const parent = temp(t);
    const h = harness(from, {}, [{ ok: false, problem: 'Another copy of Hearth is already using this sync folder.' }]);
    const mover = createStorageMover(h.deps);
    await mover.start(join(parent, 'new'));
    await mover.running();
    assert.equal(mover.state().state, 'failed');
    assert.match(mover.state().problem ?? '', /could not start with the new folder: Another copy of Hearth/);
    assert.deepEqual(h.events, ['stop', 'save:new', 'start:new', 'save:old', 'start:old']);
    assert.equal(h.folder(), from);
    assertHas(from, files);
    assert.deepEqual(readdirSync(parent), []);
  });

  it('never overwrites a file already in the target (an existing data folder)', async (t) => {
    const from = temp(t);
    const files = dataFolder(from);
    const to = temp(t);
    mkdirSync(join(to, '.hearth'));
    writeFileSync(join(to, '.hearth', 'accounts.json'), 'theirs');
    const h = harness(from);
    const mover = createStorageMover(h.deps);
    await mover.start(to);
    await mover.running();
    assert.equal(mover.state().state, 'failed');
    assert.match(mover.state().problem ?? '', /already has \.hearth\/accounts\.json/);
    assert.equal(readFileSync(join(to, '.hearth', 'accounts.json'), 'utf8'), 'theirs');
    assert.deepEqual(readdirSync(to), ['.hearth'], 'nothing of ours was left there');
    assertHas(from, files);
  });

  it('moves into an existing data folder that has no clashing files', async (t) => {
    const from = temp(t);
    rmSync(from, { recursive: true });
    mkdirSync(join(from, 'alice'), { recursive: true });
    writeFileSync(join(from, 'alice', 'collection.anki2'), 'alice');
    const to = temp(t);
    mkdirSync(join(to, 'carol'));
    writeFileSync(join(to, 'carol', 'collection.anki2'), 'carol');
    const h = harness(from);
    const mover = createStorageMover(h.deps);
    await mover.start(to);
    await mover.running();
    assert.equal(mover.state().state, 'done');
    assert.equal(readFileSync(join(to, 'alice', 'collection.anki2'), 'utf8'), 'alice');
    assert.equal(readFileSync(join(to, 'carol', 'collection.anki2'), 'utf8'), 'carol');
    assert.equal(existsSync(from), false, 'the old folder is removed when nothing else is in it');
  });

  it('counts the data to move', async (t) => {
    const from = temp(t);
    const files = dataFolder(from);
    assert.equal(
      await folderSize(from),
      Object.values(files).reduce((s, v) => s + Buffer.byteLength(v), 0),
    );
    assert.equal(await folderSize(join(from, 'missing')), 0);
  });
});

test('a folder of the system is refused at once, in plain words, before anything is tried there', async () => {
  for (const target of ['/proc/hearth', '/sys/Hearth', '/dev/shm/x', '/etc/hearth']) {
    const r = await checkStorageFolder(target, { current: '/home/anna/.syncserver' });
    assert.equal(r.ok, false, target);
    assert.match(r.ok ? '' : r.problem, /a folder of the system/, target);
  }
  assert.equal(systemFolderOf('C:\\Windows\\Temp\\x', 'win32') !== undefined, true);
  assert.equal(systemFolderOf('D:\\Anki Sync', 'win32'), undefined);
  assert.equal(systemFolderOf('/run/media/anna/USB/Hearth', 'linux'), undefined, 'USB drives are mounted there on some systems');
  assert.equal(systemFolderOf('/Volumes/USB/Hearth', 'darwin'), undefined);
});

test('a folder check that does not answer is stopped after its time limit, with plain words', async () => {
  const started = Date.now();
  const r = await checkStorageFolder(join(tmpdir(), 'hearth-slow-drive', 'Hearth'), {
    current: '/home/anna/.syncserver',
    timeoutMs: 200,
    // A drive that never answers how much room it has.
    freeBytes: () => new Promise(() => {}),
  });
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.problem, /did not answer within/);
  assert.ok(Date.now() - started < 5_000);
});
