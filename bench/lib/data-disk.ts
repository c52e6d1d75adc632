/**
 * Where a benchmark keeps the servers' data folders and the devices: a fresh, journaled ext4 file
 * system made for the run (a sparse image file, loop-mounted), or the system temp folder when
 * that cannot be done (not Linux, not root, no loop device).
 *
 * Why not simply the temp folder: the root file system of the machines this project is measured
 * on is ext4 *without a journal*. There, ext4 will not reuse an inode freed in the last 60 s (up
 * to 6 min while its table block is unwritten) and, to skip them, reads the inode table entry of
 * every such inode on every file creation (fs/ext4/ialloc.c, recently_deleted()). After a
 * benchmark round deletes its 15,000 files, creating a file costs up to ~0.4 ms of kernel time
 * instead of ~15 µs, falling off over minutes: whichever server happens to run in that window
 * takes 2–3× longer for reasons that have nothing to do with it. Journaled ext4 (what Linux
 * desktops use), NTFS and APFS have no such window, and measured on a fresh journaled ext4 each
 * creation costs ~15 µs no matter what was deleted before. Both servers get the same disk in the
 * same run, so the comparison stays like for like; fsyncs still reach a real disk (the image
 * file), they are not a tmpfs no-op.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Sparse, so only what the run writes takes space; big enough for the full-sync benchmark's copies. */
const IMAGE_BYTES = 16 * 2 ** 30;
/** mkfs, mount and umount of a sparse image take well under a second; more means something is stuck. */
const DISK_COMMAND_TIMEOUT_MS = 60_000;
const DISK_PREFIX = 'hearth-bench-disk-';
/** In each disk's folder: the pid of the benchmark that made it. */
const OWNER_FILE = 'owner.pid';

export interface DataDisk {
  /** Folder for this run's data folders and devices. */
  readonly root: string;
  /** For the report: what kind of disk `root` is on. */
  readonly description: string;
  /** Unmounts and deletes the image (synchronous: also runs from an exit handler). */
  release(): void;
}

const run = (cmd: string, args: string[]): void => {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: DISK_COMMAND_TIMEOUT_MS });
};

/** The benchmark process that made the disk in `dir` is still running (then it is not a leftover). */
function ownerAlive(dir: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(dir, OWNER_FILE), 'utf8'));
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Disk folders (with their mount points) of runs that ended without releasing them. */
function leftovers(): { dir: string; mountPoint: string }[] {
  return readdirSync(tmpdir())
    .filter((name) => name.startsWith(DISK_PREFIX))
    .map((name) => path.join(tmpdir(), name))
    .filter((dir) => !ownerAlive(dir))
    .map((dir) => ({ dir, mountPoint: path.join(dir, 'mnt') }));
}

const isMounted = (mountPoint: string): boolean =>
  readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[1] === mountPoint);

function releaseDisk(dir: string, mountPoint: string): void {
  try {
    run('umount', [mountPoint]);
  } catch {
    // not mounted (any more), or busy: checked below
  }
  // A disk that is still mounted keeps its folder: removing it would delete inside the mount.
  if (!isMounted(mountPoint)) rmSync(dir, { recursive: true, force: true });
}

/**
 * A fresh journaled ext4 for this run when possible (see above), else the temp folder; `log` says
 * which, and why when it falls back.
 */
export function prepareDataDisk(log: (line: string) => void): DataDisk {
  const fallback = (why: string): DataDisk => {
    log(`data folders in the system temp folder (${why})`);
    return { root: tmpdir(), description: `the system temp folder (${why})`, release: () => {} };
  };
  if (process.platform !== 'linux') return fallback('a fresh ext4 disk is only made on Linux');
  if (process.getuid?.() !== 0) return fallback('mounting a fresh ext4 disk needs root');
  // What a run killed by a signal left (its disk perhaps still mounted); never another live run's.
  for (const { dir, mountPoint } of leftovers()) releaseDisk(dir, mountPoint);

  const dir = mkdtempSync(path.join(tmpdir(), DISK_PREFIX));
  writeFileSync(path.join(dir, OWNER_FILE), String(process.pid));
  const image = path.join(dir, 'disk.img');
  const mountPoint = path.join(dir, 'mnt');
  try {
    mkdirSync(mountPoint);
    run('truncate', ['-s', String(IMAGE_BYTES), image]);
    // Default ext4 features: with a journal, like a Linux desktop's disk.
    run('mkfs.ext4', ['-q', '-F', image]);
    run('mount', ['-o', 'loop', image, mountPoint]);
  } catch (err) {
    releaseDisk(dir, mountPoint);
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    return fallback(`no fresh ext4 disk: ${stderr || (err as Error).message}`);
  }
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    releaseDisk(dir, mountPoint);
  };
  // The watchdog ends a stuck run with process.exit(): the disk goes with it.
  process.on('exit', release);
  log(`data folders on a fresh journaled ext4 (${IMAGE_BYTES / 2 ** 30} GiB sparse image, loop-mounted at ${mountPoint})`);
  return {
    root: mountPoint,
    description: 'a fresh journaled ext4 file system made for the run (loop-mounted sparse image; see bench/lib/data-disk.ts)',
    release,
  };
}
