// The data folder's lock (src/server/server-lock.ts): one server per folder, stale locks taken over.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireServerLock, lockIsStale, serverLockPath } from '../../src/server/server-lock.ts';
import type { LockDeps } from '../../src/server/server-lock.ts';

function tempBase(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const deps = (pid: number, alive: number[] = [], hostname = 'pc'): LockDeps => ({
  pid,
  hostname,
  now: () => new Date(),
  isAlive: (p) => alive.includes(p),
});

describe('server lock', () => {
  it('is taken with the owner’s pid, refused to a second server while it lives, and released', (t) => {
    const base = tempBase(t);
    const first = acquireServerLock(base, deps(100, [100, 200]));
    assert.equal(first.ok, true);
    assert.deepEqual((JSON.parse(readFileSync(serverLockPath(base), 'utf8')) as { pid: number }).pid, 100);
    const second = acquireServerLock(base, deps(200, [100, 200]));
    assert.equal(second.ok, false);
    assert.equal(!second.ok && second.owner?.pid, 100);
    if (first.ok) first.lock.release();
    assert.equal(existsSync(serverLockPath(base)), false);
    assert.equal(acquireServerLock(base, deps(200, [200])).ok, true);
  });

  it('takes over the lock of a process that died', (t) => {
    const base = tempBase(t);
    assert.equal(acquireServerLock(base, deps(100, [100])).ok, true);
    const taken = acquireServerLock(base, deps(200, [200])); // 100 is gone
    assert.equal(taken.ok, true);
    assert.equal((JSON.parse(readFileSync(serverLockPath(base), 'utf8')) as { pid: number }).pid, 200);
  });

  it('does not delete a lock another process took over', (t) => {
    const base = tempBase(t);
    const first = acquireServerLock(base, deps(100, [100]));
    assert.equal(acquireServerLock(base, deps(200, [200])).ok, true); // judged 100 dead
    if (first.ok) first.lock.release();
    assert.equal(existsSync(serverLockPath(base)), true, 'the new owner keeps its lock');
  });

  it('treats a lock from another computer as live, and an empty one as stale only when old', (t) => {
    assert.equal(lockIsStale({ pid: 1, hostname: 'nas', startedAt: '' }, 0, deps(5)), false);
    assert.equal(lockIsStale({ pid: 5, hostname: 'pc', startedAt: '' }, 0, deps(5)), true, 'our own pid: left by an earlier run');
    assert.equal(lockIsStale(undefined, 1_000, deps(5)), false);
    assert.equal(lockIsStale(undefined, 60_000, deps(5)), true);

    const base = tempBase(t);
    acquireServerLock(base, deps(1, [1])); // makes the folder
    writeFileSync(serverLockPath(base), '');
    assert.equal(acquireServerLock(base, deps(2, [2])).ok, false, 'a half-written lock is respected at first');
    const old = new Date(Date.now() - 60_000);
    utimesSync(serverLockPath(base), old, old);
    assert.equal(acquireServerLock(base, deps(2, [2])).ok, true);
  });
});
