// Folder syncs (src/server/util/atomic-file.ts): the one on the thread pool settles, reports a
// folder that is not there, and gives back every descriptor it opens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsyncDirAsync } from '../../src/server/util/atomic-file.ts';

const openDescriptors = (): number => readdirSync('/proc/self/fd').length;

test(
  'fsyncDirAsync syncs a folder and closes what it opened, however often it runs',
  { skip: process.platform !== 'linux' && 'counts descriptors in /proc' },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-fsync-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    await fsyncDirAsync(dir);
    const before = openDescriptors();
    await Promise.all(Array.from({ length: 50 }, () => fsyncDirAsync(dir)));
    assert.equal(openDescriptors(), before, 'no descriptor left open');
  },
);

test(
  'fsyncDirAsync rejects for a folder that does not exist, without throwing synchronously',
  { skip: process.platform === 'win32' && 'Windows has no folder sync' },
  async () => {
    const missing = join(tmpdir(), `hearth-missing-${process.pid}-${Date.now()}`);
    const p = fsyncDirAsync(missing);
    await assert.rejects(p, (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
  },
);
