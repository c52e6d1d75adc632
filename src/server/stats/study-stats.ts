/**
 * What a person studied, worked out from the server's copy of their collection the way their own
 * Anki works it out (day-timing.ts says what "today" is):
 *
 * - **Reviews today**: answers given since the day started, as the client's "Studied N cards
 *   today" counts them (rslib/src/storage/revlog/studied_today.sql): review log rows with
 *   `id > start of today` (ids are ms), except manual rescheduling (`type` 4, "Set due date",
 *   "Forget") and FSRS rescheduling (`type` 5), which are no answers.
 * - **Reviews per day** (the last 7 days, and "days studied in a row"): the days of the client's
 *   Reviews graph (rslib/src/stats/graphs/reviews.rs): a row belongs to day
 *   `(id / 1000 - next_day_at) / 86_400`, divided as Rust and SQLite divide integers (towards
 *   zero), so day 0 is today and -1 yesterday; the same two types are left out. A day studied is
 *   a day of that graph with any answer. The days in a row end today, or yesterday when nothing
 *   was answered yet today (the streak is not broken before the day is over).
 * - **Due**: the cards the client's search `is:due` finds (rslib/src/search/sqlwriter.rs,
 *   `StateKind::Due`): review and day-learning cards (queue 2, 3) with `due <= today`, and
 *   learning and preview cards (queue 1, 4; `due` a timestamp) due within the learn-ahead limit
 *   (`collapseTime`, 20 minutes unless set) from now. New cards are not due; suspended (-1) and
 *   buried (-2, -3) cards are not either, but buried ones come back on the first day after
 *   (rslib/src/scheduler/bury_and_suspend.rs `unbury_if_day_rolled_over`): the client does that
 *   on its own copy without marking the cards changed, so a server's copy can still hold them
 *   buried. A buried card counts as back (its queue restored from its type, as
 *   `restore_queue_from_type`) when the collection was not unburied today yet (`lastUnburied`),
 *   or when the card was buried (its `mod`) before the client's first look at today: before
 *   today began, or, when the day number moved on since the figures were last worked out
 *   without the day's start passing (the next-day-starts-at hour or the time zone changed),
 *   before that last time.
 * - **Notes and cards**: the rows of `notes` and `cards` (`col.note_count()`, `col.card_count()`).
 *
 * The figures are worked out after a sync and shown until the next: studyFiguresAt() moves them to
 * a later day (answers of days gone by drop out of "today" and the week, the days in a row end
 * when a day passes without any, and the cards due are those due at the start of that day if
 * nothing was studied meanwhile: dueByDay is worked out for the next days too).
 */
import type Database from 'better-sqlite3';
import type { StudySummary } from '../../shared/api.ts';
import { prepared } from '../util/prepared.ts';
import { dayTiming } from './day-timing.ts';

const DAY_SECS = 86_400;
/** Days of reviewsByDay and dueByDay: the 7 days of "the last 7 days", and the next 6 a figure can be moved to. */
export const STUDY_DAYS = 7;
/** revlog `type`s that are no answer: manual rescheduling and FSRS rescheduling (RevlogReviewKind). */
const NOT_ANSWERS = '(4, 5)';
/** `is_unix_epoch_timestamp`: a learning card's `due` is a timestamp, a day number otherwise. */
const TIMESTAMP_DUE = 1_000_000_000;
/** `learn_ahead_secs` when `collapseTime` is not set. */
const DEFAULT_LEARN_AHEAD_SECS = 1200;

/** What is kept per person (stats-file.ts) and moved to the day it is shown on. */
export interface StudyStats {
  /** When it was worked out, ms. */
  readonly computedAt: number;
  /** The collection's next day start at that time (`next_day_at`), seconds. */
  readonly nextDayAt: number;
  /** The collection's day number then (`days_elapsed`). */
  readonly daysElapsed: number;
  /** Answers since that day started (studied_today's rule). */
  readonly reviewsToday: number;
  /** Answers on that day and each of the 6 before it, that day first (the Reviews graph's days). */
  readonly reviewsByDay: readonly number[];
  /** Days in a row with answers, ending on that day, or the day before when that day had none. */
  readonly daysInARow: number;
  /** Cards due then (index 0), and at the start of each of the next 6 days if nothing is studied meanwhile. */
  readonly dueByDay: readonly number[];
  readonly notes: number;
  readonly cards: number;
}

