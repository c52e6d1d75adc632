// `npm run backups -- list NAME` and `-- restore NAME BACKUP` on a data folder no server serves,
// and refused, in plain words, while one does.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeUploadableCollection } from '../helpers/collections.ts';
import { backupFileName } from '../../src/server/backups/backup-files.ts';
import { openCollection } from '../../src/server/collection/open.ts';
import { acquireServerLock } from '../../src/server/server-lock.ts';

const cli = fileURLToPath(new URL('../../src/headless/backups-cli.ts', import.meta.url));
const run = (base: string, args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    env: { ...process.env, SYNC_BASE: base, SYNC_USER1: 'anna:annas-password' },
    timeout: 30_000,
  });
const notes = (path: string): number => {
  const db = openCollection(path, { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM notes').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe('backups CLI', () => {
  test('lists a person’s backups with what each holds, restores one (keeping the current cards), and refuses bad input', async () => {
    const base = mkdtempSync(join(tmpdir(), 'hearth-backups-cli-'));
    try {
      const dir = join(base, 'anna');
      mkdirSync(join(dir, 'backups'), { recursive: true });
      makeUploadableCollection(join(dir, 'collection.anki2'), 4, Date.now());
      const id = backupFileName('daily', Date.now() - 86_400_000);
      makeUploadableCollection(join(dir, 'backups', id), 7, Date.now());

      const listed = run(base, ['list', 'anna']);
      assert.equal(listed.status, 0, listed.stderr);
      assert.match(listed.stdout, new RegExp(`^${id}\\t.* UTC, daily \\(7 notes, 7 cards, 0 reviews, `, 'm'));
      assert.match(listed.stdout, /last 7 days/);

      assert.match(run(base, ['list', 'bob']).stderr, /no person called “bob”/);
      const unknown = run(base, ['restore', 'anna', 'collection-daily-2000-01-01T00-00-00-000Z.anki2']);
      assert.equal(unknown.status, 1);
      assert.match(unknown.stderr, /no such backup/);
      assert.equal(notes(join(dir, 'collection.anki2')), 4, 'nothing changed');

      // While a server serves the folder, the files are its: refused.
      const held = acquireServerLock(base);
      assert.ok(held.ok);
      const busy = run(base, ['restore', 'anna', id]);
      held.lock.release();
      assert.equal(busy.status, 1);
      assert.match(busy.stderr, /running on this data folder/);

      const restored = run(base, ['restore', 'anna', id]);
      assert.equal(restored.status, 0, restored.stderr);
      assert.match(restored.stdout, /choose Download/);
      assert.equal(notes(join(dir, 'collection.anki2')), 7);
      assert.match(run(base, ['list', 'anna']).stdout, /before-restore \(4 notes/);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
