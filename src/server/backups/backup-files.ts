/**
 * Each person's backups: whole copies of their collection in `<base>/<person>/backups/`, named
 * `collection-<reason>-<time>.anki2` (the time in UTC, ISO 8601 with `-` for `:` and `.`), so a
 * listing needs nothing but the folder, and the official server, which ignores the folder, is
 * not disturbed by it. Three reasons: `daily` (after that day's first sync), `before-upload` (the
 * collection a full upload replaced) and `before-restore` (the collection a restore replaced).
 *
 * Which are kept is one rule a parent can read (KEEP_RULE, `backupsToRemove`). Media files are
 * not copied: they are many, large, and only ever added or deleted, never edited.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export const BACKUP_REASONS = ['daily', 'before-upload', 'before-restore'] as const;
export type BackupReason = (typeof BACKUP_REASONS)[number];

export interface BackupFile {
  /** The file name: what the window and the command line name a backup by. */
  readonly id: string;
  readonly reason: BackupReason;
  /** ms since the epoch. */
  readonly takenAtMs: number;
}

/** How many of each are kept; KEEP_RULE says the same in words. */
export const DAILY_KEPT = 7;
export const WEEKLY_KEPT = 4;
export const BEFORE_UPLOAD_KEPT = 3;
export const BEFORE_RESTORE_KEPT = 3;

export const KEEP_RULE =
  `Hearth keeps a copy of each person’s cards from each of the last ${DAILY_KEPT} days they synced, one a week for the ` +
  `${WEEKLY_KEPT} weeks before, and the last ${BEFORE_UPLOAD_KEPT} collections replaced by “Upload to server” or by a restore. ` +
  'Pictures and sounds are not copied.';

const NAME = /^collection-(daily|before-upload|before-restore)-(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z)\.anki2$/;

export function backupFileName(reason: BackupReason, atMs: number): string {
  return `collection-${reason}-${new Date(atMs).toISOString().replace(/[:.]/g, '-')}.anki2`;
}

/** The backup a file name stands for; undefined for any other name (so an id never names another file). */
export function parseBackupName(name: string): BackupFile | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  const iso = m[2]!.replace(/^(\d{4}-\d\d-\d\dT\d\d)-(\d\d)-(\d\d)-(\d{3})Z$/, '$1:$2:$3.$4Z');
  const takenAtMs = Date.parse(iso);
  if (Number.isNaN(takenAtMs)) return undefined;
  return { id: name, reason: m[1] as BackupReason, takenAtMs };
}

/** The person's backups, newest first. */
export function listBackupFiles(backupsDir: string): BackupFile[] {
  let names: string[];
  try {
    names = readdirSync(backupsDir);
  } catch {
    return [];
  }
  return names
    .map(parseBackupName)
    .filter((b): b is BackupFile => b !== undefined)
    .sort((a, b) => b.takenAtMs - a.takenAtMs);
}

export const backupPath = (backupsDir: string, id: string): string => join(backupsDir, id);

/** The local calendar day of a time, `YYYY-MM-DD`. */
export function localDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** Monday of the local week of a time, as a day: the key that groups daily backups into weeks. */
function localWeek(ms: number): string {
  const d = new Date(ms);
  d.setHours(12, 0, 0, 0);
  d.setDate(d.getDate() - ((d.getDay() + 6) % 7));
  return localDay(d.getTime());
}

/**
 * The rule: the newest daily backup of each of the last DAILY_KEPT days that have one; then the
 * newest of each of the WEEKLY_KEPT weeks before those; the newest BEFORE_UPLOAD_KEPT taken
 * before an upload and BEFORE_RESTORE_KEPT before a restore. Everything else goes.
 */
export function backupsToRemove(backups: readonly BackupFile[]): BackupFile[] {
  const newestFirst = [...backups].sort((a, b) => b.takenAtMs - a.takenAtMs);
  const keep = new Set<string>();
  const keepNewest = (reason: BackupReason, n: number): void => {
    for (const b of newestFirst.filter((x) => x.reason === reason).slice(0, n)) keep.add(b.id);
  };
  keepNewest('before-upload', BEFORE_UPLOAD_KEPT);
  keepNewest('before-restore', BEFORE_RESTORE_KEPT);
  const days = new Set<string>();
  /** Weeks that hold a kept day: the weekly copies are of the weeks before those. */
  const weeksOfDays = new Set<string>();
  const weeks = new Set<string>();
  for (const b of newestFirst.filter((x) => x.reason === 'daily')) {
    const day = localDay(b.takenAtMs);
    if (days.size < DAILY_KEPT && !days.has(day)) {
      days.add(day);
      weeksOfDays.add(localWeek(b.takenAtMs));
      keep.add(b.id);
      continue;
    }
    if (days.has(day)) continue; // an older backup of a day already kept
    const week = localWeek(b.takenAtMs);
    if (weeksOfDays.has(week)) continue;
    if (weeks.size < WEEKLY_KEPT && !weeks.has(week)) {
      weeks.add(week);
      keep.add(b.id);
    }
  }
  return newestFirst.filter((b) => !keep.has(b.id));
}
