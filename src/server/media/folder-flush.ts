/**
 * Starts writing a media folder's new names to disk in the background, right after an upload
 * has put its files in place and before it commits, without making the request wait for it.
 *
 * Why: a journaling file system (ext4, APFS, NTFS) commits the pending metadata changes of the
 * whole disk together, whoever asks. The client commits its own media database right after each
 * `uploadChanges` reply; when the server's 25 new files are still pending then, that commit has
 * to carry them, and the client's next request waits for it (real client, 5,000 small files: its
 * commit took 1.14–1.37 ms against 0.61–0.80 ms with the official server, which pays the same
 * commit inside each request by syncing its database). Started here, the commit runs while the
 * server finishes the request and the client reads the reply; the client's commits went back to
 * 0.65–0.94 ms, and the server does not wait either. Started after the database commit instead,
 * ~0.2 ms later, it was often still running when the client's commit came (no gain).
 *
 * It makes the new names durable a little sooner and nothing less durable. Best effort: a failure
 * only loses the head start (logged at debug). At most one flush per folder runs, plus one more
 * when files arrived meanwhile, so a slow disk cannot pile flushes up on Node's thread pool.
 * Windows cannot open a folder to sync it: nothing is done there.
 */
import { fsyncDirAsync } from '../util/atomic-file.ts';
import type { Logger } from '../logger.ts';

interface Running {
  /** Files arrived after the running flush began: flush once more when it ends. */
  again: boolean;
  /** Settles when no flush of the folder is left to run. */
  idle: Promise<void>;
}

const running = new Map<string, Running>();

/**
 * Flushes `dir`'s metadata soon and returns at once. The promise (never rejected) settles when no
 * flush of `dir` is left; the server does not wait for it, tests do.
 */
export function flushFolderSoon(dir: string, logger: Logger): Promise<void> {
  const current = running.get(dir);
  if (current) {
    current.again = true;
    return current.idle;
  }
  const state: Running = { again: false, idle: Promise.resolve() };
  running.set(dir, state);
  state.idle = (async () => {
    do {
      state.again = false;
      await flushOnce(dir, logger);
    } while (state.again);
    running.delete(dir);
  })();
  return state.idle;
}

function flushOnce(dir: string, logger: Logger): Promise<void> {
  return fsyncDirAsync(dir).catch((err: unknown) => {
    logger.debug('media folder flush failed', { why: (err as NodeJS.ErrnoException).code ?? String(err) });
  });
}

/** Folders with a flush still to run (tests). */
export function foldersBeingFlushed(): number {
  return running.size;
}
