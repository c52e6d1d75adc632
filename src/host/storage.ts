/**
 * The data folder: whether a folder can become it (checkStorageFolder), and moving all the data
 * there (createStorageMover). Shared by the desktop app and the headless admin.
 *
 * A move never loses anything: the server is stopped gracefully, every file is copied (new files
 * only, nothing at the target is overwritten), then each copy is verified (size and SHA-256
 * against the original), only then is the new folder saved in the settings and the server
 * started there, and only once it runs is the old copy removed. If anything fails before that,
 * the partial copy is removed, the settings keep the old folder, and the server is started on
 * it again; the window shows the reason in one sentence.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, open, readdir, rm, rmdir, stat, statfs, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ActionResult, StorageMove } from '../shared/api.ts';
import { settingProblem } from '../shared/settings.ts';
import { formatBytes } from '../shared/format-bytes.ts';
import { canBeFileHere, caseFoldKey } from '../server/index.ts';
import type { Logger } from '../server/index.ts';

/** Files an operating system drops into folders; they neither make a folder "not empty" nor get copied. */
const JUNK = new Set([
  '.DS_Store',
  'Thumbs.db',
  'desktop.ini',
  '$RECYCLE.BIN',
  'System Volume Information',
  'lost+found',
  '.Trashes',
  '.Spotlight-V100',
  '.fseventsd',
]);

/** Belong to the folder, not to the data: never copied, never removed (the lock; the headless settings that say where the data is). */
export const NOT_MOVED = ['.hearth/server.lock', '.hearth/headless-settings.json'];

/** Room left over after the copy, so the disk is not full the moment the server starts. */
export const FREE_SPACE_MARGIN_BYTES = 64 * 1024 * 1024;

export const IDLE_STORAGE_MOVE: StorageMove = { state: 'idle', from: null, to: null, copiedBytes: 0, totalBytes: 0, problem: null };

const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);
const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;
const why = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** A reason a person can act on; anything else thrown is unexpected (and logged). */
class MoveProblem extends Error {}

/** Whether `inner` is `outer` or inside it. */
function isWithin(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel));
}

const toRel = (p: string): string => p.split(sep).join('/');

interface FileEntry {
  readonly rel: string;
  readonly size: number;
}

/** Every file and folder under root (relative paths); a link is refused, it cannot be moved faithfully. */
async function walk(root: string): Promise<{ files: FileEntry[]; dirs: string[] }> {
  const files: FileEntry[] = [];
  const dirs: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const rel = toRel(relative(root, full));
      if (JUNK.has(entry.name) || NOT_MOVED.includes(rel)) continue;
      if (entry.isSymbolicLink())
        throw new MoveProblem(`The data folder contains a link (${rel}), which Hearth cannot move. Remove it, then try again.`);
      if (entry.isDirectory()) {
        dirs.push(rel);
        await visit(full);
      } else if (entry.isFile()) {
        files.push({ rel, size: (await lstat(full)).size });
      } else {
        throw new MoveProblem(`The data folder contains something that is not a file (${rel}). Remove it, then try again.`);
      }
    }
  };
  await visit(root);
  return { files, dirs };
}

/**
 * Names a data folder from another system can hold and the new folder cannot: on Windows a name
 * Windows cannot store (`aux.mp3`); and two files whose paths differ only in letter case
 * (`Photo.jpg`, `photo.jpg`: a case-sensitive disk, Linux's, keeps both), which would become one
 * file on a disk that does not tell case apart (Windows', and macOS's by default). The move is
 * refused before anything is copied, with the names, rather than losing a file.
 */
async function refuseNamesTheNewFolderCannotHold(files: readonly FileEntry[], to: string): Promise<void> {
  // On Windows a name it cannot store (`aux.mp3`, from a Linux server) would open a device.
  const unstorable = files.find((f) => !canBeFileHere(f.rel.split('/').pop()!));
  if (unstorable) {
    throw new MoveProblem(
      `The sync data has a file whose name Windows cannot store (${unstorable.rel}). Nothing was moved. ` +
        'In Anki, on the device that added it, use Tools › Check Media and sync; then try again.',
    );
  }
  const byKey = new Map<string, string>();
  let twins: [string, string] | undefined;
  for (const f of files) {
    const key = caseFoldKey(f.rel);
    const other = byKey.get(key);
    if (other !== undefined) {
      twins = [other, f.rel];
      break;
    }
    byKey.set(key, f.rel);
  }
  if (!twins || !(await ignoresCase(to))) return;
  throw new MoveProblem(
    `Two files in the sync data differ only in capital letters (${twins[0]} and ${twins[1]}), and the new folder cannot keep both. ` +
      'Nothing was moved. In Anki, on the device that added them, use Tools › Check Media and sync; then try again.',
  );
}

