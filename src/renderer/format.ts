/**
 * Pure wording for the window: times, sizes, counts and the server's state in plain words.
 * Data in, text out, so the words are unit-tested (test/ui/format.test.ts) without a browser.
 */
import { errorSentence } from '../shared/errors.ts';
import type { ServerState } from '../shared/server-state.ts';
import type { DeviceSummary, PersonSummary, StudySummary, ThrottledLogin } from '../shared/api.ts';
import { formatBytes as bytesWithUnit } from '../shared/format-bytes.ts';

export function plural(n: number, one: string, many: string = `${one}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "just now", "5 minutes ago", "2 hours ago", "yesterday", "4 days ago", then the date. */
export function timeAgo(iso: string | null, now: number): string {
  if (iso === null) return 'never';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return 'never';
  const ago = Math.max(0, now - at);
  if (ago < MINUTE) return 'just now';
  if (ago < HOUR) return `${plural(Math.floor(ago / MINUTE), 'minute')} ago`;
  if (ago < DAY) return `${plural(Math.floor(ago / HOUR), 'hour')} ago`;
  if (ago < 2 * DAY) return 'yesterday';
  if (ago < 14 * DAY) return `${Math.floor(ago / DAY)} days ago`;
  return `on ${new Date(at).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric' })}`;
}

/** "in 8 seconds", "in 2 minutes". */
export function timeUntil(at: number, now: number): string {
  const s = Math.max(1, Math.round((at - now) / 1000));
  if (s < 90) return `in ${plural(s, 'second')}`;
  return `in ${plural(Math.round(s / 60), 'minute')}`;
}

/** A person's or the folder's size (shared/format-bytes.ts); "nothing yet" before anything was synced. */
export function formatBytes(bytes: number): string {
  return !Number.isFinite(bytes) || bytes <= 0 ? 'nothing yet' : bytesWithUnit(bytes);
}

export function personBytes(p: PersonSummary): number {
  return p.collectionBytes + p.mediaBytes;
}

export function mediaCount(n: number): string {
  return n === 0 ? 'no pictures or sounds' : plural(n, 'picture or sound', 'pictures and sounds');
}

/**
 * What a person studied in one line: "12 reviews today · 80 in the last 7 days · 5 days in a row ·
 * 23 due today · 1,204 notes, 2,380 cards"; null (no sync that changed their cards yet) is null.
 */
export function studyLine(study: StudySummary | null): string | null {
  if (study === null) return null;
  const parts = [
    study.reviewsToday === 0 ? 'no reviews today' : `${plural(study.reviewsToday, 'review')} today`,
    `${study.reviewsLast7Days.toLocaleString('en')} in the last 7 days`,
  ];
  if (study.daysInARow > 0) parts.push(`${plural(study.daysInARow, 'day')} in a row`);
  if (study.dueToday !== null) parts.push(study.dueToday === 0 ? 'nothing due today' : `${study.dueToday.toLocaleString('en')} due today`);
  parts.push(`${plural(study.notes, 'note')}, ${plural(study.cards, 'card')}`);
  return parts.join(' · ');
}

/** "Last synced 2 hours ago with AnkiDroid 2.20.1" / "Has not synced yet". */
export function lastSyncLine(p: PersonSummary, now: number): string {
  if (p.lastSyncAt === null) return 'Has not synced yet';
  const when = timeAgo(p.lastSyncAt, now);
  return p.lastClient ? `Last synced ${when} with ${p.lastClient}` : `Last synced ${when}`;
}

/** "last synced 2 hours ago", "signed in 5 minutes ago, not synced yet". */
export function deviceWhen(d: DeviceSummary, now: number): string {
  if (d.lastSyncAt !== null) return `last synced ${timeAgo(d.lastSyncAt, now)}`;
  if (d.signedInAt !== null) return `signed in ${timeAgo(d.signedInAt, now)}, not synced yet`;
  return 'not synced yet';
}

/** "AnkiDroid on Android — last synced 2 hours ago". */
export function deviceLine(d: DeviceSummary, now: number): string {
  return `${d.name} — ${deviceWhen(d, now)}`;
}

/** The small print under a device: "AnkiDroid 2.23 or 2.24 · from 192.168.1.40" (empty when nothing is known). */
export function deviceDetail(d: DeviceSummary): string {
  return [d.app, d.lastAddress === null ? null : `from ${d.lastAddress}`].filter((x) => x !== null && x !== '').join(' · ');
}

/** "14:05": a time within the next hours, as the clock on the wall shows it. */
export function clockTime(at: number): string {
  return new Date(at).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
}

/**
 * "A device at 192.168.1.40 is refused for too many wrong passwords until 14:05 (in 15 minutes)."
 * One sentence for Home and the People page; an address refused whatever name it tries says so.
 */
export function refusedLoginSentence(t: ThrottledLogin, now: number): string {
  const until = Date.parse(t.until);
  const anyName = t.username === null ? ', whatever name it tries,' : '';
  return `A device at ${t.address} is refused${anyName} for too many wrong passwords until ${clockTime(until)} (${timeUntil(until, now)}).`;
}

/** "anna", "anna and ben", "anna, ben and carla". */
export function listInWords(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

export type Tone = 'ok' | 'busy' | 'off' | 'problem';

export interface StateWords {
  /** A few words for the header badge, whole on their own: the badge is all some people read (no tooltip). */
  readonly short: string;
  readonly headline: string;
  readonly detail: string;
  readonly tone: Tone;
}

/** The server's state as a family member reads it. */
export function serverStateWords(state: ServerState, enabled: boolean, now: number): StateWords {
  switch (state.kind) {
    case 'running': {
      if (state.activity.syncing) {
        const who = state.activity.syncingUsers ?? [];
        return {
          short: 'Syncing now',
          headline: 'Syncing now',
          detail:
            who.length > 0 ? `${listInWords(who)} ${who.length === 1 ? 'is' : 'are'} syncing right now.` : 'A device is syncing right now.',
          tone: 'busy',
        };
      }
      return {
        short: 'Sync server on',
        headline: 'Hearth is on',
        detail: 'Anki on your phones and computers can sync with this PC.',
        tone: 'ok',
      };
    }
    case 'starting':
      return {
        short: 'Sync server starting',
        headline: 'Starting the sync server…',
        detail: state.attempt > 1 ? `Trying again (attempt ${state.attempt}).` : 'This takes a few seconds.',
        tone: 'busy',
      };
    case 'stopping':
      return {
        short: 'Sync server stopping',
        headline: 'Stopping the sync server…',
        detail: state.activity.syncing ? 'Waiting for the sync in progress to finish first.' : 'This takes a moment.',
        tone: 'busy',
      };
    case 'stopped':
      return enabled
        ? { short: 'Sync server stopped', headline: 'The sync server is stopped', detail: 'It will start in a moment.', tone: 'off' }
        : {
            short: 'Sync server off',
            headline: 'Hearth is off',
            detail: 'Anki cannot sync with this PC until you switch the sync server on.',
            tone: 'off',
          };
    case 'crashed': {
      const retry =
        state.retryAt === null
          ? ' Fix this, then switch the sync server off and on again.'
          : ` Hearth will try again ${timeUntil(state.retryAt, now)}.`;
      const detail = state.error.detail ? ` Details: ${state.error.detail.replace(/\.$/, '')}.` : '';
      return {
        short: 'Sync server problem',
        headline: 'Hearth has a problem',
        detail: `${errorSentence(state.error.code)}${retry}${detail}`,
        tone: 'problem',
      };
    }
  }
}
