/**
 * The window's "recent problems": the last problems in words a family member understands, newest
 * first, with their time. Fed by the supervisor (the server could not start, crashed) and by the
 * server itself (a sync that failed, a refused upload, a throttled login), in the app and in the
 * headless server alike. Kept in memory: it is about what happened since Hearth started.
 */
import { formatBytes } from '../shared/format-bytes.ts';
import type { RecentError } from '../shared/api.ts';
import { errorSentence } from '../shared/errors.ts';
import { sameFolderName } from '../shared/usernames.ts';
import type { HearthError } from '../shared/errors.ts';
import type { ServerProblem } from '../shared/server-process.ts';
import type { ServerState } from '../shared/server-state.ts';
import type { ServerRunner } from './server-runner.ts';

export const RECENT_ERRORS_MAX = 20;
/** The same sentence again within this time updates the last entry ("3 times") instead of adding one. */
export const REPEAT_WINDOW_MS = 10 * 60_000;

const by = (user: string | null): string => (user ? ` by ${user}` : '');

/**
 * The person a login meant when it tried an email address whose part before the @ is that
 * person's username ("anna@gmail.com" for anna): Anki asks for an "Email", so people type theirs.
 * Undefined when the name tried is a person itself (then the password was wrong) or no such person.
 */
export function personBehindEmail(tried: string, usernames: readonly string[]): string | undefined {
  if (usernames.some((u) => sameFolderName(u, tried))) return undefined;
  const email = /^([^@\s]+)@[^@\s]+\.[^@\s]+$/.exec(tried.trim());
  if (!email) return undefined;
  return usernames.find((u) => sameFolderName(u, email[1]!));
}

/** One sentence (or two) for a problem the server reported; `usernames`: the people here now. */
export function problemSentence(p: ServerProblem, usernames: readonly string[] = []): string {
  const tried = p.tried ?? p.user;
  switch (p.kind) {
    case 'login-failed': {
      const meant = tried ? personBehindEmail(tried, usernames) : undefined;
      if (meant !== undefined)
        return `A device tried to log in as “${tried}”: use “${meant}”, not an email address, as the username in Anki.`;
      return `A device could not log in${tried ? ` as “${tried}”` : ''}: the username or password was wrong.`;
    }
    case 'login-throttled':
      return `Too many wrong passwords${tried ? ` for “${tried}”` : ''}: Hearth makes that device wait a few minutes before it may try again.`;
    case 'login-expired':
      return p.user
        ? `A device of ${p.user} is no longer logged in (it was signed out, or the password was changed). Log in again in Anki on that device.`
        : 'A device tried to sync with a login Hearth does not know (a device signed out, a changed password, a removed person, or a device still logged in to AnkiWeb). Log in again in Anki on that device.';
    case 'upload-refused':
      return `Hearth refused a full upload${by(p.user)}. The device was told: “${p.detail}”`;
    case 'client-too-old':
      return 'A device with a very old Anki (Anki 2.0, or an AnkiDroid from before 2018) tried to sync; it cannot sync with Hearth. Update Anki on that device.';
    case 'backup-skipped':
      return `No backup of ${p.user ?? 'a person'}'s cards was made today: the disk with the sync data is nearly full (${formatBytes(Number(p.detail) || 0)} free). Free some space on it.`;
    case 'sync-failed':
      switch (p.status) {
        case 409:
          return `A sync${by(p.user)} stopped because another device of the same person started syncing at the same time. Sync again.`;
        case 413:
          return `A sync${by(p.user)} sent more than the server accepts at once (error 413).`;
        case 400:
          return `A sync${by(p.user)} failed: Anki sent something Hearth did not expect (error 400). Syncing again usually helps.`;
        default:
          return p.status >= 500
            ? `A sync${by(p.user)} failed because of a problem in Hearth (error ${p.status}). Hearth’s log has the details (Home says where it is).`
            : `A sync${by(p.user)} failed (error ${p.status}).`;
      }
  }
}

/** The supervisor's error in words; the port or folder is added when the detail names it. */
export function serverErrorSentence(error: HearthError): string {
  const sentence = errorSentence(error.code);
  const showDetail =
    error.code === 'port-in-use' ||
    error.code === 'folder-missing' ||
    error.code === 'folder-not-writable' ||
    error.code === 'folder-in-use';
  return showDetail && error.detail ? `${sentence} (${error.detail})` : sentence;
}

export interface RecentErrors {
  add(message: string, at?: number): void;
  /** Newest first. */
  list(): RecentError[];
}

export function createRecentErrors(deps: { readonly now: () => number; readonly max?: number }): RecentErrors {
  const max = deps.max ?? RECENT_ERRORS_MAX;
  // Oldest first; each with how often it happened in a row.
  const entries: { at: number; message: string; count: number }[] = [];
  return {
    add(message, at = deps.now()) {
      const last = entries.at(-1);
      if (last && last.message === message && at - last.at < REPEAT_WINDOW_MS) {
        last.at = at;
        last.count++;
        return;
      }
      entries.push({ at, message, count: 1 });
      if (entries.length > max) entries.splice(0, entries.length - max);
    },
    list() {
      return entries
        .map((e) => ({ at: new Date(e.at).toISOString(), message: e.count > 1 ? `${e.message} (${e.count} times)` : e.message }))
        .reverse();
    },
  };
}

/**
 * The recent problems of a host, fed by its runner: each time the server fails to start or
 * crashes, and each problem the running server reports (a failed sync, a refused upload, a
 * throttled login).
 */
export function setupRecentErrors(deps: {
  readonly runner: Pick<ServerRunner, 'onChange' | 'onProblem'>;
  readonly now: () => number;
  /** The people who can sync now (asked only after a failed login, to spot an email typed as the username). */
  readonly usernames?: () => readonly string[];
}): RecentErrors {
  const recent = createRecentErrors({ now: deps.now });
  let previous: ServerState['kind'] = 'stopped';
  const peopleNow = (): readonly string[] => {
    try {
      return deps.usernames?.() ?? [];
    } catch {
      // Only a better sentence is lost: the plain one is still true.
      return [];
    }
  };
  deps.runner.onProblem((problem) => recent.add(problemSentence(problem, problem.kind === 'login-failed' ? peopleNow() : []), problem.at));
  deps.runner.onChange((state) => {
    const was = previous;
    previous = state.kind;
    if (state.kind !== 'crashed' || was === 'crashed') return;
    const prefix = was === 'starting' ? 'The sync server could not start.' : 'The sync server stopped.';
    recent.add(`${prefix} ${serverErrorSentence(state.error)}`);
  });
  return recent;
}
