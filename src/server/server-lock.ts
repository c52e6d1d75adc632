/**
 * One server per data folder: `<base>/.hearth/server.lock`, created with O_EXCL, holds the
 * owner's pid and host name. Two servers on one folder would each keep their own view of the
 * collections and overwrite each other's changes, so a second one must refuse to start.
 *
 * A lock left by a process that has died (a crash, a power cut) is stale and taken over. A lock
 * from another computer (a folder on a network drive) cannot be checked, so it counts as live.
 * A reused pid can make a stale lock look live; the person then sees "folder in use" and can
 * delete the file, which is named in the message.
 */
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync, constants as fsConstants } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';

export interface LockOwner {
  readonly pid: number;
  readonly hostname: string;
  readonly startedAt: string;
}

export interface ServerLock {
  readonly path: string;
  /** Removes the lock file if it is still ours. Safe to call twice. */
  release(): void;
}

export type LockResult =
  | { readonly ok: true; readonly lock: ServerLock }
  | { readonly ok: false; readonly code: 'folder-in-use'; readonly owner: LockOwner | undefined; readonly path: string };

export interface LockDeps {
  readonly pid: number;
  readonly hostname: string;
  readonly now: () => Date;
  /** Whether a process with this pid exists on this machine. */
  readonly isAlive: (pid: number) => boolean;
}

/** A lock file still empty this long after it was made belongs to a process that died while writing it. */
const EMPTY_LOCK_GRACE_MS = 10_000;

export function serverLockPath(base: string): string {
  return join(base, '.hearth', 'server.lock');
}

/** `kill(pid, 0)` checks existence without signalling; EPERM means it exists but belongs to someone else. */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const defaultDeps: LockDeps = { pid: process.pid, hostname: osHostname(), now: () => new Date(), isAlive: processIsAlive };

function readOwner(path: string): LockOwner | undefined {
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    if (typeof data.pid === 'number' && Number.isInteger(data.pid) && data.pid > 0 && typeof data.hostname === 'string') {
      return { pid: data.pid, hostname: data.hostname, startedAt: typeof data.startedAt === 'string' ? data.startedAt : '' };
    }
  } catch {
    // Unreadable or half-written: judged by its age below.
  }
  return undefined;
}

/** Whether an existing lock file may be taken over. */
export function lockIsStale(
  owner: LockOwner | undefined,
  fileAgeMs: number,
  deps: Pick<LockDeps, 'pid' | 'hostname' | 'isAlive'>,
): boolean {
  if (owner === undefined) return fileAgeMs > EMPTY_LOCK_GRACE_MS;
  if (owner.hostname !== deps.hostname) return false;
  // Our own pid in an old file: this process cannot have made it (we have not locked yet).
  if (owner.pid === deps.pid) return true;
  return !deps.isAlive(owner.pid);
}

/**
 * Takes the folder's lock. Throws only for file-system errors (e.g. EACCES on a read-only
 * folder), which the caller maps to "folder not writable".
 */
export function acquireServerLock(base: string, deps: LockDeps = defaultDeps): LockResult {
  const path = serverLockPath(base);
  mkdirSync(join(base, '.hearth'), { recursive: true });
  const me: LockOwner = { pid: deps.pid, hostname: deps.hostname, startedAt: deps.now().toISOString() };
  // Two tries: the second after removing a stale lock. If another process removed it and
  // locked first, our second O_EXCL fails and we report that process as the owner.
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = readOwner(path);
      let ageMs = 0;
      try {
        ageMs = deps.now().getTime() - statSync(path).mtimeMs;
      } catch {
        continue; // removed in the meantime: try again
      }
      if (attempt === 0 && lockIsStale(owner, ageMs, deps)) {
        try {
          unlinkSync(path);
        } catch (unlinkErr) {
          if ((unlinkErr as NodeJS.ErrnoException).code !== 'ENOENT') throw unlinkErr;
        }
        continue;
      }
      return { ok: false, code: 'folder-in-use', owner, path };
    }
    try {
      writeSync(fd, JSON.stringify(me) + '\n');
    } finally {
      closeSync(fd);
    }
    let released = false;
    return {
      ok: true,
      lock: {
        path,
        release() {
          if (released) return;
          released = true;
          const owner = readOwner(path);
          // Never delete a lock another process took over after ours was judged stale.
          if (owner && (owner.pid !== me.pid || owner.hostname !== me.hostname || owner.startedAt !== me.startedAt)) return;
          try {
            unlinkSync(path);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          }
        },
      },
    };
  }
  return { ok: false, code: 'folder-in-use', owner: readOwner(path), path };
}
