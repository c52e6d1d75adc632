/**
 * Per-user server state: the user's folder (official layout, docs/protocol/http.md §10), the open
 * collection connection, the open media database, the active normal-sync session, and the
 * lock that runs this user's requests one at a time.
 */
import type Database from 'better-sqlite3';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { Clock } from '../clock.ts';
import { Mutex } from '../util/mutex.ts';
import { openCollection, checkpointAndClose } from '../collection/open.ts';
import { openMediaDb } from '../media/media-db.ts';
import { sweepMediaTemps, sweepUploadTemps } from './upload-temps.ts';
import type { ChangesAhead } from '../sync/changes-ahead.ts';

export interface UserPaths {
  readonly dir: string;
  readonly collection: string;
  readonly mediaDir: string;
  readonly mediaDb: string;
  readonly backups: string;
}

/** Builds the user's paths and proves they stay inside the data folder. */
export function userPaths(base: string, username: string): UserPaths {
  const root = resolve(base);
  const dir = resolve(root, username);
  if (!dir.startsWith(root + sep) || dir.slice(root.length + 1).includes(sep)) {
    throw new Error(`username "${username}" does not name a folder directly inside ${root}`);
  }
  return {
    dir,
    collection: join(dir, 'collection.anki2'),
    mediaDir: join(dir, 'media'),
    mediaDb: join(dir, 'media.db'),
    backups: join(dir, 'backups'),
  };
}

function folderId(dir: string): string | undefined {
  try {
    const st = statSync(dir);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * Makes a new, empty collection file at `path` (collection/create.ts createCollection). Passed in
 * rather than imported: creating one takes the protobuf codecs of the sync engine, which the
 * server loads only once someone syncs (sync-engine.ts).
 */
export type CollectionMaker = (path: string, clock: Clock) => void;

/** Something an active normal sync must do when it is cancelled (roll back, forget state). */
export interface ActiveSession {
  readonly skey: string;
  /** The device syncing (accounts/device-store.ts). */
  readonly device: string;
  abort(): void;
}

export class UserState {
  readonly username: string;
  readonly paths: UserPaths;
  readonly lock = new Mutex();
  session: ActiveSession | undefined;
  /** The server's side of `applyChanges` built after the last sync, for the next device (changes-ahead.ts). */
  changesAhead: ChangesAhead | undefined;
  #clock: Clock;
  #col: Database.Database | undefined;
  #media: Database.Database | undefined;
  #folderId: string | undefined;
  #makeCollection: CollectionMaker;

  constructor(base: string, username: string, clock: Clock, makeCollection: CollectionMaker) {
    this.username = username;
    this.paths = userPaths(base, username);
    this.#clock = clock;
    this.#makeCollection = makeCollection;
  }

  /** Creates the folder, `media/` and `media.db` like the reference does at start-up. */
  prepareFolder(): void {
    mkdirSync(this.paths.mediaDir, { recursive: true });
    // Nothing of this run is in flight yet: any upload temporary here was left by a crash.
    sweepMediaTemps(this.mediaDb(), this.paths.mediaDir, this.#clock.nowMs());
    sweepUploadTemps(this.paths.dir);
    this.#folderId = folderId(this.paths.dir);
  }

  /**
   * False when the folder was deleted or replaced since prepareFolder() (the app removed the
   * person with their data, and maybe added them again): the open databases then point at
   * deleted files, and this state must be closed and made afresh.
   */
  folderIsCurrent(): boolean {
    return this.#folderId === undefined || folderId(this.paths.dir) === this.#folderId;
  }

  /** The open collection, created on first use as the official server creates it. */
  collection(): Database.Database {
    if (this.#col === undefined) {
      mkdirSync(this.paths.dir, { recursive: true });
      if (!existsSync(this.paths.collection)) this.#makeCollection(this.paths.collection, this.#clock);
      this.#col = openCollection(this.paths.collection);
    }
    return this.#col;
  }

  /** The collection connection if it is open now; never opens or creates one. */
  openedCollection(): Database.Database | undefined {
    return this.#col?.open ? this.#col : undefined;
  }

  /**
   * Gives back the memory SQLite keeps for this person's open databases (their page caches, up to
   * 40 MiB for a collection): called once the server is idle after a sync. The next sync reads
   * those pages again from the disk, or from the system's file cache.
   */
  releaseMemory(): void {
    if (this.#col?.open) this.#col.pragma('shrink_memory');
    if (this.#media?.open) this.#media.pragma('shrink_memory');
  }

  mediaDb(): Database.Database {
    if (this.#media === undefined) this.#media = openMediaDb(this.paths.mediaDb);
    return this.#media;
  }

  /** Cancels a normal sync in progress, if any: `abort` itself, withCollection() for everything else, and a signed-out device. */
  abortSession(): void {
    const s = this.session;
    this.session = undefined;
    s?.abort();
  }

  /**
   * The one way into the collection outside a normal sync's own steps (the official server's
   * `User::with_col`): a normal sync in progress is aborted first (rolled back, its connection
   * closed), so `op` never sees half a sync; then `op` runs with the collection, opened (and
   * created) if it was not. meta, start and download come through here. With `'closed'`, `op`
   * gets no connection: the collection is checkpointed and closed instead, for a full upload,
   * which replaces the file (and must not create one first), and for close().
   */
  withCollection<T>(op: (col: Database.Database) => T): T;
  withCollection<T>(op: () => T, collection: 'closed'): T;
  withCollection<T>(op: (col: Database.Database) => T, collection: 'open' | 'closed' = 'open'): T {
    this.abortSession();
    if (collection === 'closed') {
      this.closeCollection();
      return (op as () => T)();
    }
    return op(this.collection());
  }

  /**
   * `op` with the collection, left as it was found: a collection a request had closed (a full
   * upload or download) is closed again after. For work after a sync (backups/take-backup.ts,
   * stats/), which must not change what the person's next request finds. No session is aborted.
   */
  withCollectionAsFound<T>(op: (col: Database.Database) => T): T {
    const wasOpen = this.openedCollection() !== undefined;
    try {
      return op(this.collection());
    } finally {
      if (!wasOpen) this.closeCollection();
    }
  }

  /** Checkpoints and closes the collection so the file on disk is complete on its own. */
  closeCollection(): void {
    const col = this.#col;
    this.#col = undefined;
    this.changesAhead = undefined;
    if (col?.open) checkpointAndClose(col);
  }

  close(): void {
    this.withCollection(() => {
      this.#media?.close();
      this.#media = undefined;
    }, 'closed');
  }
}
