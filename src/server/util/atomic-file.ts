/** Durable file replacement: fsync the new file, rename it over the old one, fsync the folder. */
import { closeSync, fsyncSync, openSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';

export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Folder fsync makes a rename durable on Linux and macOS; Windows cannot open folders, and does not need it. */
export function fsyncDir(dir: string): void {
  if (process.platform === 'win32') return;
  fsyncPath(dir);
}

export function replaceFileAtomically(tempPath: string, finalPath: string): void {
  fsyncPath(tempPath);
  renameSync(tempPath, finalPath);
  fsyncDir(dirname(finalPath));
}
