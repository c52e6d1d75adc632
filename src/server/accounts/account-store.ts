/**
 * Hearth's own accounts, kept in `<base>/.hearth/accounts.json` next to the users' folders.
 *
 * What is stored per account is one argon2id hash of the key the official server derives from
 * `SYNC_USERn=user:pass`: sha1("user:pass"). A login computes that key from the username and
 * password and checks it; the password itself is never stored. The key handed to the device is
 * its own (accounts/device-store.ts); devices that signed in before that hold the derived key,
 * checked against `keyFromBefore`, until they are signed out.
 * Writes are atomic (temp file + rename); another process (the CLI, the app) may change the
 * file while the server runs, so readers reload it when its modification time changes.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { passwordProblem, sameFolderName, usernameProblem } from '../../shared/usernames.ts';
import { hashArgon2id } from './argon2id.ts';
import { hostKeyFor } from './host-key.ts';
import { writeFileAtomically } from '../util/atomic-file.ts';

export interface StoredAccount {
  readonly username: string;
  /** argon2id PHC string of the host key. */
  readonly verifier: string;
  readonly createdAt: string;
  readonly passwordChangedAt: string;
  /**
   * argon2id of the key that devices signed in before per-device keys hold (accounts/device-store.ts):
   * absent in files written before them, where it is `verifier`; null when no device can hold one
   * (a person added since, or the password changed without keeping them).
   */
  readonly keyFromBefore?: string | null;
}

/** The hash that a device's key from before must match, or null when none is accepted. */
export function keyFromBeforeOf(account: StoredAccount): string | null {
  return account.keyFromBefore === undefined ? account.verifier : account.keyFromBefore;
}

interface AccountFile {
  readonly version: 1;
  readonly accounts: readonly StoredAccount[];
}

export class AccountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccountError';
  }
}

export function accountFilePath(base: string): string {
  return join(base, '.hearth', 'accounts.json');
}

/** Private to the user: the folder 0700, the file 0600 (POSIX; Windows keeps the folder's ACL). */
function atomicWrite(path: string, text: string): void {
  writeFileAtomically(path, text, { mode: 0o600, dirMode: 0o700 });
}

function validateFile(data: unknown, path: string): AccountFile {
  const bad = (why: string): never => {
    throw new AccountError(`The account file ${path} is damaged (${why}). Restore it from a backup or remove it.`);
  };
  if (typeof data !== 'object' || data === null) bad('not an object');
  const file = data as { version?: unknown; accounts?: unknown };
  if (file.version !== 1) bad(`unknown version ${String(file.version)}`);
  if (!Array.isArray(file.accounts)) bad('no account list');
  for (const a of file.accounts as unknown[]) {
    const acc = a as Partial<StoredAccount>;
    if (typeof acc.username !== 'string' || usernameProblem(acc.username)) bad('an invalid username');
    if (typeof acc.verifier !== 'string' || !acc.verifier.startsWith('$argon2id$')) bad('an invalid password hash');
    const before: unknown = acc.keyFromBefore;
    if (before !== undefined && before !== null && (typeof before !== 'string' || !before.startsWith('$argon2id$')))
      bad('an invalid key hash');
  }
  return file as AccountFile;
}

export interface AccountStore {
  readonly path: string;
  /** Current accounts (reloaded from disk if another process changed the file). */
  list(): readonly StoredAccount[];
  /** Increments whenever the accounts changed on disk; lets callers drop caches. */
  generation(): number;
  add(username: string, password: string): Promise<void>;
  remove(username: string): void;
  /**
   * keepDevicesFromBefore: devices signed in before per-device keys go on syncing with the old
   * password's key (the parent chose to keep them); otherwise that key stops working.
   */
  setPassword(username: string, password: string, keepDevicesFromBefore?: boolean): Promise<void>;
}

export function openAccountStore(base: string): AccountStore {
  const path = accountFilePath(base);
  let cached: AccountFile = { version: 1, accounts: [] };
  let cachedStamp = '';
  let gen = 0;

  const load = (): AccountFile => {
    let stamp: string;
    try {
      const st = statSync(path);
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      stamp = 'missing';
    }
    if (stamp !== cachedStamp) {
      cached = stamp === 'missing' ? { version: 1, accounts: [] } : validateFile(JSON.parse(readFileSync(path, 'utf8')), path);
      cachedStamp = stamp;
      gen++;
    }
    return cached;
  };

  const save = (accounts: readonly StoredAccount[]): void => {
    atomicWrite(path, JSON.stringify({ version: 1, accounts } satisfies AccountFile, null, 2) + '\n');
    load();
  };

  const find = (username: string): StoredAccount | undefined => load().accounts.find((a) => a.username === username);

  return {
    path,
    list: () => load().accounts,
    generation: () => (load(), gen),
    async add(username, password) {
      const problem = usernameProblem(username) ?? passwordProblem(password);
      if (problem) throw new AccountError(problem);
      const clash = load().accounts.find((a) => sameFolderName(a.username, username));
      if (clash) throw new AccountError(`There is already a person called "${clash.username}".`);
      const verifier = await hashArgon2id(hostKeyFor(`${username}:${password}`));
      const now = new Date().toISOString();
      // Re-read after the slow hash so a concurrent change is not overwritten.
      const current = load().accounts;
      if (current.some((a) => sameFolderName(a.username, username)))
        throw new AccountError(`There is already a person called "${username}".`);
      // A new person's devices all sign in with keys of their own: no key from before.
      save([...current, { username, verifier, createdAt: now, passwordChangedAt: now, keyFromBefore: null }]);
    },
    remove(username) {
      if (!find(username)) throw new AccountError(`There is no person called "${username}".`);
      save(load().accounts.filter((a) => a.username !== username));
    },
    async setPassword(username, password, keepDevicesFromBefore = false) {
      const problem = passwordProblem(password);
      if (problem) throw new AccountError(problem);
      if (!find(username)) throw new AccountError(`There is no person called "${username}".`);
      const verifier = await hashArgon2id(hostKeyFor(`${username}:${password}`));
      const now = new Date().toISOString();
      save(
        load().accounts.map((a) =>
          a.username === username
            ? { ...a, verifier, passwordChangedAt: now, keyFromBefore: keepDevicesFromBefore ? keyFromBeforeOf(a) : null }
            : a,
        ),
      );
    },
  };
}
