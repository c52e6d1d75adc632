/**
 * Each person's devices: `<base>/.hearth/devices.sqlite3`, next to accounts.json.
 *
 * Every login (`hostKey`) hands the device a new random key, and the key is stored here only as
 * its SHA-256, with its person and what is known of the device: the app (the anki-sync header's
 * `c`), when it signed in, when it last synced and from which address. Signing a device out
 * deletes its row, so its key stops working at once; the person's other devices go on.
 *
 * A plain SHA-256 is enough for these keys, unlike passwords: a key is 160 random bits, so
 * nothing can be guessed from its hash, and every request checks one (a slow hash would cost
 * each request what a login costs).
 *
 * Devices that logged in before keys were per device hold the key the official server derives
 * from the password (`sha1(user:password)`, accounts/host-key.ts). They keep syncing, and are
 * shown as one entry per person, `before`, until it is signed out; signing it out is a row that
 * says so (`signed_out_at`), since that key cannot be deleted: it is the password's.
 *
 * Several processes use this file (the server; the app's window or the headless admin page; the
 * command line), each through its own connection: SQLite's transactions keep their writes whole,
 * and a server sees another process's sign-out at its next request. The rollback journal (not
 * WAL) keeps the file complete on its own, so a data folder copied by a move needs nothing else.
 */
import Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The id of a person's devices from before per-device keys (one entry for all of them). */
export const BEFORE_DEVICE_ID = 'before';

export interface DeviceRecord {
  /** Names the device in the window and on the command line; unique per person. */
  readonly id: string;
  readonly username: string;
  /** `key`: signed in with its own key; `before`: the password's key from before (all such devices at once). */
  readonly kind: 'key' | 'before';
  /** The `c` of the anki-sync header (app, version, system), as sent; '' when unknown. */
  readonly client: string;
  /** ms since the epoch; null for devices from before. */
  readonly signedInAt: number | null;
  /** Its first successful sync (for `before`: the first seen by this version). */
  readonly firstSyncAt: number | null;
  readonly lastSyncAt: number | null;
  readonly lastAddress: string | null;
}

export interface DeviceStore {
  readonly path: string;
  /** A new key for a login of this person; the key itself is returned, only its hash is kept. */
  addDevice(username: string, client: string, address: string, nowMs: number): string;
  /** The person and device of a key handed out by addDevice, or undefined. */
  deviceForKey(key: string): { username: string; id: string } | undefined;
  /** Whether the person's key from before was signed out (then it is refused). */
  beforeSignedOut(username: string): boolean;
  /** Records a successful sync of a device (the `before` entry is made on its first); an empty `client` keeps the one known. */
  recordSync(username: string, id: string, client: string, address: string, nowMs: number): void;
  /** Whether the device is still signed in (a `before` one: unless signed out). */
  isSignedIn(username: string, id: string): boolean;
  list(username: string): DeviceRecord[];
  /** Signs one device out; false when the person has no such device. */
  signOut(username: string, id: string, nowMs: number): boolean;
  /** Signs out every device of the person but those kept; returns how many were signed out. */
  signOutAll(username: string, keep: readonly string[], nowMs: number): number;
  /** Forgets the person's devices (the person was removed). */
  forget(username: string): void;
  /** When this file was made: devices seen syncing before that held the key from before. */
  createdAt(): number;
  /** Changes when another connection (another process) changed the file. */
  dataVersion(): number;
  close(): void;
}

export function deviceFilePath(base: string): string {
  return join(base, '.hearth', 'devices.sqlite3');
}

const MAX_CLIENT_LENGTH = 100;
const MAX_ADDRESS_LENGTH = 64;

export const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