/**
 * Whether the disk of `target` (or of its nearest existing folder, which the folder check has
 * already found to be a folder) treats `A` and `a` as one name.
 */
async function ignoresCase(target: string): Promise<boolean> {
  const dir = await nearestExisting(target);
  const name = `.hearth-case-probe-${randomBytes(4).toString('hex')}`;
  const probe = join(dir, name);
  await writeFile(probe, '', { flag: 'wx' });
  try {
    return await lstat(join(dir, name.toUpperCase())).then(
      () => true,
      () => false,
    );
  } finally {
    await unlink(probe).catch(() => {});
  }
}

/** Total size of the files a move would copy. */
export async function folderSize(root: string): Promise<number> {
  try {
    const { files } = await walk(root);
    return files.reduce((sum, f) => sum + f.size, 0);
  } catch (err) {
    if (errno(err) === 'ENOENT') return 0;
    throw err;
  }
}

async function nearestExisting(path: string): Promise<string> {
  let p = path;
  for (;;) {
    try {
      await stat(p);
      return p;
    } catch (err) {
      const parent = dirname(p);
      if ((errno(err) !== 'ENOENT' && errno(err) !== 'ENOTDIR') || parent === p) throw err;
      p = parent;
    }
  }
}

/** Whether the folder holds a Hearth or official server's data: `.hearth/`, or a person's folder with a collection. */
async function isDataFolder(path: string, names: readonly string[]): Promise<boolean> {
  if (names.includes('.hearth')) return true;
  for (const name of names) {
    try {
      if ((await stat(join(path, name, 'collection.anki2'))).isFile()) return true;
    } catch {
      // not a person's folder
    }
  }
  return false;
}

export interface StorageCheckDeps {
  /** The folder in use now. */
  readonly current: string;
  /** Bytes the data needs (default: the size of the current folder). */
  readonly requiredBytes?: number;
  /** Free bytes at a path (default: fs.statfs). */
  readonly freeBytes?: (path: string) => Promise<number>;
  /** Longest the check may take (default FOLDER_CHECK_TIMEOUT_MS). */
  readonly timeoutMs?: number;
}

async function systemFreeBytes(path: string): Promise<number> {
  const s = await statfs(path);
  return s.bavail * s.bsize;
}

/**
 * Can `target` become the data folder? It must be a full path, exist or be creatable, be
 * writable (a real test write), be empty or already a Hearth/official data folder, not be
 * inside the current folder (nor contain it), and have room for the data.
 */
