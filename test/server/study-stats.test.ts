// What each person studied (src/server/stats/): "today" as the official code computes it (the
// cases of rslib/src/scheduler/timing.rs's own tests), the figures on a collection built here
// row by row around the client's day boundary, figures moved to a later day equal to figures
// worked out on that day, stats.json, and the server working them out after a sync's reply.
// The same figures against the real Anki client's own: test/interop/study-stats.hearth.test.ts.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { dayTiming } from '../../src/server/stats/day-timing.ts';
import type { DayTimingConfig } from '../../src/server/stats/day-timing.ts';
import { computeStudyStats, daysPassed, studyFiguresAt } from '../../src/server/stats/study-stats.ts';
import type { StudyStats } from '../../src/server/stats/study-stats.ts';
import { createStudyStatsRecorder, readStudyStats, studyStatsFilePath } from '../../src/server/stats/stats-file.ts';
import { createCollection } from '../../src/server/collection/create.ts';
import { openCollection } from '../../src/server/collection/open.ts';
import { createLogger, silentLogger } from '../../src/server/logger.ts';
import { send, syncHeader } from '../helpers/sync-client.ts';
import { startTestServer } from '../helpers/test-server.ts';
import { makeUploadableCollection } from '../helpers/collections.ts';

const DAY = 86_400;
/** Seconds of a wall-clock time at an offset given in minutes west of UTC (as Anki stores it). */
const at = (west: number, y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number =>
  Date.UTC(y, mo - 1, d, h, mi, s) / 1000 + west * 60;
const AEST = -600;
const MDT = 360;
const MST = 420;

describe('the day as the client counts it (rslib/src/scheduler/timing.rs)', () => {
  const v2 = (crt: number, creation: number | null, local: number, rollover: number): DayTimingConfig => ({
    crt,
    schedVer: 2,
    rollover,
    creationOffset: creation,
    localOffset: local,
  });

  test('the v1 and legacy v2 rules give the official test values', () => {
    const now = 1584491078;
    const v1 = { crt: 1575226800, schedVer: 1, rollover: 4, creationOffset: null, localOffset: 0 };
    assert.deepEqual(dayTiming(v1, now), { daysElapsed: 107, nextDayAt: 1584558000 });
    assert.deepEqual(dayTiming({ ...v1, schedVer: undefined }, now), dayTiming(v1, now), 'no schedVer is v1');
    assert.deepEqual(dayTiming(v2(1533564000, null, AEST, 0), now), { daysElapsed: 589, nextDayAt: 1584540000 });
    assert.deepEqual(dayTiming(v2(1524038400, null, AEST, 4), now), { daysElapsed: 700, nextDayAt: 1584554400 });
  });

  test('the current rule: calendar days in the collection’s time zones, from the rollover hour', () => {
    const elapsed = (crt: number, now: number, creation: number, local: number, rollover: number): number =>
      dayTiming(v2(crt, creation, local, rollover), now).daysElapsed;
    let crt = at(MDT, 2018, 8, 6);
    assert.equal(elapsed(crt, at(MST, 2019, 12, 26, 20), MDT, MST, 4), 507);
    assert.equal(elapsed(crt, at(MST, 2019, 12, 26, 20), MDT, MDT, 4), 507, 'summer time does not change the count');
    crt = at(MDT, 2018, 8, 6, 3);
    assert.equal(elapsed(crt, at(MST, 2018, 8, 9, 1, 59, 59), MDT, MST, 4), 2);
    assert.equal(elapsed(crt, at(MST, 2018, 8, 9, 3, 59, 59), MDT, MST, 4), 2);
    assert.equal(elapsed(crt, at(MST, 2018, 8, 9, 4), MDT, MST, 4), 3);
    const hours = [0, 1, 4, 12, 22, 23];
    for (const creationHour of hours) {
      for (let day = 0; day <= 3; day++) {
        for (const hour of hours) {
          for (const rollover of hours) {
            const expected = hour < rollover ? Math.max(day, 1) - 1 : day;
            const got = elapsed(at(MDT, 2018, 8, 6, creationHour), at(MDT, 2018, 8, 6 + day, hour), MDT, MDT, rollover);
            assert.equal(got, expected, `created ${creationHour}h, day ${day} ${hour}h, rollover ${rollover}`);
          }
        }
      }
    }
    // Days cannot be negative; 2 a.m. the next day is still the first day.
    const local = 0;
    crt = at(local, 2019, 12, 1, 2);
    assert.equal(elapsed(crt, crt - DAY, local, local, 4), 0);
    assert.equal(elapsed(crt, crt + 24 * 3600, local, local, 4), 0);
    assert.equal(elapsed(crt, crt + 26 * 3600, local, local, 4), 1);
    assert.equal(elapsed(crt, crt + (26 + 18) * 3600, local, local, 23), 0);
    assert.equal(elapsed(crt, crt + (26 + 19) * 3600, local, local, 23), 1);
  });

  test('the next day starts at the rollover hour: later today before it, tomorrow from it', () => {
    const crt = at(AEST, 2019, 1, 1, 2);
    const next = (now: number) => dayTiming(v2(crt, AEST, AEST, 4), now).nextDayAt;
    assert.equal(next(at(AEST, 2019, 1, 3, 2)), at(AEST, 2019, 1, 3, 4));
    assert.equal(next(at(AEST, 2019, 1, 3, 4)), at(AEST, 2019, 1, 4, 4));
    assert.equal(next(at(AEST, 2019, 1, 3, 7)), at(AEST, 2019, 1, 4, 4));
  });

  test('config values the client cannot read count as missing: rollover 4, UTC, the legacy rule', () => {
    const crt = at(0, 2020, 1, 1, 4);
    const now = at(0, 2020, 3, 1, 12);
    const good = dayTiming(v2(crt, 0, 0, 4), now);
    assert.deepEqual(dayTiming({ ...v2(crt, 0, 0, 4), rollover: undefined }, now), good);
    assert.deepEqual(dayTiming({ ...v2(crt, 0, 0, 4), rollover: 4.5 }, now), good);
    assert.deepEqual(dayTiming({ ...v2(crt, 0, 0, 4), rollover: -1 }, now), good);
    assert.deepEqual(dayTiming({ ...v2(crt, 0, 0, 4), rollover: 200 }, now), dayTiming(v2(crt, 0, 0, 23), now), 'at most 23');
    assert.deepEqual(dayTiming({ ...v2(crt, 0, 0, 4), localOffset: 'x' }, now), good);
    assert.deepEqual(dayTiming({ ...v2(crt, 0, 0, 4), localOffset: 24 * 60 }, now), good, 'a whole day is no offset');
    assert.deepEqual(dayTiming({ ...v2(crt, 0, 0, 4), creationOffset: '0' }, now), dayTiming(v2(crt, null, 0, 4), now));
  });
});

/** A schema-18 collection made here, created at `crtMs`, with the config, cards and review log rows a test sets. */
function collectionAt(dir: string, crtMs: number): Database.Database {
  const path = join(dir, `c-${Math.random().toString(36).slice(2)}.anki2`);
  createCollection(path, { nowMs: () => crtMs });
  const db = openCollection(path);
  db.prepare('UPDATE col SET crt = ?').run(Math.floor(crtMs / 1000));
  return db;
}

function setConfig(db: Database.Database, values: Record<string, unknown>): void {
  const put = db.prepare('INSERT OR REPLACE INTO config (KEY, usn, mtime_secs, val) VALUES (?, 0, 0, ?)');
  for (const [k, v] of Object.entries(values)) put.run(k, Buffer.from(JSON.stringify(v)));
}

let nextRevlog = 0;
/** A review log row answered at `ms` (ids are unique ms times; a test picks distinct ones). */
function answer(db: Database.Database, ms: number, type = 1): void {
  db.prepare('INSERT INTO revlog VALUES (?, ?, -1, 3, 1, 0, 2500, 6000, ?)').run(ms, ++nextRevlog, type);
}

let nextCard = 1;
function card(db: Database.Database, c: { queue: number; type: number; due: number; mod?: number; odue?: number; odid?: number }): void {
  const id = nextCard++;
  db.prepare('INSERT INTO cards VALUES (?, ?, 1, 0, ?, -1, ?, ?, ?, 1, 2500, 1, 0, 0, ?, ?, 0, ?)').run(
    id,
    id,
    c.mod ?? 0,
    c.type,
    c.queue,
    c.due,
    c.odue ?? 0,
    c.odid ?? 0,
    '{}',
  );
}

describe('the figures of a collection', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-study-'));
  // Anna's Anki is in Darwin (UTC+9:30), her next day starts at 4 a.m.; the PC's zone does not matter.
  const WEST = -570;
  const crtMs = at(WEST, 2026, 1, 10, 4) * 1000;
  const NOW = at(WEST, 2026, 3, 15, 16, 30) * 1000;
  const config = { rollover: 4, localOffset: WEST, creationOffset: WEST, schedVer: 2 };
  const start = at(WEST, 2026, 3, 15, 4);
  const today = Math.round((start - at(WEST, 2026, 1, 10, 4)) / DAY);
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('reviews today count from the day’s start (studied_today), the days of the week as the Reviews graph', () => {
    const db = collectionAt(dir, crtMs);
    setConfig(db, config);
    const s = computeStudyStats(db, NOW);
    assert.equal(s.nextDayAt, start + DAY);
    assert.deepEqual([s.reviewsToday, s.daysInARow, s.notes, s.cards], [0, 0, 0, 0]);
    answer(db, start * 1000 + 1_000); // today
    answer(db, NOW - 60_000); // today
    answer(db, NOW - 50_000, 3); // today, in a filtered deck
    answer(db, NOW - 40_000, 4); // "set due date": no answer
    answer(db, NOW - 30_000, 5); // FSRS rescheduling: no answer
    answer(db, start * 1000); // the very first millisecond of today: yesterday for both counts
    answer(db, start * 1000 + 500); // studied_today's today, the graph's yesterday (same second)
    answer(db, start * 1000 - 1); // yesterday
    answer(db, (start - 6 * DAY) * 1000 + 5_000); // 6 days ago: in the last 7 days
    answer(db, (start - 6 * DAY) * 1000); // 7 days ago: not
    const figures = computeStudyStats(db, NOW);
    assert.equal(figures.reviewsToday, 4);
    assert.deepEqual(figures.reviewsByDay, [3, 3, 0, 0, 0, 0, 1]);
    assert.equal(figures.daysInARow, 2);
    db.close();
  });

  test('days in a row end today, or yesterday until today is over; a manual reschedule is no study', (t) => {
    const db = collectionAt(dir, crtMs);
    t.after(() => db.close());
    setConfig(db, config);
    const onDay = (d: number, type = 1) => answer(db, (start + d * DAY) * 1000 + 3_600_000, type);
    // 150 days in a row up to yesterday (read back in several ranges), a gap, more before it.
    for (let d = -1; d >= -150; d--) onDay(d);
    onDay(-151, 4);
    for (let d = -152; d >= -170; d--) onDay(d);
    assert.equal(computeStudyStats(db, NOW).daysInARow, 150, 'nothing today yet: the run up to yesterday');
    onDay(0);
    assert.equal(computeStudyStats(db, NOW).daysInARow, 151);
    // Tomorrow the run still stands; the day after it is over.
    assert.equal(computeStudyStats(db, (start + DAY) * 1000 + 1000).daysInARow, 151);
    assert.equal(computeStudyStats(db, (start + 2 * DAY) * 1000 - 1000).daysInARow, 151);
    assert.equal(computeStudyStats(db, (start + 2 * DAY) * 1000 + 1000).daysInARow, 0);
  });

  test('cards due: what the client’s is:due finds, buried cards back once the day has turned', (t) => {
    const db = collectionAt(dir, crtMs);
    t.after(() => db.close());
    const nowSecs = NOW / 1000;
    setConfig(db, { ...config, lastUnburied: today });
    card(db, { queue: 2, type: 2, due: today - 1 }); // due
    card(db, { queue: 2, type: 2, due: today }); // due
    card(db, { queue: 2, type: 2, due: today + 1 }); // tomorrow
    card(db, { queue: 3, type: 3, due: today }); // day learning: due
    card(db, { queue: 1, type: 1, due: nowSecs + 600 }); // within the 20-minute learn ahead: due
    card(db, { queue: 1, type: 1, due: nowSecs + 1800 }); // later today: tomorrow at the latest
    card(db, { queue: 4, type: 0, due: nowSecs }); // preview: due
    card(db, { queue: 0, type: 0, due: 1 }); // new: never
    card(db, { queue: -1, type: 2, due: today - 5 }); // suspended: never
    card(db, { queue: 2, type: 2, due: 3, odue: today + 40, odid: 99 }); // in a filtered deck: due (its due is its position)
    card(db, { queue: -2, type: 2, due: today, mod: nowSecs - 60 }); // buried today: tomorrow
    card(db, { queue: -3, type: 2, due: today, mod: start - 60 }); // buried yesterday, unburied by the client: due
    card(db, { queue: -2, type: 1, due: nowSecs - 60, mod: start - 60 }); // a learning card, the same
    card(db, { queue: -3, type: 0, due: 5, mod: start - 60 }); // a new card, unburied: not due
    let s = computeStudyStats(db, NOW);
    assert.deepEqual(s.dueByDay, [8, 11, 11, 11, 11, 11, 11]);
    // The collection not yet unburied today: the client unburies every buried card first.
    setConfig(db, { lastUnburied: today - 1 });
    s = computeStudyStats(db, NOW);
    assert.equal(s.dueByDay[0], 9);
    // No learn ahead: the learning card due in 10 minutes is not due yet.
    setConfig(db, { collapseTime: 0 });
    assert.equal(computeStudyStats(db, NOW).dueByDay[0], 8);
  });

  test('a day number moved on by a new next-day hour: cards buried before the last figures are back', (t) => {
    const db = collectionAt(dir, crtMs);
    t.after(() => db.close());
    const nowSecs = NOW / 1000;
    // The next day starts at 8 p.m.: at 4:30 p.m. it is still the day before (today - 1).
    setConfig(db, { ...config, rollover: 20, lastUnburied: today - 1 });
    card(db, { queue: -3, type: 2, due: today - 2, mod: nowSecs - 600 }); // buried 10 minutes ago
    const before = computeStudyStats(db, NOW);
    assert.equal(before.daysElapsed, today - 1);
    assert.equal(before.dueByDay[0], 0, 'buried that day');
    // On the client, the next day now starts at 4 a.m.: a new day number, which it unburies at
    // once (without marking the card changed); then it buries another card and syncs.
    setConfig(db, { rollover: 4, lastUnburied: today });
    card(db, { queue: -3, type: 2, due: today - 2, mod: nowSecs + 60 });
    const later = NOW + 120_000;
    assert.equal(computeStudyStats(db, later, before).dueByDay[0], 1, 'the first is back, the second still buried');
    assert.equal(computeStudyStats(db, later).dueByDay[0], 0, 'without the last figures both look buried today');
  });

  test('figures moved to a later day equal those worked out at the start of that day', (t) => {
    const db = collectionAt(dir, crtMs);
    t.after(() => db.close());
    setConfig(db, { ...config, lastUnburied: today });
    for (let d = 0; d >= -9; d--) {
      if (d !== -4) for (let i = 0; i <= -d; i++) answer(db, (start + d * DAY) * 1000 + 7_200_000 + i);
    }
    const nowSecs = NOW / 1000;
    for (let due = today - 2; due <= today + 8; due++) card(db, { queue: 2, type: 2, due });
    card(db, { queue: 1, type: 1, due: nowSecs + 5 * 3600 });
    card(db, { queue: 1, type: 1, due: start + DAY + 600 });
    card(db, { queue: 3, type: 3, due: today + 2 });
    card(db, { queue: -2, type: 2, due: today, mod: nowSecs });
    const then = computeStudyStats(db, NOW);
    for (let k = 1; k <= 8; k++) {
      const dayStart = (start + k * DAY) * 1000;
      assert.equal(daysPassed(then, dayStart), k);
      const moved = studyFiguresAt(then, dayStart);
      const fresh = studyFiguresAt(computeStudyStats(db, dayStart), dayStart);
      assert.deepEqual({ ...moved, asOf: '' }, { ...fresh, asOf: '', dueToday: k < 7 ? fresh.dueToday : null }, `day +${k}`);
      // Later that day too, all but the cards due (as they were at the day's start).
      const evening = dayStart + 15 * 3_600_000;
      assert.deepEqual(
        { ...studyFiguresAt(then, evening), asOf: '', dueToday: 0 },
        { ...studyFiguresAt(computeStudyStats(db, evening), evening), asOf: '', dueToday: 0 },
      );
    }
    assert.equal(studyFiguresAt(then, NOW + 60_000).reviewsToday, then.reviewsToday, 'the same day: as worked out');
  });
});

