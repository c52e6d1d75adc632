/**
 * The people who can sync, as the window shows and edits them; shared by the desktop app
 * (src/main) and the headless admin (src/headless). Accounts are Hearth's own store
 * (`<base>/.hearth/accounts.json`, argon2id): the running server reloads it when it changes, so
 * adding a person, changing a password or removing someone works at once, without a restart.
 *
 * Every action answers with an ActionResult: ok, or one sentence saying what is wrong, and then
 * nothing was changed. SYNC_USERn people of the headless server are listed too (source
 * 'environment') but are not editable here: they come from the server's environment.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ActionResult, DeviceSummary, PersonSummary } from '../shared/api.ts';
import { clientDisplayName, deviceDisplayName } from '../shared/client-names.ts';
import { passwordProblem, sameFolderName, usernameProblem } from '../shared/usernames.ts';
import {
  AccountError,
  BEFORE_DEVICE_ID,
  keyFromBeforeOf,
  openAccountStore,
  openDeviceStore,
  readActivity,
  readStudyStats,
  studyFiguresAt,
  userPaths,
} from '../server/index.ts';
import type { AccountStore, ActivityRecords, DeviceStore, Logger, StudyStats, StudyStatsRecords } from '../server/index.ts';

export interface PeopleDeps {
  /** The data folder now (it changes when the data is moved). */
  readonly base: () => string;
  /** SYNC_USERn usernames (headless only; the app has none). */
  readonly envUsernames: () => readonly string[];
  readonly logger: Logger;
  /**
   * Tells the running server that people or devices were removed or signed out, and resolves
   * once their syncs in progress are rolled back and a removed person's files closed
   * (ServerRunner.credentialsChanged). Without it the server notices at the next request.
   */
  readonly credentialsChanged?: () => Promise<void>;
  readonly now?: () => number;
  readonly openStore?: (base: string) => AccountStore;
  readonly readActivity?: (base: string) => ActivityRecords;
  /** Each person's study figures as the server last worked them out (`.hearth/stats.json`). */
  readonly readStudyStats?: (base: string) => StudyStatsRecords;
}

export interface People {
  list(): Promise<PersonSummary[]>;
  add(username: string, password: string): Promise<ActionResult>;
  /** Signs out every device of the person but those in keepDevices. */
  changePassword(username: string, password: string, keepDevices?: readonly string[]): Promise<ActionResult>;
  remove(username: string, deleteData: boolean): Promise<ActionResult>;
  signOutDevice(username: string, deviceId: string): Promise<ActionResult>;
  signOutAllDevices(username: string): Promise<ActionResult>;
}

/** The usernames of Hearth's own accounts in the data folder `base` now (SYNC_USERn people are the host's to add). */
export function accountUsernames(base: string): string[] {
  return openAccountStore(base)
    .list()
    .map((a) => a.username);
}

const BEFORE_NAME = 'Devices signed in before this update';

const OK: ActionResult = { ok: true };
const problem = (sentence: string): ActionResult => ({ ok: false, problem: sentence });

/** Size of a file, 0 when it does not exist. */
async function fileSize(path: string): Promise<number> {
  try {
    const st = await stat(path);
    return st.isFile() ? st.size : 0;
  } catch {
    return 0;
  }
}

/** Files and bytes directly in the media folder (Anki's media folder is flat). */
export async function mediaUsage(mediaDir: string): Promise<{ files: number; bytes: number }> {
  let names: string[];
  try {
    names = await readdir(mediaDir);
  } catch {
    return { files: 0, bytes: 0 };
  }
  let files = 0;
  let bytes = 0;
  // Bounded parallelism: a media folder can hold tens of thousands of files.
  for (let i = 0; i < names.length; i += 256) {
    const sizes = await Promise.all(
      names.slice(i, i + 256).map(async (name) => {
        try {
          const st = await stat(join(mediaDir, name));
          return st.isFile() ? st.size : -1;
        } catch {
          return -1;
        }
      }),
    );
    for (const size of sizes) {
      if (size < 0) continue;
      files++;
      bytes += size;
    }
  }
  return { files, bytes };
}

