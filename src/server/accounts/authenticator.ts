/**
 * Who may sync: users from SYNC_USERn (verified exactly as the official server does) plus the
 * accounts of Hearth's account store (argon2id). Answers two questions: "do this username and
 * password log in?" (hostKey: a new key for the device, device-store.ts) and "which person's
 * device holds this key?" (every other request).
 */
import { randomBytes } from 'node:crypto';
import type { EnvUserEntry } from '../config.ts';
import { ConfigError } from '../config.ts';
import { SyncHttpError, forbidden } from '../errors.ts';
import type { Clock } from '../clock.ts';
import { usernameProblem, sameFolderName } from '../../shared/usernames.ts';
import { hostKeyFor } from './host-key.ts';
import { hashPlaintextLikeReference, parsePbkdf2Phc, verifyPbkdf2 } from './pbkdf2.ts';
import type { Pbkdf2Hash } from './pbkdf2.ts';
import { keyFromBeforeOf } from './account-store.ts';
import type { AccountStore } from './account-store.ts';
import { BEFORE_DEVICE_ID } from './device-store.ts';
import type { DeviceStore } from './device-store.ts';
import { hashArgon2id, verifyArgon2id } from './argon2id.ts';
import { createThrottle } from './throttle.ts';
import type { ThrottleRule } from './throttle.ts';

interface EnvUser {
  readonly username: string;
  readonly hostKey: string;
  readonly hash: Pbkdf2Hash;
}

export interface Authenticator {
  /** Usernames that can sync now (env users first). */
  usernames(): string[];
  /** Returns a new key for the device (`client`: its anki-sync `c`), or throws 403 (wrong credentials) / 429 (throttled). */
  login(username: string, password: string, clientAddress: string, client: string): Promise<string>;
  /** The person and device holding `hostKey`, or throws 403 / 429. */
  userForHostKey(hostKey: string, clientAddress: string): Promise<SignedInDevice>;
  /** Whether that device may still sync (its person exists and it was not signed out). */
  isSignedIn(device: SignedInDevice): boolean;
  /** Who is refused now for too many failures, from where, and until when. */
  throttled(): ThrottledLogin[];
  /** Lets an address try again now (for one username, or for every name when username is null). */
  allowAgain(clientAddress: string, username: string | null): void;
}

/** Who a key belongs to: a person and one of their devices (device-store.ts; `before`: a key from before). */
export interface SignedInDevice {
  readonly username: string;
  readonly device: string;
}

export interface ThrottledLogin {
  /** The username being tried; null when the address itself is refused (many names or keys tried). */
  readonly username: string | null;
  readonly address: string;
  /** When it may try again (ms since the epoch). */
  readonly untilMs: number;
}

/**
 * Wrong passwords for one username from one address: counted together, so that a stranger's
 * failures (another address) can never stop a family member's devices from logging in. A
 * success from that address clears them.
 */
export const USER_LOGIN_RULE: ThrottleRule = { maxFailures: 10, windowMs: 15 * 60_000 };
/** Failures of any kind from one address (many names guessed, or unknown host keys). */
export const ADDRESS_RULE: ThrottleRule = { maxFailures: 30, windowMs: 15 * 60_000 };

/** The throttle key of one username tried from one address. */
const loginKey = (username: string, clientAddress: string): string => `login:${clientAddress}|${username}`;
const addressKey = (clientAddress: string): string => `addr:${clientAddress}`;

