// Backups of each person's collection (src/server/backups/): the keep rule, the daily backup after
// the day's first sync, a disk nearly full, and a restore that every device must then download.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { send, syncHeader } from '../helpers/sync-client.ts';
import { startTestServer } from '../helpers/test-server.ts';
import { makeUploadableCollection } from '../helpers/collections.ts';
import { openCollection } from '../../src/server/collection/open.ts';
import { backupFileName, backupsToRemove, listBackupFiles, parseBackupName } from '../../src/server/backups/backup-files.ts';
import type { BackupFile } from '../../src/server/backups/backup-files.ts';
import { LOW_SPACE_BYTES, takeDailyBackup } from '../../src/server/backups/take-backup.ts';
import { UserState } from '../../src/server/user/user-state.ts';
import { createCollection } from '../../src/server/collection/create.ts';
import { restoreBackupOffline } from '../../src/server/backups/backup-summaries.ts';

const DAY = 24 * 3_600_000;
const EMPTY_CHANGES = { changes: { models: [], decks: [[], []], tags: [] } };

/** A clock the test moves. */
function movableClock(start: number) {
  let now = start;
  return { nowMs: () => now, set: (ms: number) => void (now = ms) };
}

const notesIn = (path: string): number => {
  const db = openCollection(path, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM notes').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe('the keep rule', () => {
  const at = (reason: BackupFile['reason'], ms: number): BackupFile => ({ id: backupFileName(reason, ms), reason, takenAtMs: ms });

  test('names round-trip, and no other file name is taken for a backup', () => {
    const b = at('daily', Date.UTC(2026, 11, 7, 9, 30, 15, 123));
    assert.deepEqual(parseBackupName(b.id), b);
    for (const name of ['collection.anki2', 'collection-daily-x.anki2', '../collection-daily-2026-12-07T09-30-15-123Z.anki2']) {
      assert.equal(parseBackupName(name), undefined, name);
    }
  });

  test('keeps the last 7 days, one a week for the 4 weeks before, and the last 3 before an upload or a restore', () => {
    const noon = new Date(2026, 11, 31, 12).getTime();
    const daily = Array.from({ length: 60 }, (_, i) => at('daily', noon - i * DAY));
    const secondSameDay = at('daily', noon - 30 * 60_000);
    const uploads = Array.from({ length: 5 }, (_, i) => at('before-upload', noon - i * 3_600_000));
    const restores = Array.from({ length: 4 }, (_, i) => at('before-restore', noon - i * DAY));
    const all = [...daily, secondSameDay, ...uploads, ...restores];
    const removed = new Set(backupsToRemove(all).map((b) => b.id));
    const kept = all.filter((b) => !removed.has(b.id));
    assert.equal(kept.filter((b) => b.reason === 'before-upload').length, 3);
    assert.equal(kept.filter((b) => b.reason === 'before-restore').length, 3);
    const keptDaily = kept.filter((b) => b.reason === 'daily').sort((a, b) => b.takenAtMs - a.takenAtMs);
    assert.deepEqual(
      keptDaily.slice(0, 7).map((b) => b.id),
      daily.slice(0, 7).map((b) => b.id),
      'the newest of each of the last 7 days',
    );
    assert.ok(removed.has(secondSameDay.id), 'an older copy of a day already kept goes');
    assert.equal(keptDaily.length, 7 + 4, 'and 4 weekly ones');
    for (let i = 7; i < keptDaily.length - 1; i++) {
      assert.ok(keptDaily[i]!.takenAtMs - keptDaily[i + 1]!.takenAtMs >= 6 * DAY, 'a week apart');
    }
  });
});