export function createPeople(deps: PeopleDeps): People {
  const log = deps.logger.child('people');
  const open = deps.openStore ?? openAccountStore;
  const activityOf = deps.readActivity ?? readActivity;
  const studyOf = deps.readStudyStats ?? readStudyStats;
  // One store per folder: it caches the file and reloads it when it changes.
  const stores = new Map<string, AccountStore>();
  const store = (): AccountStore => {
    const base = deps.base();
    let s = stores.get(base);
    if (!s) {
      s = open(base);
      stores.set(base, s);
    }
    return s;
  };
  const envName = (username: string): string | undefined => deps.envUsernames().find((n) => sameFolderName(n, username));
  const notEditable = (name: string): ActionResult =>
    problem(`“${name}” is set by a SYNC_USER variable when the server starts; change or remove it there.`);
  const now = deps.now ?? Date.now;
  const credentialsChanged = async (): Promise<void> => {
    try {
      await deps.credentialsChanged?.();
    } catch (err) {
      // The server notices at the next request anyway; only the rollback of a sync in progress waits.
      log.warn('could not tell the server about signed-out devices', { why: err instanceof Error ? err.message : String(err) });
    }
  };
  /** The device list is opened for each use and closed again: a data move must be able to copy and remove it. */
  const withDevices = <T>(base: string, use: (devices: DeviceStore) => T): T => {
    const devices = openDeviceStore(base, now());
    try {
      return use(devices);
    } finally {
      devices.close();
    }
  };
  const account = (username: string) =>
    store()
      .list()
      .find((a) => a.username === username);
  /** Whether a device signed in before per-device keys can still sync as this person. */
  const acceptsKeyFromBefore = (username: string): boolean => {
    if (deps.envUsernames().includes(username)) return true;
    const a = account(username);
    return a !== undefined && keyFromBeforeOf(a) !== null;
  };
  /** Who is a person now, exactly as named (environment or account). */
  const exists = (username: string): boolean => deps.envUsernames().includes(username) || account(username) !== undefined;

  const devicesOf = (devices: DeviceStore, username: string, activity: ActivityRecords): DeviceSummary[] => {
    const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
    const out: DeviceSummary[] = [];
    let before = false;
    for (const d of devices.list(username)) {
      if (d.kind === 'before') {
        if (!acceptsKeyFromBefore(username)) continue;
        before = true;
      }
      out.push({
        id: d.id,
        name: d.kind === 'before' ? BEFORE_NAME : deviceDisplayName(d.client),
        app: clientDisplayName(d.client),
        fromBefore: d.kind === 'before',
        signedInAt: iso(d.signedInAt),
        firstSyncAt: iso(d.firstSyncAt),
        lastSyncAt: iso(d.lastSyncAt),
        lastAddress: d.lastAddress,
      });
    }
    // Synced before this version, and not seen since: its devices hold the key from before.
    const record = Object.hasOwn(activity, username) ? activity[username] : undefined;
    if (
      !before &&
      record &&
      Date.parse(record.lastSyncAt) < devices.createdAt() &&
      acceptsKeyFromBefore(username) &&
      !devices.beforeSignedOut(username)
    ) {
      out.push({
        id: BEFORE_DEVICE_ID,
        name: BEFORE_NAME,
        app: clientDisplayName(record.client),
        fromBefore: true,
        signedInAt: null,
        firstSyncAt: null,
        lastSyncAt: record.lastSyncAt,
        lastAddress: null,
      });
    }
    return out.sort((a, b) => (b.lastSyncAt ?? b.signedInAt ?? '').localeCompare(a.lastSyncAt ?? a.signedInAt ?? ''));
  };

  const summary = async (
    base: string,
    username: string,
    source: PersonSummary['source'],
    activity: ActivityRecords,
    devices: readonly DeviceSummary[],
    studied: StudyStats | undefined,
  ) => {
    let paths;
    try {
      paths = userPaths(base, username);
    } catch {
      paths = undefined;
    }
    const record = Object.hasOwn(activity, username) ? activity[username] : undefined;
    const collectionBytes = paths ? (await fileSize(paths.collection)) + (await fileSize(`${paths.collection}-wal`)) : 0;
    const media = paths ? await mediaUsage(paths.mediaDir) : { files: 0, bytes: 0 };
    return {
      username,
      source,
      lastSyncAt: record?.lastSyncAt ?? null,
      lastClient: record ? clientDisplayName(record.client) : null,
      collectionBytes,
      mediaFiles: media.files,
      mediaBytes: media.bytes,
      devices,
      // Figures of a collection no longer there (the person removed with their data) are not theirs.
      study: studied && collectionBytes > 0 ? studyFiguresAt(studied, now()) : null,
    } satisfies PersonSummary;
  };

  return {
    async list() {
      const base = deps.base();
      const activity = activityOf(base);
      const stats = studyOf(base);
      const env = deps.envUsernames();
      const names: { username: string; source: PersonSummary['source'] }[] = env.map((username) => ({ username, source: 'environment' }));
      for (const account of store().list()) {
        // The SYNC_USERn entry wins over an account of the same name (as when logging in).
        if (!env.some((n) => sameFolderName(n, account.username))) names.push({ username: account.username, source: 'hearth' });
      }
      names.sort((a, b) => a.username.localeCompare(b.username, undefined, { sensitivity: 'base' }));
      const devices = withDevices(base, (d) => new Map(names.map((n) => [n.username, devicesOf(d, n.username, activity)])));
      return Promise.all(
        names.map((n) =>
          summary(
            base,
            n.username,
            n.source,
            activity,
            devices.get(n.username) ?? [],
            Object.hasOwn(stats, n.username) ? stats[n.username] : undefined,
          ),
        ),
      );
    },

    async add(username, password) {
      const bad = usernameProblem(username) ?? passwordProblem(password);
      if (bad) return problem(bad);
      const env = envName(username);
      if (env !== undefined) return problem(`There is already a person called “${env}”.`);
      try {
        await store().add(username, password);
      } catch (err) {
        if (err instanceof AccountError) return problem(err.message.replace(/"([^"]*)"/g, '“$1”'));
        throw err;
      }
      log.info('person added', { user: username });
      return OK;
    },

    async changePassword(username, password, keepDevices = []) {
      const env = envName(username);
      if (env !== undefined) return notEditable(env);
      const bad = passwordProblem(password);
      if (bad) return problem(bad);
      if (account(username) === undefined) return problem(`There is no person called “${username}”.`);
      const base = deps.base();
      const listed = withDevices(base, (d) => devicesOf(d, username, activityOf(base)).map((x) => x.id));
      const unknown = keepDevices.find((id) => !listed.includes(id));
      if (unknown !== undefined)
        return problem(`${username} has no such device (it may have been signed out already); nothing was changed.`);
      try {
        await store().setPassword(username, password, keepDevices.includes(BEFORE_DEVICE_ID));
      } catch (err) {
        if (err instanceof AccountError) return problem(err.message.replace(/"([^"]*)"/g, '“$1”'));
        throw err;
      }
      const signedOut = withDevices(base, (d) => d.signOutAll(username, keepDevices, now()));
      log.info('password changed', { user: username, signedOut, kept: keepDevices.length });
      await credentialsChanged();
      return OK;
    },

    async signOutDevice(username, deviceId) {
      if (!exists(username)) return problem(`There is no person called “${username}”.`);
      const base = deps.base();
      const done = withDevices(base, (d) => {
        if (!devicesOf(d, username, activityOf(base)).some((x) => x.id === deviceId)) return false;
        return d.signOut(username, deviceId, now());
      });
      if (!done) return problem(`${username} has no such device (it may have been signed out already); nothing was changed.`);
      log.info('device signed out', { user: username, device: deviceId });
      await credentialsChanged();
      return OK;
    },

    async signOutAllDevices(username) {
      if (!exists(username)) return problem(`There is no person called “${username}”.`);
      const signedOut = withDevices(deps.base(), (d) => d.signOutAll(username, [], now()));
      log.info('every device signed out', { user: username, signedOut });
      await credentialsChanged();
      return OK;
    },

    async remove(username, deleteData) {
      const env = envName(username);
      if (env !== undefined) return notEditable(env);
      if (
        !store()
          .list()
          .some((a) => a.username === username)
      )
        return problem(`There is no person called “${username}”.`);
      const base = deps.base();
      // Proves the folder is directly inside the data folder before anything is changed.
      let dir: string;
      try {
        dir = userPaths(base, username).dir;
      } catch {
        return problem(`“${username}” does not name a folder inside the data folder; nothing was changed.`);
      }
      try {
        store().remove(username);
      } catch (err) {
        if (err instanceof AccountError) return problem(err.message.replace(/"([^"]*)"/g, '“$1”'));
        throw err;
      }
      withDevices(base, (d) => d.forget(username));
      log.info('person removed', { user: username, deleteData });
      // Every key of theirs stopped working with the account; a sync in progress is rolled back
      // and their files closed before anything is deleted.
      await credentialsChanged();
      if (!deleteData) return OK;
      // Only now that the account is gone (nobody can sync into it any more) is the folder deleted.
      try {
        await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      } catch (err) {
        log.warn('cannot delete the person’s folder', { user: username, why: err instanceof Error ? err.message : String(err) });
        return problem(`${username} was removed, but their cards and media could not be deleted from ${dir}. Delete that folder yourself.`);
      }
      return OK;
    },
  };
}