/** Parses SYNC_USERn like the reference, but finds every mistake at startup rather than at login. */
export async function loadEnvUsers(entries: readonly EnvUserEntry[], passwordsHashed: boolean): Promise<EnvUser[]> {
  const users: EnvUser[] = [];
  for (const { raw, index } of entries) {
    const colon = raw.indexOf(':');
    if (colon < 0) throw new ConfigError(`SYNC_USER${index} must look like username:password`);
    const username = raw.slice(0, colon);
    const secret = raw.slice(colon + 1);
    const problem = usernameProblem(username);
    if (problem) throw new ConfigError(`SYNC_USER${index}: ${problem}`);
    const dup = users.find((u) => sameFolderName(u.username, username));
    if (dup) throw new ConfigError(`SYNC_USER${index}: "${username}" is defined twice (they would share one folder)`);
    let hash: Pbkdf2Hash;
    if (passwordsHashed) {
      try {
        hash = parsePbkdf2Phc(secret);
      } catch (err) {
        throw new ConfigError(
          `SYNC_USER${index}: PASSWORDS_HASHED is set but the password is not a valid PBKDF2 hash: ${(err as Error).message}`,
        );
      }
    } else {
      hash = await hashPlaintextLikeReference(secret);
    }
    users.push({ username, hostKey: hostKeyFor(raw), hash });
  }
  return users;
}

/** The two password checks; passed in so tests can count them (a login must cost the same for every name). */
export interface Verifiers {
  pbkdf2(stored: Pbkdf2Hash, password: string): Promise<boolean>;
  argon2(phc: string, plain: string): Promise<boolean>;
}

export const realVerifiers: Verifiers = {
  pbkdf2: verifyPbkdf2,
  argon2: verifyArgon2id,
};

export interface AuthenticatorDeps {
  readonly clock: Clock;
  readonly verifiers?: Verifiers;
}