describe('daily backups and restores (HTTP level)', () => {
  test('the first sync of a day that changed something leaves one backup that day; the next day another', async (t) => {
    const clock = movableClock(new Date(2026, 11, 7, 10).getTime());
    const srv = await startTestServer({ clock });
    t.after(() => srv.stop());
    const work = mkdtempSync(join(tmpdir(), 'hearth-backups-'));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const made = join(work, 'c.anki2');
    makeUploadableCollection(made, 5, clock.nowMs() - 3_600_000);
    const call = (method: string, body: unknown) => send(srv.endpoint, `/sync/${method}`, { header: syncHeader(srv.hkey(), 's1'), body });
    assert.equal((await call('upload', readFileSync(made))).text(), 'OK');
    const backupsDir = join(srv.base, 'user', 'backups');
    const normalSync = async (): Promise<void> => {
      const meta = (await call('meta', { v: 11, cv: 'x' })).json() as { usn: number };
      assert.equal((await call('start', { minUsn: meta.usn, lnewer: false })).status, 200);
      assert.equal((await call('applyChanges', EMPTY_CHANGES)).status, 200);
      assert.equal((await call('chunk', {})).status, 200);
      assert.equal((await call('applyChunk', { chunk: { done: true } })).status, 200);
      const counts = (await call('sanityCheck2', { client: [[0, 0, 0], 0, 0, 0, 0, 0, 0, 0] })).json() as { s: unknown[] };
      await call('abort', {});
      // Again with the server's counts, so the sync finishes.
      await call('start', { minUsn: meta.usn, lnewer: false });
      await call('applyChanges', EMPTY_CHANGES);
      await call('chunk', {});
      await call('applyChunk', { chunk: { done: true } });
      await call('sanityCheck2', { client: counts.s });
      assert.equal((await call('finish', {})).status, 200);
    };
    const waitForBackups = async (n: number): Promise<string[]> => {
      for (let i = 0; i < 100; i++) {
        const daily = readdirSync(backupsDir).filter((f) => f.startsWith('collection-daily-'));
        if (daily.length >= n) return daily;
        await new Promise((r) => setTimeout(r, 20));
      }
      return readdirSync(backupsDir).filter((f) => f.startsWith('collection-daily-'));
    };
    // The upload itself is the day's first change: its backup is of the new collection.
    const first = await waitForBackups(1);
    assert.equal(first.length, 1);
    assert.equal(notesIn(join(backupsDir, first[0]!)), 5);
    await normalSync();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await waitForBackups(1)).length, 1, 'no second backup the same day');
    clock.set(clock.nowMs() + DAY);
    await normalSync();
    assert.equal((await waitForBackups(2)).length, 2, 'the next day, another');
  });

  test('an upload keeps the collection it replaces, and the keep rule removes the oldest beyond the last 3', async (t) => {
    const srv = await startTestServer({});
    t.after(() => srv.stop());
    const work = mkdtempSync(join(tmpdir(), 'hearth-backups-'));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const backupsDir = join(srv.base, 'user', 'backups');
    mkdirSync(backupsDir, { recursive: true });
    // Four kept from earlier uploads, a week old and older.
    for (let i = 0; i < 4; i++)
      makeUploadableCollection(join(backupsDir, backupFileName('before-upload', Date.now() - (7 + i) * DAY)), 1, 0);
    const upload = (path: string) => send(srv.endpoint, '/sync/upload', { header: syncHeader(srv.hkey()), body: readFileSync(path) });
    const first = join(work, 'first.anki2');
    makeUploadableCollection(first, 3, Date.now() - 3_600_000);
    assert.equal((await upload(first)).text(), 'OK');
    const second = join(work, 'second.anki2');
    makeUploadableCollection(second, 6, Date.now() - 1_800_000);
    assert.equal((await upload(second)).text(), 'OK');
    const kept = listBackupFiles(backupsDir).filter((b) => b.reason === 'before-upload');
    assert.equal(kept.length, 3, kept.map((b) => b.id).join(', '));
    assert.equal(notesIn(join(backupsDir, kept[0]!.id)), 3, 'the newest is the collection the second upload replaced');
    assert.ok(kept[2]!.takenAtMs > Date.now() - 8.5 * DAY, 'the two oldest (9 and 10 days) are gone');
  });

  test('a backup that would leave the disk nearly full is not taken, and says why', () => {
    const base = mkdtempSync(join(tmpdir(), 'hearth-backups-'));
    try {
      const user = new UserState(base, 'anna', { nowMs: () => 0 }, createCollection);
      user.prepareFolder();
      makeUploadableCollection(user.paths.collection, 3, 0);
      const outcome = takeDailyBackup(user, Date.now(), { freeBytes: () => LOW_SPACE_BYTES });
      assert.equal('skipped' in outcome && outcome.skipped, 'low-space');
      assert.equal(existsSync(user.paths.backups) ? readdirSync(user.paths.backups).length : 0, 0);
      const taken = takeDailyBackup(user, Date.now(), { freeBytes: () => 100 * LOW_SPACE_BYTES });
      assert.ok('taken' in taken);
      user.close();
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  test('a restore puts the backup back, keeps the current collection first, and makes every device full-sync (new scm)', async (t) => {
    const srv = await startTestServer({});
    t.after(() => srv.stop());
    const work = mkdtempSync(join(tmpdir(), 'hearth-restore-'));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const call = (method: string, body: unknown) => send(srv.endpoint, `/sync/${method}`, { header: syncHeader(srv.hkey(), 's1'), body });
    const five = join(work, 'five.anki2');
    const nine = join(work, 'nine.anki2');
    makeUploadableCollection(five, 5, Date.now() - 7_200_000);
    makeUploadableCollection(nine, 9, Date.now() - 3_600_000);
    assert.equal((await call('upload', readFileSync(five))).text(), 'OK');
    assert.equal((await call('upload', readFileSync(nine))).text(), 'OK');
    const backupsDir = join(srv.base, 'user', 'backups');
    const beforeUpload = listBackupFiles(backupsDir).find((b) => b.reason === 'before-upload');
    assert.ok(beforeUpload, 'the five-note collection was kept when nine replaced it');
    const scmBefore = ((await call('meta', { v: 11, cv: 'x' })).json() as { scm: number }).scm;

    // Refused: unknown backup, a name outside the folder, a sync in progress. Nothing changes.
    for (const id of ['collection-daily-2000-01-01T00-00-00-000Z.anki2', '../../etc/passwd']) {
      const r = await srv.server.restoreBackup('user', id);
      assert.equal(r.ok, false, id);
    }
    assert.equal((await call('start', { minUsn: 0, lnewer: false })).status, 200);
    const during = await srv.server.restoreBackup('user', beforeUpload.id);
    assert.match(during.ok ? '' : during.problem, /syncing right now/);
    await call('abort', {});
    await new Promise((r) => setTimeout(r, 5_100)); // the sync counts as finished after a quiet moment

    const restored = await srv.server.restoreBackup('user', beforeUpload.id);
    assert.deepEqual(restored.ok, true);
    const meta = (await call('meta', { v: 11, cv: 'x' })).json() as { scm: number };
    assert.notEqual(meta.scm, scmBefore, 'a new schema time: every device must full-sync');
    const download = await send(srv.endpoint, '/sync/download', { header: syncHeader(srv.hkey()), body: {} });
    const got = join(work, 'got.anki2');
    writeFileSync(got, download.body);
    assert.equal(notesIn(got), 5, 'the device that downloads gets the backup');
    assert.ok(
      listBackupFiles(backupsDir).some((b) => b.reason === 'before-restore'),
      'the nine-note collection was kept before it was replaced',
    );
  });

  test('a damaged backup is refused and nothing changes; with no server running, a restore works on the files', async () => {
    const base = mkdtempSync(join(tmpdir(), 'hearth-restore-offline-'));
    try {
      const user = new UserState(base, 'anna', { nowMs: () => 0 }, createCollection);
      user.prepareFolder();
      makeUploadableCollection(user.paths.collection, 4, 0);
      user.close();
      mkdirSync(user.paths.backups, { recursive: true });
      const damaged = backupFileName('daily', Date.now() - DAY);
      writeFileSync(join(user.paths.backups, damaged), Buffer.alloc(8192, 3));
      const good = backupFileName('daily', Date.now() - 2 * DAY);
      makeUploadableCollection(join(user.paths.backups, good), 2, 0);
      const clock = { nowMs: () => Date.now() };
      const refused = await restoreBackupOffline(base, 'anna', damaged, clock);
      assert.match(refused.ok ? '' : refused.problem, /damaged/);
      assert.equal(notesIn(user.paths.collection), 4, 'nothing changed');
      const restored = await restoreBackupOffline(base, 'anna', good, clock);
      assert.equal(restored.ok, true);
      assert.equal(notesIn(user.paths.collection), 2);
      const kept = listBackupFiles(user.paths.backups).find((b) => b.reason === 'before-restore');
      assert.ok(kept && notesIn(join(user.paths.backups, kept.id)) === 4, 'the four-note collection was kept');
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