describe('stats.json', () => {
  test('written atomically, read back; a damaged file or entry reads as no figures', async (t) => {
    const base = mkdtempSync(join(tmpdir(), 'hearth-stats-file-'));
    t.after(() => rmSync(base, { recursive: true, force: true }));
    const stats: StudyStats = {
      computedAt: 1_773_000_000_000,
      nextDayAt: 1_773_050_000,
      daysElapsed: 412,
      reviewsToday: 3,
      reviewsByDay: [3, 0, 1, 0, 0, 0, 9],
      daysInARow: 1,
      dueByDay: [5, 6, 7, 8, 9, 10, 11],
      notes: 2,
      cards: 4,
    };
    const recorder = createStudyStatsRecorder({ base, logger: silentLogger });
    recorder.record('anna', stats);
    recorder.record('ben', { ...stats, notes: 7 });
    await recorder.flush();
    assert.deepEqual(readStudyStats(base), { anna: stats, ben: { ...stats, notes: 7 } });
    const file = JSON.parse(readFileSync(studyStatsFilePath(base), 'utf8')) as { users: Record<string, unknown> };
    file.users['ben'] = { ...stats, reviewsByDay: [1, 2] };
    writeFileSync(studyStatsFilePath(base), JSON.stringify(file));
    assert.deepEqual(readStudyStats(base), { anna: stats });
    writeFileSync(studyStatsFilePath(base), '{"version": 1, "users": ');
    assert.deepEqual(readStudyStats(base), {});
    // A new server keeps the figures of the file it finds.
    mkdirSync(join(base, '.hearth'), { recursive: true });
    writeFileSync(studyStatsFilePath(base), JSON.stringify({ version: 1, users: { anna: stats } }));
    const again = createStudyStatsRecorder({ base, logger: silentLogger });
    again.record('ben', stats);
    await again.flush();
    assert.deepEqual(Object.keys(readStudyStats(base)).sort(), ['anna', 'ben']);
  });
});