export async function createAuthenticator(
  envUsers: readonly EnvUser[],
  store: AccountStore | undefined,
  devices: DeviceStore,
  deps: AuthenticatorDeps,
): Promise<Authenticator> {
  const throttle = createThrottle(deps.clock);
  const verify = deps.verifiers ?? realVerifiers;
  // Dummies keep a login's cost the same whatever the name: every login computes exactly one
  // PBKDF2 (when env users exist) and one argon2id, real or not.
  const dummyPbkdf2 = envUsers[0]?.hash;
  // Made on first need: a server with only SYNC_USERn users never pays argon2's memory.
  let dummyArgon2: Promise<string> | undefined;
  const dummyArgon2Hash = (): Promise<string> => (dummyArgon2 ??= hashArgon2id(randomBytes(16).toString('hex')));
  const envByKey = new Map(envUsers.map((u) => [u.hostKey, u.username]));

  // Keys from before already proven against an account; cleared whenever the account file changes.
  let storeKeys = new Map<string, string>();
  let storeMisses = new Set<string>();
  let storeGeneration = -1;
  const refreshStoreCaches = (): void => {
    const g = store?.generation() ?? 0;
    if (g !== storeGeneration) {
      storeKeys = new Map();
      storeMisses = new Set();
      storeGeneration = g;
    }
  };

  const refuseIfThrottled = (keys: Array<[string, ThrottleRule]>): void => {
    const wait = Math.max(...keys.map(([k, rule]) => throttle.retryAfterMs(k, rule)));
    if (wait > 0) {
      // Anki shows a 429 as "A network error occurred", followed by the status line: that line
      // says what is going on, and when to try again.
      const minutes = Math.max(1, Math.ceil(wait / 60_000));
      throw new SyncHttpError(
        'too-many-requests',
        'too many failed attempts',
        { 'retry-after': String(Math.ceil(wait / 1000)) },
        `Too many failed login attempts - try again in ${minutes} minute${minutes === 1 ? '' : 's'}`,
      );
    }
  };

  const storeAccounts = () => store?.list() ?? [];
  /** Exactly this name, as SYNC_USERn or an account (a device's person may have been removed). */
  const isPerson = (username: string): boolean =>
    envUsers.some((u) => u.username === username) || storeAccounts().some((a) => a.username === username);
  /** The account's key from before, if one is accepted now. */
  const beforeHashOf = (username: string): string | null => {
    const account = storeAccounts().find((a) => a.username === username);
    return account && !devices.beforeSignedOut(username) ? keyFromBeforeOf(account) : null;
  };

  return {
    usernames() {
      const names = envUsers.map((u) => u.username);
      for (const a of storeAccounts()) if (!names.some((n) => sameFolderName(n, a.username))) names.push(a.username);
      return names;
    },

    throttled() {
      const now = deps.clock.nowMs();
      const out: ThrottledLogin[] = [];
      for (const key of throttle.keys()) {
        const login = /^login:([^|]*)\|(.*)$/.exec(key);
        const address = login ? login[1]! : key.startsWith(addressKey('')) ? key.slice(addressKey('').length) : undefined;
        if (address === undefined) continue;
        const wait = throttle.retryAfterMs(key, login ? USER_LOGIN_RULE : ADDRESS_RULE);
        if (wait > 0) out.push({ username: login ? login[2]! : null, address, untilMs: now + wait });
      }
      return out.sort((a, b) => b.untilMs - a.untilMs);
    },

    allowAgain(clientAddress, username) {
      throttle.clear(username === null ? addressKey(clientAddress) : loginKey(username, clientAddress));
    },

    async login(username, password, clientAddress, client) {
      const userKey = loginKey(username, clientAddress);
      const addrKey = addressKey(clientAddress);
      refuseIfThrottled([
        [userKey, USER_LOGIN_RULE],
        [addrKey, ADDRESS_RULE],
      ]);
      refreshStoreCaches();
      const envUser = envUsers.find((u) => u.username === username);
      const account = envUser ? undefined : storeAccounts().find((a) => a.username === username);
      const hostKey = hostKeyFor(`${username}:${password}`);

      let ok = false;
      if (dummyPbkdf2) {
        const pbkdf2Ok = await verify.pbkdf2(envUser?.hash ?? dummyPbkdf2, password);
        ok = envUser !== undefined && pbkdf2Ok;
      }
      // With no stored accounts no login can use argon2, so every login costs the same without it.
      if (storeAccounts().length > 0) {
        const argonOk = await verify.argon2(account?.verifier ?? (await dummyArgon2Hash()), hostKey);
        if (account) ok = argonOk;
      }

      if (!ok) {
        throttle.recordFailure(userKey);
        throttle.recordFailure(addrKey);
        throw forbidden('wrong username or password');
      }
      throttle.clear(userKey);
      return devices.addDevice(username, client, clientAddress, deps.clock.nowMs());
    },

    isSignedIn({ username, device }) {
      if (!isPerson(username)) return false;
      if (device !== BEFORE_DEVICE_ID) return devices.isSignedIn(username, device);
      if (envUsers.some((u) => u.username === username)) return !devices.beforeSignedOut(username);
      refreshStoreCaches();
      return beforeHashOf(username) !== null;
    },

    async userForHostKey(hostKey, clientAddress) {
      // A key of this server's own (every login since per-device keys): one indexed lookup.
      const own = devices.deviceForKey(hostKey);
      if (own !== undefined && isPerson(own.username)) return { username: own.username, device: own.id };
      // The official server's derived key, held by devices signed in before (docs/protocol/http.md §8.1).
      const envName = envByKey.get(hostKey);
      if (envName !== undefined && !devices.beforeSignedOut(envName)) return { username: envName, device: BEFORE_DEVICE_ID };
      refreshStoreCaches();
      const known = storeKeys.get(hostKey);
      if (known !== undefined && beforeHashOf(known) !== null) return { username: known, device: BEFORE_DEVICE_ID };
      const addrKey = addressKey(clientAddress);
      refuseIfThrottled([[addrKey, ADDRESS_RULE]]);
      if (envName === undefined && known === undefined && /^[0-9a-f]{40}$/.test(hostKey) && !storeMisses.has(hostKey)) {
        // A key not seen since start-up (e.g. a phone after a restart): check it against each
        // account's key from before once, then remember the answer either way.
        for (const account of storeAccounts()) {
          const before = beforeHashOf(account.username);
          if (before !== null && (await verify.argon2(before, hostKey))) {
            storeKeys.set(hostKey, account.username);
            return { username: account.username, device: BEFORE_DEVICE_ID };
          }
        }
        if (storeMisses.size > 1000) storeMisses.clear();
        storeMisses.add(hostKey);
      }
      throttle.recordFailure(addrKey);
      throw forbidden('unknown host key');
    },
  };
}