/** The config values the figures need, as their stored JSON. */
function configValues(db: Database.Database, keys: readonly string[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const rows = prepared(db, `SELECT KEY, val FROM config WHERE KEY IN (${keys.map(() => '?').join(', ')})`).all(...keys) as {
    KEY: string;
    val: Uint8Array;
  }[];
  for (const { KEY, val } of rows) {
    try {
      out.set(KEY, JSON.parse(Buffer.from(val).toString('utf8')));
    } catch {
      // Unreadable is missing, as the client's get_config_optional reads it.
    }
  }
  return out;
}

/** A non-negative integer config value (a Rust u32), or the default. */
function u32(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff ? value : fallback;
}

/** The answers per day of the Reviews graph from day -(STUDY_DAYS - 1) on: one range of the review log. */
function answersThisWeek(db: Database.Database, nextDayAt: number): number[] {
  const rows = prepared(
    db,
    `SELECT (id / 1000 - ?) / 86400 AS day, count() AS n FROM revlog WHERE id >= ? AND type NOT IN ${NOT_ANSWERS} GROUP BY day`,
    'raw',
  ).all(BigInt(nextDayAt), firstIdOfDay(nextDayAt, -(STUDY_DAYS - 1))) as [number, number][];
  const perDay = new Map(rows);
  return Array.from({ length: STUDY_DAYS }, (_, i) => perDay.get(-i) ?? 0);
}

/**
 * The lowest review log id of day `d` ≤ 0 of the graph: the day holds the rows whose second
 * `s` gives `trunc((s - nextDayAt) / 86400) = d`, i.e. s from `nextDayAt + (d - 1) * 86400 + 1`.
 */
function firstIdOfDay(nextDayAt: number, d: number): bigint {
  return BigInt(nextDayAt + (d - 1) * DAY_SECS + 1) * 1000n;
}

/**
 * The days studied in a row ending today or yesterday. Beyond the week already counted, one
 * look per day at the review log's id range (its primary key), back to the first day without an
 * answer: a year in a row is a few milliseconds, where counting every answer of the year was tens.
 */
function daysInARow(db: Database.Database, nextDayAt: number, week: readonly number[]): number {
  const answered = prepared(db, `SELECT 1 FROM revlog WHERE id >= ? AND id < ? AND type NOT IN ${NOT_ANSWERS} LIMIT 1`, 'pluck');
  const studied = (d: number): boolean =>
    d > -STUDY_DAYS ? (week[-d] ?? 0) > 0 : answered.get(firstIdOfDay(nextDayAt, d), firstIdOfDay(nextDayAt, d + 1)) !== undefined;
  let days = 0;
  for (let d = studied(0) ? 0 : -1; studied(d); d--) days++;
  return days;
}

/**
 * Cards due at `nowSecs` and at the start of each of the next days (see the file's header).
 * `previous`: the figures worked out last time, which tell when the client looked at today at
 * the earliest. The counts are ranges of the cards' (did, queue, due) index, as the client's own
 * due counts are; buried cards are few and looked at one by one.
 */
function dueByDay(
  db: Database.Database,
  timing: { daysElapsed: number; nextDayAt: number },
  nowSecs: number,
  config: Map<string, unknown>,
  previous: StudyStats | undefined,
): number[] {
  const learnAhead = u32(config.get('collapseTime'), DEFAULT_LEARN_AHEAD_SECS);
  const lastUnburied = u32(config.get('lastUnburied'), 0);
  const today = timing.daysElapsed;
  // The client unburies at its first look at the day (unbury_if_day_rolled_over's condition).
  const unburyAllToday = lastUnburied < today || today + 7 < lastUnburied;
  // That look came after today began, and after the last figures if they were of an earlier day:
  // the day number only moves on with time, or with settings changed on the client after the sync
  // those figures followed. A card's `mod` is in seconds: one buried in the second of those
  // figures was buried before them (a sync, then the figures, then a bury within one second is
  // not how people study).
  const startOfToday = Math.max(
    timing.nextDayAt - DAY_SECS,
    previous !== undefined && previous.daysElapsed < today ? Math.floor(previous.computedAt / 1000) + 1 : 0,
  );
  // `did IN (every deck with cards)` makes each count a few ranges of the (did, queue, due) index
  // whatever SQLite's statistics say: without it, a count was a scan of every card (1-2 ms each
  // for 40,000 cards), and the buried cards' a scan of the table.
  const byDeck = 'did IN (SELECT DISTINCT did FROM cards)';
  const reviewsDue = prepared(db, `SELECT count() FROM cards WHERE ${byDeck} AND queue IN (2, 3) AND due <= ?`, 'pluck');
  const learningDue = prepared(db, `SELECT count() FROM cards WHERE ${byDeck} AND queue IN (1, 4) AND due <= ?`, 'pluck');
  const buried = prepared(
    db,
    `SELECT type, due, mod FROM cards WHERE id IN (SELECT id FROM cards WHERE ${byDeck} AND queue IN (-2, -3))`,
    'raw',
  ).all() as [number, number, number][];
  const out: number[] = [];
  for (let k = 0; k < STUDY_DAYS; k++) {
    // At the start of day k the client looks `learnAhead` seconds ahead, as it does now on day 0.
    const learnCutoff = (k === 0 ? Math.floor(nowSecs) : timing.nextDayAt + (k - 1) * DAY_SECS) + learnAhead;
    let due = Number(reviewsDue.get(BigInt(today + k))) + Number(learningDue.get(BigInt(learnCutoff)));
    for (const [type, cardDue, mod] of buried) {
      if (k === 0 && !unburyAllToday && mod >= startOfToday) continue;
      // restore_queue_from_type: review cards to the review queue; learning ones by their due.
      if (type === 2) due += cardDue <= today + k ? 1 : 0;
      else if (type === 1 || type === 3) due += (cardDue > TIMESTAMP_DUE ? cardDue <= learnCutoff : cardDue <= today + k) ? 1 : 0;
    }
    out.push(due);
  }
  return out;
}

/**
 * The figures of a collection at `nowMs`; read-only, on the caller's connection. `previous`: the
 * person's figures worked out last time, if any (they help to tell which buried cards the client
 * has unburied).
 */
export function computeStudyStats(db: Database.Database, nowMs: number, previous?: StudyStats): StudyStats {
  const config = configValues(db, ['schedVer', 'rollover', 'creationOffset', 'localOffset', 'collapseTime', 'lastUnburied']);
  const crt = Number(prepared(db, 'SELECT crt FROM col', 'pluck').get());
  const nowSecs = Math.floor(nowMs / 1000);
  const timing = dayTiming(
    {
      crt,
      schedVer: config.get('schedVer'),
      rollover: config.get('rollover'),
      creationOffset: config.get('creationOffset'),
      localOffset: config.get('localOffset'),
    },
    nowSecs,
  );
  const reviewsToday = Number(
    prepared(db, `SELECT count() FROM revlog WHERE id > ? AND type NOT IN ${NOT_ANSWERS}`, 'pluck').get(
      BigInt(timing.nextDayAt - DAY_SECS) * 1000n,
    ),
  );
  const reviewsByDay = answersThisWeek(db, timing.nextDayAt);
  return {
    computedAt: nowMs,
    nextDayAt: timing.nextDayAt,
    daysElapsed: timing.daysElapsed,
    reviewsToday,
    reviewsByDay,
    daysInARow: daysInARow(db, timing.nextDayAt, reviewsByDay),
    dueByDay: dueByDay(db, timing, nowSecs, config, previous),
    notes: Number(prepared(db, 'SELECT count() FROM notes', 'pluck').get()),
    cards: Number(prepared(db, 'SELECT count() FROM cards', 'pluck').get()),
  };
}

/** How many of the collection's days have started since the figures were worked out. */
export function daysPassed(stats: StudyStats, nowMs: number): number {
  const nowSecs = Math.floor(nowMs / 1000);
  return nowSecs < stats.nextDayAt ? 0 : Math.floor((nowSecs - stats.nextDayAt) / DAY_SECS) + 1;
}

/**
 * The figures as of `nowMs`, a day or more after they were worked out (the person has not synced
 * a change since): nothing was answered on the days since, as far as the server knows. The due
 * cards are known for STUDY_DAYS - 1 days ahead, then null. The collection's offset is taken to
 * stay as it was (a change to or from summer time moves the real day start by an hour until the
 * next sync).
 */
export function studyFiguresAt(stats: StudyStats, nowMs: number): StudySummary {
  const passed = daysPassed(stats, nowMs);
  const inWeek = stats.reviewsByDay.slice(0, Math.max(0, STUDY_DAYS - passed));
  // The days in a row ended on that day (0) or the day before (-1); they last while that is yesterday or today.
  const lastDay = (stats.reviewsByDay[0] ?? 0) > 0 ? 0 : -1;
  return {
    reviewsToday: passed === 0 ? stats.reviewsToday : 0,
    reviewsLast7Days: inWeek.reduce((a, b) => a + b, 0),
    daysInARow: stats.daysInARow > 0 && lastDay - passed >= -1 ? stats.daysInARow : 0,
    dueToday: passed < STUDY_DAYS ? (stats.dueByDay[passed] ?? null) : null,
    notes: stats.notes,
    cards: stats.cards,
    asOf: new Date(stats.computedAt).toISOString(),
  };
}
