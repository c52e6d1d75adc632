/** Durable file replacement: fsync the new file, rename it over the old one, fsync the folder. */
import { closeSync, fsync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';

function fsyncOpened(path: string, flags: 'r' | 'r+'): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Flushes a file to disk. Opened for writing: Windows flushes only through a handle with write access. */
export function fsyncPath(path: string): void {
  fsyncOpened(path, 'r+');
}

/** Folder fsync makes a rename durable on Linux and macOS; Windows cannot open folders, and does not need it. */
export function fsyncDir(dir: string): void {
  if (process.platform === 'win32') return;
  fsyncOpened(dir, 'r');
}

/**
 * `fsyncDir` with the sync on the thread pool. The folder is opened and closed right here
 * (microseconds each): opening it on the pool too starts the sync later, which was too late for
 * the media folder's flush (media/folder-flush.ts), and closing it there costs the main thread
 * a second completion, while the client it has just answered is working.
 */
export function fsyncDirAsync(dir: string): Promise<void> {
  if (process.platform === 'win32') return Promise.resolve();
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch (err) {
    return Promise.reject(err as Error);
  }
  return new Promise((resolve, reject) => {
    fsync(fd, (syncErr) => {
      try {
        closeSync(fd);
      } catch {
        // a folder opened read-only has nothing to lose on close
      }
      if (syncErr) reject(syncErr);
      else resolve();
    });
  });
}

export function replaceFileAtomically(tempPath: string, finalPath: string): void {
  fsyncPath(tempPath);
  renameSync(tempPath, finalPath);
  fsyncDir(dirname(finalPath));
}

/**
 * Writes `text` as the new contents of `path` durably, all or nothing: a temp file beside it,
 * flushed, renamed over it, the folder flushed. For small files whose readers must never see
 * half of one (accounts, settings). `mode` applies to a new file (e.g. 0o600 for accounts).
 */
export function writeFileAtomically(path: string, text: string, options: { mode?: number; dirMode?: number } = {}): void {
  mkdirSync(dirname(path), { recursive: true, ...(options.dirMode === undefined ? {} : { mode: options.dirMode }) });
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, text, options.mode === undefined ? {} : { mode: options.mode });
    replaceFileAtomically(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * The same durable replacement with `text` as the new contents, done on the thread pool, for
 * bookkeeping written while syncs run: two fsyncs on the main thread stalled whatever request was
 * in flight by milliseconds (tens of them on a busy disk).
 */
export async function writeFileAtomicallyAsync(path: string, text: string): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const file = await open(tmp, 'w');
    try {
      await file.writeFile(text);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDirAsync(dirname(path));
}
