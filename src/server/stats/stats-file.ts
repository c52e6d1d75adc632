/**
 * Each person's study figures (study-stats.ts) as last worked out: `<base>/.hearth/stats.json`,
 * written by the server after a sync that changed their collection, read by the hosts (which
 * cannot open a collection while the server has it: it is opened in exclusive locking mode). It
 * lives in the data folder, so it survives restarts and moves with the data; like activity.json
 * it is only a record: a missing or damaged file reads as "no figures yet".
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger.ts';
import { writeFileAtomicallyAsync } from '../util/atomic-file.ts';
import { STUDY_DAYS } from './study-stats.ts';
import type { StudyStats } from './study-stats.ts';

export type StudyStatsRecords = Readonly<Record<string, StudyStats>>;

interface StatsFile {
  readonly version: 1;
  readonly users: StudyStatsRecords;
}

export function studyStatsFilePath(base: string): string {
  return join(base, '.hearth', 'stats.json');
}

const count = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const counts = (v: unknown): v is number[] => Array.isArray(v) && v.length === STUDY_DAYS && v.every(count);

/** One person's figures as read from the file, or undefined when anything in them is off. */
function validStats(value: unknown): StudyStats | undefined {
  const v = value as Partial<Record<keyof StudyStats, unknown>> | null;
  if (typeof v !== 'object' || v === null) return undefined;
  const { computedAt, nextDayAt, daysElapsed, reviewsToday, reviewsByDay, daysInARow, dueByDay, notes, cards } = v;
  if (!(count(computedAt) && count(nextDayAt) && count(daysElapsed) && count(reviewsToday) && count(daysInARow))) return undefined;
  if (!(count(notes) && count(cards) && counts(reviewsByDay) && counts(dueByDay))) return undefined;
  return { computedAt, nextDayAt, daysElapsed, reviewsToday, reviewsByDay, daysInARow, dueByDay, notes, cards };
}

/** Reads stats.json: the figures of each person who has some. */
export function readStudyStats(base: string): StudyStatsRecords {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(studyStatsFilePath(base), 'utf8'));
  } catch {
    return {};
  }
  const file = data as { version?: unknown; users?: unknown } | null;
  const users = file?.users;
  if (file?.version !== 1 || typeof users !== 'object' || users === null || Array.isArray(users)) return {};
  const out: Record<string, StudyStats> = {};
  for (const [name, value] of Object.entries(users as Record<string, unknown>)) {
    const stats = validStats(value);
    if (stats) out[name] = stats;
  }
  return out;
}

export interface StudyStatsRecorder {
  /** The person's figures as last worked out. */
  get(username: string): StudyStats | undefined;
  /** Keeps the person's new figures and saves the file (on the thread pool, one write at a time). */
  record(username: string, stats: StudyStats): void;
  /** Waits for the writes in progress and pending. */
  flush(): Promise<void>;
}

export function createStudyStatsRecorder(deps: { readonly base: string; readonly logger: Logger }): StudyStatsRecorder {
  const log = deps.logger.child('study-stats');
  const path = studyStatsFilePath(deps.base);
  const records: Record<string, StudyStats> = { ...readStudyStats(deps.base) };
  let dirty = false;
  let writing: Promise<void> | undefined;

  /** Saves the records; a write asked for during another follows it, with the latest records. */
  const write = (): Promise<void> => {
    if (writing) return writing.then(write);
    if (!dirty) return Promise.resolve();
    dirty = false;
    const text = JSON.stringify({ version: 1, users: records } satisfies StatsFile, null, 2) + '\n';
    writing = (async () => {
      try {
        await mkdir(join(deps.base, '.hearth'), { recursive: true });
        await writeFileAtomicallyAsync(path, text);
      } catch (err) {
        // Only a record: the sync it follows succeeded; the next one writes the figures again.
        log.warn('cannot save stats.json', { why: err instanceof Error ? err.message : String(err) });
      } finally {
        writing = undefined;
      }
    })();
    return writing;
  };

  return {
    get: (username) => (Object.hasOwn(records, username) ? records[username] : undefined),
    record(username, stats) {
      records[username] = stats;
      dirty = true;
      void write();
    },
    flush: () => write(),
  };
}