describe('worked out by the server after a sync', () => {
  test('after an upload’s reply, under the person’s lock: stats.json has the uploaded collection’s figures', async (t) => {
    const lines: string[] = [];
    const srv = await startTestServer({ logger: createLogger((line) => lines.push(line), 'debug') });
    t.after(() => srv.stop());
    const work = mkdtempSync(join(tmpdir(), 'hearth-study-upload-'));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const made = join(work, 'c.anki2');
    makeUploadableCollection(made, 6, Date.now(), { revlog: 4 });
    assert.deepEqual(readStudyStats(srv.base), {}, 'nothing before the first sync');
    const reply = await send(srv.endpoint, '/sync/upload', { header: syncHeader(srv.hkey(), 's1'), body: readFileSync(made) });
    assert.equal(reply.text(), 'OK');
    let stats: StudyStats | undefined;
    for (let i = 0; i < 100 && !stats; i++) {
      stats = readStudyStats(srv.base)['user'];
      if (!stats) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(stats, 'stats.json has the figures');
    assert.equal(stats.notes, 6);
    assert.equal(stats.cards, 6);
    // Answered minutes ago: today, or yesterday when the collection's day (4 a.m. UTC here) began since.
    assert.equal(stats.reviewsByDay[0]! + stats.reviewsByDay[1]!, 4);
    const uploaded = lines.findIndex((l) => l.includes(' ok ') && l.includes('/sync/upload'));
    const worked = lines.findIndex((l) => l.includes('study figures worked out'));
    assert.ok(uploaded >= 0 && worked > uploaded, 'the upload was answered first');
  });
});