export async function checkStorageFolder(target: string, deps: StorageCheckDeps): Promise<ActionResult> {
  const bad = settingProblem('storageFolder', target);
  if (bad) return { ok: false, problem: bad };
  const system = systemFolderOf(resolve(target));
  if (system) {
    return {
      ok: false,
      problem: `${target} is inside ${system}, a folder of the system. Choose a folder of your own, in your home folder or on an external drive.`,
    };
  }
  const limitMs = deps.timeoutMs ?? FOLDER_CHECK_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new MoveProblem(
            `${target} did not answer within ${Math.max(1, Math.round(limitMs / 1000))} seconds (a network drive that is not connected?). Choose another folder.`,
          ),
        ),
      limitMs,
    );
  });
  try {
    // The check's file operations can hang (a special or unreachable file system); the answer may not.
    await Promise.race([checkTarget(resolve(target), deps), timedOut]);
    return { ok: true };
  } catch (err) {
    if (err instanceof MoveProblem) return { ok: false, problem: err.message };
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Longest a folder check may take before the person is told the folder does not answer. */
export const FOLDER_CHECK_TIMEOUT_MS = 10_000;

/**
 * The system folder a path is in, or undefined: places that are not storage (`/proc`, `/sys`,
 * `/dev`: a check there could spin forever) or belong to the system (`/etc`, `C:\Windows`).
 */
export function systemFolderOf(path: string, platform: NodeJS.Platform = process.platform): string | undefined {
  const roots =
    platform === 'win32'
      ? [
          `${process.env['SystemRoot'] ?? 'C:\\Windows'}`,
          process.env['ProgramFiles'] ?? 'C:\\Program Files',
          process.env['ProgramFiles(x86)'] ?? 'C:\\Program Files (x86)',
        ]
      : platform === 'darwin'
        ? ['/System', '/bin', '/sbin', '/usr', '/dev', '/private/etc', '/private/var/db', '/Library/Apple']
        : // Not /run: some systems mount USB drives in /run/media.
          ['/proc', '/sys', '/dev', '/boot', '/etc', '/bin', '/sbin', '/lib', '/lib64', '/usr'];
  const norm = (p: string): string => (platform === 'win32' ? p.toLowerCase().replaceAll('/', '\\') : p);
  const sepChar = platform === 'win32' ? '\\' : '/';
  return roots.find((root) => norm(path) === norm(root) || norm(path).startsWith(norm(root) + sepChar));
}

async function checkTarget(target: string, deps: StorageCheckDeps): Promise<void> {
  const current = resolve(deps.current);
  if (target === current) throw new MoveProblem('This is already the folder Hearth keeps the sync data in.');
  if (isWithin(target, current))
    throw new MoveProblem(`The new folder cannot be inside the current one (${current}). Choose a folder elsewhere.`);
  if (isWithin(current, target))
    throw new MoveProblem(`The new folder cannot contain the current one (${current}). Choose an empty folder.`);

  let existing: string;
  try {
    existing = await nearestExisting(target);
  } catch (err) {
    throw new MoveProblem(`Hearth cannot reach ${target} (${errno(err) ?? why(err)}). Choose another folder.`);
  }
  const st = await stat(existing);
  if (!st.isDirectory()) {
    throw new MoveProblem(
      existing === target ? `${target} is a file, not a folder.` : `${target} cannot be made: ${existing} is a file, not a folder.`,
    );
  }

  // A real write (access() is wrong on Windows ACLs and read-only mounts): make the folder if
  // needed, write a file, then remove what the test made.
  const created = existing === target ? undefined : firstMissing(existing, target);
  const probe = join(target, `.hearth-write-test-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(target, { recursive: true });
    await writeFile(probe, 'hearth');
    await unlink(probe);
  } catch (err) {
    await rm(probe, { force: true }).catch(() => {});
    if (created) await rm(created, { recursive: true, force: true }).catch(() => {});
    if (NOT_WRITABLE.has(errno(err) ?? '')) throw new MoveProblem(`Hearth is not allowed to save in ${target}. Choose another folder.`);
    throw new MoveProblem(`Hearth cannot save in ${target} (${errno(err) ?? why(err)}). Choose another folder.`);
  }
  if (created) await rm(created, { recursive: true, force: true });

  if (existing === target) {
    const names = (await readdir(target)).filter((n) => !JUNK.has(n));
    if (names.length > 0 && !(await isDataFolder(target, names))) {
      throw new MoveProblem(`${target} already contains other files. Choose an empty folder, or make a new one.`);
    }
  }

  const needed = (deps.requiredBytes ?? (await folderSize(current))) + FREE_SPACE_MARGIN_BYTES;
  const free = await (deps.freeBytes ?? systemFreeBytes)(existing);
  if (free < needed) {
    throw new MoveProblem(
      `There is not enough free space for the sync data in ${target}: it needs ${formatBytes(needed)}, and ${formatBytes(free)} is free.`,
    );
  }
}

/** The top folder that `mkdir -p target` would create below `existing`. */
function firstMissing(existing: string, target: string): string {
  const [first] = relative(existing, target).split(sep);
  return join(existing, first ?? '');
}

/** The file operations a move uses for the data itself; tests pass in failing ones. */
export interface MoveFs {
  /** Copies src to a new file dst (fails if it exists), fsyncs it, reports bytes as they go; returns the SHA-256 (hex) of what was read. */
  copyFile(src: string, dst: string, onBytes: (n: number) => void): Promise<string>;
  /** SHA-256 (hex) of a file's contents. */
  sha256(path: string): Promise<string>;
}

export const nodeMoveFs: MoveFs = {
  async copyFile(src, dst, onBytes) {
    const hash = createHash('sha256');
    const tap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        onBytes(chunk.length);
        done(null, chunk);
      },
    });
    await pipeline(createReadStream(src, { highWaterMark: 1024 * 1024 }), tap, createWriteStream(dst, { flags: 'wx' }));
    // Opened for writing: Windows flushes a file only through a handle with write access.
    const fd = await open(dst, 'r+');
    try {
      await fd.sync();
    } finally {
      await fd.close();
    }
    return hash.digest('hex');
  },
  async sha256(path) {
    const hash = createHash('sha256');
    await pipeline(createReadStream(path, { highWaterMark: 1024 * 1024 }), hash);
    return hash.digest('hex');
  },
};

export interface StorageMoverDeps {
  readonly currentFolder: () => string;
  /** Whether a device is syncing right now (then a move is refused). */
  readonly isSyncing: () => boolean;
  /** Stops the server gracefully (requests in flight finish); it stays stopped until startServer. */
  readonly stopServer: () => Promise<void>;
  /** Saves the data folder in the settings (atomically). */
  readonly saveFolder: (folder: string) => void;
  /** Starts the server (if it is switched on) with the saved settings: ok, or why it did not start. */
  readonly startServer: () => Promise<ActionResult>;
  readonly logger: Logger;
  readonly fs?: MoveFs;
  readonly freeBytes?: (path: string) => Promise<number>;
  /** Called whenever the move's state changes (progress included). */
  readonly onChange?: (move: StorageMove) => void;
}

export interface StorageMover {
  state(): StorageMove;
  /** Checks, then starts the move in the background: ok when it started, else why not (nothing changed). */
  start(target: string): Promise<ActionResult>;
  /** The move in progress, if any (tests wait for it). */
  running(): Promise<void> | undefined;
}

export function createStorageMover(deps: StorageMoverDeps): StorageMover {
  const log = deps.logger.child('storage-move');
  const fs = deps.fs ?? nodeMoveFs;
  let move: StorageMove = IDLE_STORAGE_MOVE;
  let inProgress: Promise<void> | undefined;

  const set = (next: StorageMove): void => {
    move = next;
    deps.onChange?.(move);
  };

  const run = async (from: string, to: string): Promise<void> => {
    set({ state: 'copying', from, to, copiedBytes: 0, totalBytes: 0, problem: null });
    const createdFiles: string[] = [];
    const createdDirs: string[] = [];
    let serverStopped = false;
    let switched = false;
    const removePartialCopy = async (): Promise<void> => {
      for (const f of createdFiles.reverse())
        await rm(f, { force: true }).catch((err: unknown) => log.warn('cannot remove a copied file', { file: f, why: why(err) }));
      for (const d of createdDirs.reverse()) await rmdir(d).catch(() => {});
    };
    try {
      await deps.stopServer();
      serverStopped = true;
      const { files, dirs } = await walk(from);
      const totalBytes = files.reduce((s, f) => s + f.size, 0);
      set({ ...move, totalBytes });
      const check = await checkStorageFolder(to, {
        current: from,
        requiredBytes: totalBytes,
        ...(deps.freeBytes ? { freeBytes: deps.freeBytes } : {}),
      });
      if (!check.ok) throw new MoveProblem(check.problem);
      for (const f of files) {
        try {
          await lstat(join(to, f.rel));
          throw new MoveProblem(`The new folder already has ${f.rel}; Hearth does not overwrite anything. Choose an empty folder.`);
        } catch (err) {
          if (err instanceof MoveProblem) throw err;
        }
      }

      await refuseNamesTheNewFolderCannotHold(files, to);

      // Copy.
      const ensureDir = async (dir: string): Promise<void> => {
        const made = await mkdir(dir, { recursive: true });
        if (made !== undefined) {
          // mkdir -p reports the first folder it made; record each level so cleanup removes them all.
          for (let d = dir; isWithin(d, made); d = dirname(d)) {
            createdDirs.push(d);
            if (d === made) break;
          }
          createdDirs.sort((a, b) => a.length - b.length);
        }
      };
      await ensureDir(to);
      for (const d of dirs) await ensureDir(join(to, ...d.split('/')));
      const sums = new Map<string, string>();
      let copied = 0;
      for (const f of files) {
        const src = join(from, ...f.rel.split('/'));
        const dst = join(to, ...f.rel.split('/'));
        await ensureDir(dirname(dst));
        createdFiles.push(dst);
        try {
          sums.set(
            f.rel,
            await fs.copyFile(src, dst, (n) => {
              copied += n;
              set({ ...move, copiedBytes: copied });
            }),
          );
        } catch (err) {
          // A file that appeared meanwhile is not ours to remove.
          if (errno(err) === 'EEXIST') createdFiles.pop();
          if (NOT_WRITABLE.has(errno(err) ?? ''))
            throw new MoveProblem(`Hearth could not save ${f.rel} in the new folder: it is not allowed to write there any more.`);
          if (errno(err) === 'ENOSPC') throw new MoveProblem(`The new folder’s drive became full while copying ${f.rel}.`);
          throw err;
        }
      }

      // Verify every copy against what was read from the original.
      set({ ...move, state: 'verifying' });
      for (const f of files) {
        const dst = join(to, ...f.rel.split('/'));
        const size = (await stat(dst)).size;
        if (size !== f.size || (await fs.sha256(dst)) !== sums.get(f.rel)) {
          throw new MoveProblem(`The copy of ${f.rel} in the new folder is not the same as the original (the drive may be failing).`);
        }
      }

      // Switch, and start the server on the new folder.
      deps.saveFolder(to);
      switched = true;
      const started = await deps.startServer();
      if (!started.ok) throw new MoveProblem(`The sync server could not start with the new folder: ${started.problem}`);

      // Only now is the old copy removed.
      let leftover = false;
      for (const f of files) {
        await unlink(join(from, ...f.rel.split('/'))).catch((err: unknown) => {
          leftover = true;
          log.warn('cannot remove an old file', { file: f.rel, why: why(err) });
        });
      }
      for (const d of [...dirs].reverse()) await removeIfOnlyJunk(join(from, ...d.split('/')));
      const rootGone = await removeIfOnlyJunk(from);
      log.info('moved the data folder', { from, to, files: files.length, bytes: totalBytes, oldFolderRemoved: rootGone });
      set({
        ...move,
        state: 'done',
        problem: leftover
          ? `The data was moved, but some old files could not be removed from ${from}; you can delete that folder yourself.`
          : null,
      });
    } catch (err) {
      const sentence = err instanceof MoveProblem ? err.message : `The data could not be moved (${errno(err) ?? why(err)}).`;
      if (!(err instanceof MoveProblem)) log.error('moving the data folder failed', { from, to, why: why(err) });
      else log.warn('moving the data folder failed', { from, to, why: sentence });
      if (switched) {
        // Back to the old folder, which still has everything.
        try {
          deps.saveFolder(from);
        } catch (saveErr) {
          log.error('cannot restore the old folder in the settings', { why: why(saveErr) });
        }
      }
      await removePartialCopy();
      if (serverStopped || switched) {
        const restarted = await deps.startServer().catch((e: unknown) => ({ ok: false, problem: why(e) }) as ActionResult);
        if (!restarted.ok) log.error('the server did not start again on the old folder', { why: restarted.problem });
      }
      set({ ...move, state: 'failed', problem: `${sentence} Nothing was lost: Hearth keeps using ${from}.` });
    }
  };

  return {
    state: () => move,
    running: () => inProgress,
    async start(target) {
      if (inProgress) return { ok: false, problem: 'The sync data is being moved already. Wait until that has finished.' };
      const from = resolve(deps.currentFolder());
      const check = await checkStorageFolder(target, { current: from, ...(deps.freeBytes ? { freeBytes: deps.freeBytes } : {}) });
      if (!check.ok) return check;
      if (deps.isSyncing())
        return { ok: false, problem: 'A device is syncing right now. Try again in a minute, when the sync has finished.' };
      const to = resolve(target);
      inProgress = run(from, to).finally(() => (inProgress = undefined));
      return { ok: true };
    },
  };
}

/** Removes a folder that holds nothing but OS junk files; true when it is gone. */
async function removeIfOnlyJunk(dir: string): Promise<boolean> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    return errno(err) === 'ENOENT';
  }
  if (names.some((n) => !JUNK.has(n))) return false;
  try {
    for (const n of names) await rm(join(dir, n), { recursive: true, force: true });
    await rmdir(dir);
    return true;
  } catch {
    return false;
  }
}
