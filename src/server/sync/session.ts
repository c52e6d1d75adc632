/**
 * One normal sync (docs/protocol/collection-sync.md §2): the state between `start` and `finish`, bound
 * to the client's session key, with one database transaction spanning all its requests.
 * Anything that cancels it (a new meta/start/upload/download, abort, or a failing step)
 * rolls the transaction back, so a failed sync leaves the collection exactly as it was.
 */
import { prepared } from '../util/prepared.ts';
import type Database from 'better-sqlite3';
import type { Logger } from '../logger.ts';
import { afterReply } from '../util/after-reply.ts';
import type { CompressedJson } from '../wire/respond.ts';
import type { ActiveSession, UserState } from '../user/user-state.ts';

export interface PendingChunkIds {
  revlog: number[];
  cards: number[];
  notes: number[];
}

/** A `chunk` reply built ahead, and the ids it took from `pending` (in the order taken). */
export interface ChunkBuiltAhead {
  readonly reply: CompressedJson;
  readonly done: boolean;
  readonly taken: PendingChunkIds;
}

export class NormalSyncSession implements ActiveSession {
  readonly skey: string;
  /** The device syncing (accounts/device-store.ts): signing it out rolls this sync back. */
  readonly device: string;
  /** `col.usn` when the sync started: everything written during the sync gets this usn. */
  readonly serverUsn: number;
  /** The client's `minUsn`: server rows with `usn >= clientUsn` are new to the client. */
  readonly clientUsn: number;
  /** `lnewer`: the client's collection was modified more recently (decides who sends config). */
  readonly clientIsNewer: boolean;
  /** Ids the server still has to send in `chunk`, snapshotted at the first call. */
  pending: PendingChunkIds | undefined;
  /**
   * The next `chunk` reply, built and compressed ahead while the client works on the previous
   * one (chunk.ts). Only valid while nothing else runs in the session; any other step drops it.
   */
  nextChunk: ChunkBuiltAhead | undefined;
  /** The last `chunk` reply said `done`: there is nothing left to build ahead. */
  chunksDone = false;
  readonly #user: UserState;
  #open = true;
  /** Writes a step left to run after its reply (apply-chunk.ts); at most one is pending. */
  #deferred: (() => void) | undefined;
  /** Why deferred writes failed: every later step of this sync fails with it. */
  #failure: unknown;

  private constructor(user: UserState, skey: string, device: string, serverUsn: number, clientUsn: number, clientIsNewer: boolean) {
    this.#user = user;
    this.skey = skey;
    this.device = device;
    this.serverUsn = serverUsn;
    this.clientUsn = clientUsn;
    this.clientIsNewer = clientIsNewer;
  }

  /** Opens the transaction and makes this the user's active session (cancelling any other). */
  static begin(user: UserState, skey: string, device: string, clientUsn: number, clientIsNewer: boolean): NormalSyncSession {
    return user.withCollection((db) => {
      db.exec('BEGIN');
      const { usn } = prepared(db, 'SELECT usn FROM col').get() as { usn: number };
      const session = new NormalSyncSession(user, skey, device, usn, clientUsn, clientIsNewer);
      user.session = session;
      return session;
    });
  }

  /** Leaves `job` (writes that need no more checks) to run before anything else of this sync. */
  defer(job: () => void): void {
    this.runDeferred();
    this.#deferred = job;
    this.dropNextChunk();
  }

  /**
   * Leaves `job` for after this step's reply (util/after-reply.ts): it runs under the person's
   * lock while the client is busy with the reply, if this sync is still going, after any writes
   * an applyChunk left. A failure is only logged here: deferred writes keep theirs in the session,
   * which fails the sync's next step; a chunk built ahead is simply built again when the client asks.
   */
  afterReply(logger: Logger, failure: string, job: () => void): void {
    const user = this.#user;
    afterReply(
      user.lock,
      () => {
        if (user.session !== this || !this.#open) return;
        this.runDeferred();
        job();
      },
      (why) => logger.child('sync').warn(failure, { user: user.username, why }),
    );
  }

  /** Drops the chunk built ahead; its rows go back to the front of what is left to send, in order. */
  dropNextChunk(): void {
    const built = this.nextChunk;
    if (!built || !this.pending) return;
    this.nextChunk = undefined;
    for (const kind of ['revlog', 'notes', 'cards'] as const) {
      const ids = built.taken[kind];
      for (let i = ids.length - 1; i >= 0; i--) this.pending[kind].push(ids[i]!);
    }
  }

  /** Runs the pending writes now; once they have failed, throws that failure on every call. */
  runDeferred(): void {
    if (this.#failure !== undefined) throw this.#failure;
    const job = this.#deferred;
    if (!job) return;
    this.#deferred = undefined;
    try {
      job();
    } catch (err) {
      this.#failure = err;
      throw err;
    }
  }

  get db(): Database.Database {
    return this.#user.collection();
  }

  /** Rolls back, closes the collection (as the reference does) and forgets the session. */
  abort(): void {
    this.#deferred = undefined;
    if (this.#user.session === this) this.#user.session = undefined;
    if (!this.#open) return;
    this.#open = false;
    try {
      const db = this.#user.openedCollection();
      if (db?.inTransaction) db.exec('ROLLBACK');
    } finally {
      this.#user.closeCollection();
    }
  }

  /** Rolls back at once but stays the active session until the client's abort (sanity check "bad", §5.8). */
  rollBackKeepingSession(): void {
    this.#deferred = undefined;
    if (!this.#open) return;
    this.#open = false;
    try {
      const db = this.#user.openedCollection();
      if (db?.inTransaction) db.exec('ROLLBACK');
    } finally {
      this.#user.closeCollection();
    }
  }

  get isOpen(): boolean {
    return this.#open;
  }

  /** Commits the sync (finish). */
  commit(): void {
    this.runDeferred();
    this.#open = false;
    if (this.#user.session === this) this.#user.session = undefined;
    this.#user.collection().exec('COMMIT');
  }
}