const SCHEMA_VERSION = 1;
const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS devices (
  username TEXT NOT NULL,
  id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('key', 'before')),
  key_hash TEXT UNIQUE,
  client TEXT NOT NULL DEFAULT '',
  signed_in_at INTEGER,
  first_sync_at INTEGER,
  last_sync_at INTEGER,
  last_address TEXT,
  signed_out_at INTEGER,
  PRIMARY KEY (username, id)
) STRICT;
`;

interface Row {
  username: string;
  id: string;
  kind: 'key' | 'before';
  client: string;
  signed_in_at: number | null;
  first_sync_at: number | null;
  last_sync_at: number | null;
  last_address: string | null;
  signed_out_at: number | null;
}

function openDatabase(path: string, nowMs: number): Database.Database {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path, { timeout: 5_000 });
  try {
    db.pragma('journal_mode = delete');
    // user_version says which schema the file has, for a later version that changes it.
    // Made once; opening it again writes nothing (a running server takes any write by another
    // process as a sign-out to look for).
    if (db.pragma('user_version', { simple: true }) !== SCHEMA_VERSION) {
      db.transaction(() => {
        db.exec(SCHEMA);
        db.prepare('INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)').run('created_at', String(nowMs));
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })();
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Opens (and makes) the device file. A damaged one is moved aside and a new one made: the only
 * loss is that devices with their own key must log in again, which they are asked to.
 */
export function openDeviceStore(base: string, nowMs: number, onDamaged?: (aside: string, why: string) => void): DeviceStore {
  const path = deviceFilePath(base);
  let db: Database.Database;
  try {
    db = openDatabase(path, nowMs);
    db.prepare('SELECT count(*) FROM devices').get();
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (!/^SQLITE_(CORRUPT|NOTADB)/.test(code)) throw err;
    const aside = `${path}.damaged-${nowMs}`;
    renameSync(path, aside);
    onDamaged?.(aside, err instanceof Error ? err.message : String(err));
    db = openDatabase(path, nowMs);
  }

  const byKey = db.prepare<[string], { username: string; id: string }>(
    "SELECT username, id FROM devices WHERE key_hash = ? AND kind = 'key'",
  );
  const beforeRow = db.prepare<[string], { signed_out_at: number | null }>(
    "SELECT signed_out_at FROM devices WHERE username = ? AND kind = 'before'",
  );
  const rowsOf = db.prepare<[string], Row>(
    'SELECT username, id, kind, client, signed_in_at, first_sync_at, last_sync_at, last_address, signed_out_at FROM devices WHERE username = ? ORDER BY coalesce(last_sync_at, signed_in_at, 0) DESC',
  );
  // Asked before every sync request (sync-server.ts): prepared once, not per call as db.pragma() does.
  const dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  const clip = (s: string, n: number): string => s.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, n);

  const signOut = (username: string, id: string, nowMs: number): boolean => {
    if (id === BEFORE_DEVICE_ID) {
      // The key from before is the password's: it stays refused, so the row stays, marked.
      db.prepare(
        `INSERT INTO devices (username, id, kind, signed_out_at) VALUES (?, ?, 'before', ?)
         ON CONFLICT (username, id) DO UPDATE SET signed_out_at = coalesce(signed_out_at, excluded.signed_out_at)`,
      ).run(username, BEFORE_DEVICE_ID, nowMs);
      return true;
    }
    return db.prepare("DELETE FROM devices WHERE username = ? AND id = ? AND kind = 'key'").run(username, id).changes > 0;
  };

  return {
    path,
    addDevice(username, client, address, nowMs) {
      for (;;) {
        // 160 bits, written like the official server's keys (40 lowercase hex digits), so that
        // nothing in any client can tell them apart.
        const key = randomBytes(20).toString('hex');
        const id = randomBytes(4).toString('hex');
        const r = db
          .prepare(
            `INSERT OR IGNORE INTO devices (username, id, kind, key_hash, client, signed_in_at, last_address) VALUES (?, ?, 'key', ?, ?, ?, ?)`,
          )
          .run(username, id, hashKey(key), clip(client, MAX_CLIENT_LENGTH), nowMs, clip(address, MAX_ADDRESS_LENGTH));
        if (r.changes === 1) return key;
      }
    },
    deviceForKey: (key) => byKey.get(hashKey(key)),
    beforeSignedOut: (username) => (beforeRow.get(username)?.signed_out_at ?? null) !== null,
    recordSync(username, id, client, address, nowMs) {
      const c = clip(client, MAX_CLIENT_LENGTH);
      const a = clip(address, MAX_ADDRESS_LENGTH);
      if (id === BEFORE_DEVICE_ID) {
        db.prepare(
          `INSERT INTO devices (username, id, kind, client, first_sync_at, last_sync_at, last_address) VALUES (?, ?, 'before', ?, ?, ?, ?)
           ON CONFLICT (username, id) DO UPDATE SET client = coalesce(nullif(excluded.client, ''), client), last_sync_at = excluded.last_sync_at, last_address = excluded.last_address
           WHERE signed_out_at IS NULL`,
        ).run(username, id, c, nowMs, nowMs, a);
        return;
      }
      db.prepare(
        "UPDATE devices SET client = coalesce(nullif(?, ''), client), first_sync_at = coalesce(first_sync_at, ?), last_sync_at = ?, last_address = ? WHERE username = ? AND id = ? AND kind = 'key'",
      ).run(c, nowMs, nowMs, a, username, id);
    },
    isSignedIn(username, id) {
      if (id === BEFORE_DEVICE_ID) return beforeRow.get(username)?.signed_out_at == null;
      return db.prepare("SELECT 1 FROM devices WHERE username = ? AND id = ? AND kind = 'key'").get(username, id) !== undefined;
    },
    list(username) {
      return rowsOf
        .all(username)
        .filter((r) => r.signed_out_at === null)
        .map((r) => ({
          id: r.id,
          username: r.username,
          kind: r.kind,
          client: r.client,
          signedInAt: r.signed_in_at,
          firstSyncAt: r.first_sync_at,
          lastSyncAt: r.last_sync_at,
          lastAddress: r.last_address,
        }));
    },
    signOut,
    signOutAll(username, keep, nowMs) {
      return db.transaction(() => {
        let n = 0;
        const ids = new Set(rowsOf.all(username).map((r) => r.id));
        ids.add(BEFORE_DEVICE_ID);
        for (const id of ids) {
          if (keep.includes(id)) continue;
          if (id === BEFORE_DEVICE_ID && beforeRow.get(username)?.signed_out_at != null) continue;
          if (signOut(username, id, nowMs)) n++;
        }
        return n;
      })();
    },
    forget(username) {
      db.prepare('DELETE FROM devices WHERE username = ?').run(username);
    },
    createdAt() {
      const row = db.prepare<[], { value: string }>("SELECT value FROM meta WHERE name = 'created_at'").get();
      return Number(row?.value ?? 0);
    },
    dataVersion: () => dataVersion.get()!,
    close: () => db.close(),
  };
}
