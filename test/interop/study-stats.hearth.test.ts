// What each person studied (issue 19): the figures Hearth shows (reviews today and in the last 7
// days, days studied in a row, cards due today, notes and cards) equal what the real Anki client
// itself reports for the same collection: its "Studied N cards today", its statistics page
// (today's answers, the days of the Reviews graph), its search `is:due`, its note and card counts.
// (Hearth only: the official server shows no such thing.)
//
// The client runs in Darwin's time zone (UTC+9:30) and Hearth's server in Los Angeles's, so
// Hearth must take the day from the collection (its time zone and next-day-starts-at hour), never
// from the PC it runs on.
//
// The days before today, honestly: the client's clock cannot be moved, so the past is written
// into the collection the way it would be there had the person studied then: review log rows with
// the ids (ms times) of those days, written with the driver's SQL before the collection is
// uploaded or, later, marked for the next normal sync (usn -1). Where each day begins comes from
// the client itself (its `day_cutoff`), and the rows sit one second on each side of today's
// start. The collection is made 30 days older (crt) so that there are days before today to
// speak of, with cards overdue, due, due tomorrow, suspended, in learning, and buried
// yesterday. Then the day boundary moves: Preferences → "Next day starts at" set to the hour it
// is now on the client, so that today began minutes ago and what was studied this morning is
// yesterday's; the client and Hearth must agree again.
//
// Every comparison is made well away from the client's next day start (it is either about 12
// hours ahead or, after the move, almost a day ahead), so the two sides cannot straddle it.
import { runAll } from './teardown.ts';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AnkiClient } from './anki-client.ts';
import type { ClientStudyFigures } from './anki-client.ts';
import { startUiServer } from '../helpers/ui-server.ts';
import type { UiServer } from '../helpers/ui-server.ts';
import type { StudySummary } from '../../src/shared/api.ts';

const TEST_TIMEOUT_MS = 180_000;
const SETUP_TIMEOUT_MS = 120_000;
/** Longest Hearth may take, after a sync, to show new figures. */
const FIGURES_TIMEOUT_MS = 15_000;
const DAY = 86_400;
const ANNA = 'anna';
const PASSWORD = 'anna-password';
const CLIENT_TZ = 'Australia/Darwin';
const SERVER_TZ = 'America/Los_Angeles';

/** Hearth's figures without the time they were worked out: what is compared with the client's. */
type Figures = Omit<StudySummary, 'asOf'>;

/** The client's own figures, in Hearth's terms (the "days in a row" from the Reviews graph's days). */
function clientFigures(c: ClientStudyFigures): Figures {
  const onDay = (d: number): number => c.reviews_per_day[String(d)] ?? 0;
  let daysInARow = 0;
  for (let d = onDay(0) > 0 ? 0 : -1; onDay(d) > 0; d--) daysInARow++;
  let reviewsLast7Days = 0;
  for (let d = 0; d > -7; d--) reviewsLast7Days += onDay(d);
  // "Studied 5 cards in 2 minutes today": the same number as the statistics page's.
  const studied = /Studied (\d+) cards?/.exec(c.studied_today.replace(/[\u2068\u2069]/g, ''));
  assert.equal(studied ? Number(studied[1]) : 0, c.answered_today, `studied_today says ${JSON.stringify(c.studied_today)}`);
  return { reviewsToday: c.answered_today, reviewsLast7Days, daysInARow, dueToday: c.due, notes: c.notes, cards: c.cards };
}

/** The client's local hour now, in the time zone it keeps in the collection (minutes west of UTC). */
function clientHour(c: ClientStudyFigures): number {
  const west = typeof c.config.localOffset === 'number' ? c.config.localOffset : 0;
  return Math.floor(((((c.now - west * 60) % DAY) + DAY) % DAY) / 3600);
}

