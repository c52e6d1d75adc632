/**
 * "Today" as a person's own Anki counts it: the number of days since the collection was created
 * (`days_elapsed`, what review cards' `due` is measured in) and the moment the next day starts
 * (`next_day_at`). A port of the official code, rslib/src/scheduler/timing.rs and
 * `timing_for_timestamp` in rslib/src/scheduler/mod.rs:
 *
 * - the scheduler version (`schedVer`; missing or unknown is v1) picks the rule: v1 counts whole
 *   86,400-second days from `crt`; v2/v3 use the next-day-starts-at hour (`rollover`, 0-23;
 *   missing or invalid is 4, as the client then sets it), and the time zone;
 * - with `creationOffset` set (every collection made since Anki 2.1.28), the new rule: the
 *   day starts at the rollover hour in the collection's time zone (`localOffset`), and the days
 *   elapsed are the calendar days between the creation date (in `creationOffset`) and now (in
 *   `localOffset`), one fewer before the rollover hour;
 * - without it, the legacy v2 rule: whole days since `crt`'s rollover hour.
 *
 * Offsets are minutes west of UTC (Australia at +10 hours is -600). A client stores its own
 * offset in `localOffset` whenever it works out the day (rslib `local_utc_offset_for_user`); a
 * server uses the stored one, and UTC when it is missing or invalid, as the official server does
 * (`self.server`). So Hearth's day is the day of the device that synced last, never the PC's.
 */

const DAY_SECS = 86_400;

export interface DayTimingConfig {
  /** The collection's creation time (`col.crt`), seconds. */
  readonly crt: number;
  /** `schedVer`: 1 or 2 (v3 is v2 with `sched2021`); anything else counts as 1, as in the client. */
  readonly schedVer: unknown;
  /** `rollover`: the hour the next day starts at. */
  readonly rollover: unknown;
  /** `creationOffset`: minutes west of UTC when the collection was created. */
  readonly creationOffset: unknown;
  /** `localOffset`: minutes west of UTC of the device that last worked out the day. */
  readonly localOffset: unknown;
}

export interface DayTiming {
  /** Days since the collection was created: "today" for review cards' `due`. */
  readonly daysElapsed: number;
  /** When the next day starts, seconds. */
  readonly nextDayAt: number;
}

/** An integer that serde would read as the Rust type (`i32`, `u8`), or undefined. */
function integerIn(value: unknown, min: number, max: number): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max ? value : undefined;
}

/** `FixedOffset::west_opt(minutes * 60)`: undefined unless strictly within a day. */
function offsetMinutesWest(value: unknown): number | undefined {
  const minutes = integerIn(value, -(2 ** 31), 2 ** 31 - 1);
  return minutes !== undefined && Math.abs(minutes * 60) < DAY_SECS ? minutes : undefined;
}

/** The local calendar day of a time (days since 1970-01-01) at that offset. */
function localDayNumber(secs: number, minutesWest: number): number {
  return Math.floor((secs - minutesWest * 60) / DAY_SECS);
}

/** `rollover_datetime`: the rollover hour on the local day of `secs`, as a timestamp. */
function rolloverOnDayOf(secs: number, minutesWest: number, hour: number): number {
  return localDayNumber(secs, minutesWest) * DAY_SECS + (hour % 24) * 3600 + minutesWest * 60;
}

/** Rust's `as u32` of the day counts never meets a negative one in a sane collection; 0 then. */
const days = (n: number): number => Math.max(0, n);

/** `sched_timing_today_v1`. */
function timingV1(crt: number, now: number): DayTiming {
  const elapsed = Math.trunc((now - crt) / DAY_SECS);
  return { daysElapsed: days(elapsed), nextDayAt: crt + (elapsed + 1) * DAY_SECS };
}

/** `sched_timing_today_v2_legacy`. */
function timingV2Legacy(crt: number, rollover: number, now: number, localWest: number): DayTiming {
  const crtAtRollover = rolloverOnDayOf(crt, localWest, rollover);
  let nextDayAt = rolloverOnDayOf(now, localWest, rollover);
  if (nextDayAt < now) nextDayAt += DAY_SECS;
  return { daysElapsed: days(Math.trunc((now - crtAtRollover) / DAY_SECS)), nextDayAt };
}

/** `sched_timing_today_v2_new`. */
function timingV2New(crt: number, creationWest: number, now: number, localWest: number, rollover: number): DayTiming {
  const rolloverToday = rolloverOnDayOf(now, localWest, rollover);
  const passed = rolloverToday <= now;
  const calendarDays = localDayNumber(now, localWest) - localDayNumber(crt, creationWest);
  return {
    daysElapsed: days(passed ? calendarDays : calendarDays - 1),
    nextDayAt: passed ? rolloverToday + DAY_SECS : rolloverToday,
  };
}

/** `timing_for_timestamp` of a server's collection at `nowSecs`. */
export function dayTiming(config: DayTimingConfig, nowSecs: number): DayTiming {
  const now = Math.floor(nowSecs);
  if (config.schedVer !== 2) return timingV1(config.crt, now);
  // `get_v2_rollover`: a u8, at most 23; missing or unreadable is 4 (the client then writes 4).
  const rollover = Math.min(integerIn(config.rollover, 0, 255) ?? 4, 23);
  const localWest = offsetMinutesWest(config.localOffset) ?? 0;
  const creationWest = offsetMinutesWest(config.creationOffset);
  return creationWest === undefined
    ? timingV2Legacy(config.crt, rollover, now, localWest)
    : timingV2New(config.crt, creationWest, now, localWest, rollover);
}
