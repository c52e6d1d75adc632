/**
 * Work done after a request's reply, ahead of the person's next request: writing the rows an
 * `applyChunk` received, building the next `chunk` reply, the next device's `applyChanges` reply
 * after a `finish` (sync/normal-sync.ts), the next `downloadFiles` zip
 * (media/download-ahead.ts). The client is busy with the reply meanwhile, so the server would
 * otherwise be idle.
 *
 * The job runs on a later turn of the event loop (setImmediate), under the person's lock: the
 * request that left it holds that lock until its reply has been handed to the socket, so the job
 * starts after that, and the person's next request waits for it. A job is only work ahead: its
 * failure never reaches a client from here; `failed` hears why (to log it at the level that
 * suits), and the lock is let go either way.
 */
import type { Mutex } from './mutex.ts';

export function afterReply(lock: Mutex, job: () => void, failed: (why: string) => void): void {
  setImmediate(() => {
    lock.run(job).catch((err: unknown) => failed(err instanceof Error ? err.message : String(err)));
  });
}