describe('what each person studied: Hearth’s figures equal the real client’s own', { timeout: 6 * TEST_TIMEOUT_MS }, () => {
  let tmp = '';
  let ui: UiServer | undefined;
  let anki: AnkiClient | undefined;
  let laptop = '';
  /** The time of the figures Hearth showed last. */
  let lastAsOf: string | null = null;

  const client = (): AnkiClient => {
    assert.ok(anki, 'Anki client not started');
    return anki;
  };
  const server = (): UiServer => {
    assert.ok(ui, 'Hearth not started');
    return ui;
  };
  /** Anna's figures in the window's API, once they were worked out after the last sync. */
  const hearthFigures = async (): Promise<Figures> => {
    const deadline = Date.now() + FIGURES_TIMEOUT_MS;
    for (;;) {
      const anna = (await server().api.listPeople()).find((p) => p.username === ANNA);
      const study = anna?.study ?? null;
      if (study && study.asOf !== lastAsOf) {
        lastAsOf = study.asOf;
        const { asOf: _asOf, ...figures } = study;
        return figures;
      }
      assert.ok(
        Date.now() < deadline,
        `no new study figures within ${FIGURES_TIMEOUT_MS} ms (FIGURES_TIMEOUT_MS): ${JSON.stringify(study)}`,
      );
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const sql = (query: string, args: unknown[] = []) => client().execSql(laptop, query, args);
  const cardIds = async (): Promise<number[]> => (await sql('select id from cards order by id')).map((r) => Number(r[0]));
  let nextRevlogId = 0;
  /** A review log row answered at `secs` (+ `ms`), of type 1 (review) unless said; sent at the next sync. */
  const answeredAt = async (cid: number, secs: number, type = 1, ms = 0): Promise<void> => {
    // Distinct ids even for rows of the same second.
    const id = Math.floor(secs) * 1000 + ms + (nextRevlogId++ % 500);
    await sql('insert into revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) values (?, ?, -1, 3, 3, 1, 2500, 4000, ?)', [
      id,
      cid,
      type,
    ]);
  };

  before(
    async () => {
      tmp = await mkdtemp(path.join(tmpdir(), 'hearth-study-'));
      laptop = path.join(tmp, 'laptop', 'collection.anki2');
      // Both kept even when the other fails to start, so that after() stops them.
      const [server, driver] = await Promise.allSettled([
        startUiServer({ users: [`${ANNA}:${PASSWORD}`], base: path.join(tmp, 'server-base'), env: { TZ: SERVER_TZ } }),
        AnkiClient.start({ env: { TZ: CLIENT_TZ } }),
      ]);
      if (server.status === 'fulfilled') ui = server.value;
      if (driver.status === 'fulfilled') anki = driver.value;
      for (const started of [server, driver]) if (started.status === 'rejected') throw started.reason;
    },
    { timeout: SETUP_TIMEOUT_MS },
  );

  after(
    async () =>
      runAll(
        () => anki?.stop(),
        () => ui?.stop(),
        () => (tmp !== '' ? rm(tmp, { recursive: true, force: true }) : undefined),
      ),
    { timeout: SETUP_TIMEOUT_MS },
  );

  it('before anna’s first sync, Hearth has no figures for her', { timeout: TEST_TIMEOUT_MS }, async () => {
    const anna = (await server().api.listPeople()).find((p) => p.username === ANNA);
    assert.equal(anna?.study, null);
  });

  it('a month of study, uploaded: every figure equals the client’s', { timeout: TEST_TIMEOUT_MS }, async () => {
    await client().login(laptop, server().syncEndpoint, ANNA, PASSWORD);
    await client().populate(laptop, { notes: 40, decks: ['Japanese', 'Maths'], reviews: 15 });
    // Made a month ago; the next day starts about 12 hours from now on the client.
    await sql('update col set crt = crt - ?', [30 * DAY]);
    const first = await client().studyFigures(laptop);
    assert.equal(first.config.localOffset, -570, 'the client keeps its own time zone (Darwin) in the collection');
    await client().setNextDayStartsAt(laptop, (clientHour(first) + 12) % 24);
    const day = await client().studyFigures(laptop);
    assert.ok(day.day_cutoff - day.now > 10 * 3600, 'the next day starts hours from now');
    const start = day.day_cutoff - DAY;
    const today = day.today;
    assert.ok(today >= 29, `days since the collection was made: ${today}`);

    const cards = await cardIds();
    const [c0, c1, c2, c3, c4, c5, c6, c7, c8, c9] = cards.slice(-10) as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    // Today's first second and yesterday's last one, as the client's day boundary puts them.
    await answeredAt(c0, start + 1);
    await answeredAt(c0, start - 1);
    // Answers on each of the 9 days before yesterday but one; the day without has only manual
    // rescheduling ("Set due date", type 4) and an FSRS reschedule (type 5), which are no answers.
    for (let d = -2; d >= -10; d--) {
      if (d === -6) {
        await answeredAt(c1, start + d * DAY + 3600, 4);
        await answeredAt(c1, start + d * DAY + 7200, 5);
        continue;
      }
      for (let i = 0; i < -d; i++) await answeredAt(c1, start + d * DAY + 3600 + i * 60);
    }
    await answeredAt(c2, day.now - 600, 4); // a manual reschedule today: no answer either
    await answeredAt(c2, day.now - 500, 3); // an answer in a filtered deck: an answer
    // Cards: overdue, due today, due tomorrow, suspended, day learning, learning due in 5 minutes
    // and in 3 hours (not yet: beyond the learn-ahead limit), and buried yesterday (back today:
    // the collection was last unburied yesterday, and the client unburies when it looks at a new day).
    const now = Math.floor(day.now);
    const setCard = (id: number, queue: number, type: number, due: number, mod = now) =>
      sql('update cards set queue = ?, type = ?, due = ?, ivl = 3, mod = ?, usn = -1 where id = ?', [queue, type, due, mod, id]);
    await setCard(c3, 2, 2, today - 3);
    await setCard(c4, 2, 2, today);
    await setCard(c5, 2, 2, today + 1);
    await setCard(c6, -1, 2, today - 1);
    await setCard(c7, 3, 3, today);
    await setCard(c8, 1, 1, now + 300);
    await setCard(c9, 1, 1, now + 3 * 3600);
    await setCard(cards[0]!, -3, 2, today, start - 3600);
    await client().setConfig(laptop, 'lastUnburied', today - 1);

    assert.equal((await client().sync(laptop)).required, 'FULL_UPLOAD');
    await client().fullUpload(laptop);
    const hearth = await hearthFigures();
    const own = clientFigures(await client().studyFigures(laptop));
    assert.deepEqual(hearth, own);
    // What this collection holds, spelt out (so a change in both sides at once is noticed too).
    assert.equal(own.notes, 40);
    assert.equal(own.daysInARow, 6, 'today, yesterday and the 4 days before the day without answers');
    assert.equal(own.reviewsLast7Days, own.reviewsToday + 1 + 2 + 3 + 4 + 5 + 0);
    assert.ok(own.dueToday !== null && own.dueToday >= 5, `due: ${own.dueToday}`);
  });

  it('more answers, a card buried today, a normal sync: equal again', { timeout: TEST_TIMEOUT_MS }, async () => {
    const buriedYesterday = (await cardIds())[0]!;
    // The client unburied yesterday's card when it looked at the day, without marking it changed:
    // Hearth's copy still has it buried, and must count it back all the same.
    assert.deepEqual(await sql('select queue from cards where id = ?', [buriedYesterday]), [[2]]);
    assert.deepEqual(await sql('select usn != -1 from cards where id = ?', [buriedYesterday]), [[1]], 'not sent at the next sync');
    const answered = await client().review(laptop, 6, { deck: 'Japanese' });
    assert.ok(answered.answered > 0);
    const buryToday = (await cardIds()).find((id) => !answered.card_ids.includes(id) && id !== buriedYesterday)!;
    const [[due]] = (await sql('select due from cards where id = ?', [buryToday])) as [[number]];
    // A review card long due, buried (queue -3) through the client's own API: today's, so not due.
    await client().setCard(laptop, buryToday, { queue: -3, type: 2, due: Math.min(due, 1) });
    const synced = await client().sync(laptop);
    assert.equal(synced.normal_sync_performed, true);
    const hearth = await hearthFigures();
    assert.deepEqual(hearth, clientFigures(await client().studyFigures(laptop)));
  });

  it(
    'across a day boundary: the next day starts at this hour, this morning is yesterday, equal again',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const before = await client().studyFigures(laptop);
      // The day now began at the top of this hour on the client (minutes ago); answers from before
      // it, today's until now, are yesterday's.
      await client().setNextDayStartsAt(laptop, clientHour(before));
      const day = await client().studyFigures(laptop);
      assert.ok(day.day_cutoff - day.now > 22 * 3600, 'the next day starts almost a day from now');
      const start = day.day_cutoff - DAY;
      const [cid] = await cardIds();
      await answeredAt(cid!, start - 1800);
      await answeredAt(cid!, start - 1);
      await answeredAt(cid!, start, 1, 1);
      const synced = await client().sync(laptop);
      assert.equal(synced.normal_sync_performed, true);
      const hearth = await hearthFigures();
      const moved = await client().studyFigures(laptop);
      assert.deepEqual(hearth, clientFigures(moved));
      // The move changed what counts as today on both sides: the morning went to yesterday.
      const onDay = (c: ClientStudyFigures, d: number): number => c.reviews_per_day[String(d)] ?? 0;
      assert.ok(onDay(moved, 0) < onDay(before, 0), 'fewer answers today');
      assert.ok(onDay(moved, -1) > onDay(before, -1) + 3, 'more yesterday');
    },
  );
});
