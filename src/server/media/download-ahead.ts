/**
 * Building the next `downloadFiles` reply while the client unpacks the current one.
 *
 * A client fetching media asks `mediaChanges` for a list, then asks for the files it needs from
 * that list, 25 names per `downloadFiles`, in list order, each request starting after the last
 * file the previous zip held (rslib `fetch_changes`). So once a reply has gone out, the server
 * knows what will most likely be asked next and can read, zip and compress it while the client
 * is busy writing files — on a phone over Wi-Fi that is time the server would otherwise spend
 * waiting. A reply is kept only for the exact list of names it was built for and only while the
 * user's media usn is unchanged (any upload, replacement or deletion moves it), so it is served
 * exactly as a fresh build would be; a guess that turns out wrong (the client already had some of
 * the files) just costs the work. A read-ahead has no side effects: it runs under the user's lock,
 * gives up on anything unusual (a missing file, a size that differs from media.db, a big file)
 * and leaves that to the real request.
 */
import type Database from 'better-sqlite3';
import type { Logger } from '../logger.ts';
import { afterReply } from '../util/after-reply.ts';
import type { Mutex } from '../util/mutex.ts';
import { MAX_FILES_IN_ZIP } from './protocol.ts';
import type { MediaChange } from './protocol.ts';
import { readMediaUsn } from './media-db.ts';

/** A reply built ahead: the zstd frame and the last file it holds. */
export interface BuiltReply {
  readonly frame: Buffer;
  readonly originalSize: number;
  readonly lastSent: string;
}

/** …for exactly these requested names, at this media usn. */
export interface ReadyReply extends BuiltReply {
  readonly key: string;
  readonly usn: number;
}

interface Expected {
  /** Names the client may fetch, in the order of the last `mediaChanges` reply (deletions left out). */
  readonly names: readonly string[];
  readonly index: ReadonlyMap<string, number>;
}

const expected = new WeakMap<Database.Database, Expected>();
const ready = new WeakMap<Database.Database, ReadyReply>();

const keyOf = (names: readonly string[]): string => names.join('\0');

/** Remembers what a `mediaChanges` reply offered; returns the first names the client will likely fetch. */
export function expectDownloads(db: Database.Database, changes: readonly MediaChange[]): string[] {
  const names = changes.filter(([, , sha1]) => sha1 !== '').map(([fname]) => fname);
  expected.set(db, { names, index: new Map(names.map((n, i) => [n, i])) });
  return names.slice(0, MAX_FILES_IN_ZIP);
}

/** The names most likely requested after a reply whose last file was `lastSent`; empty when there is no guess. */
export function namesAfter(db: Database.Database, lastSent: string): string[] {
  const list = expected.get(db);
  const at = list?.index.get(lastSent);
  if (list === undefined || at === undefined) return [];
  return list.names.slice(at + 1, at + 1 + MAX_FILES_IN_ZIP);
}

/** The reply built ahead for exactly these names, if it is still current; it is handed out once. */
export function takeReadyReply(db: Database.Database, names: readonly string[]): ReadyReply | undefined {
  const r = ready.get(db);
  if (r === undefined) return undefined;
  ready.delete(db);
  return r.key === keyOf(names) && r.usn === readMediaUsn(db) ? r : undefined;
}

/**
 * Builds the reply for `names` under the user's lock, after the current request's reply (util/after-reply.ts).
 * `build` returns the frame, or gives up by returning undefined or throwing (it must not change
 * anything).
 */
export function readAhead(
  db: Database.Database,
  lock: Mutex,
  names: readonly string[],
  build: (names: readonly string[]) => BuiltReply | undefined,
  logger: Logger,
): void {
  if (names.length === 0) return;
  ready.delete(db);
  afterReply(
    lock,
    () => {
      const usn = readMediaUsn(db);
      const built = build(names);
      if (built) ready.set(db, { key: keyOf(names), usn, ...built });
    },
    // Only a guess: the real request builds the reply itself (and reports what is wrong).
    (why) => logger.child('media').debug('download read-ahead gave up', { why }),
  );
}
