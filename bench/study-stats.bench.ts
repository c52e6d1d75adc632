/**
 * How long working out a person's study figures holds their lock (src/server/stats/study-stats.ts,
 * run after a sync's reply by src/server/sync-server.ts), on the benchmark's collections (20,000
 * notes, 40,000 cards, 50,000 review log rows over the past year, studied nearly every day, so
 * "days in a row" reads far back; and the 100 MiB one), 7 rounds each, median with min–max:
 * - after a normal sync, the collection is open: the figures alone;
 * - after a full upload, it was closed: opened, the figures, closed again (as the server does).
 * A sync of that person waits at most this long behind it. Hearth only: the official server shows
 * no such figures, so there is no ratio here.
 *
 *   node bench/study-stats.bench.ts
 */
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureCollections } from './lib/bench-collections.ts';
import { UserState } from '../src/server/user/user-state.ts';
import { createCollection } from '../src/server/collection/create.ts';
import { computeStudyStats } from '../src/server/stats/study-stats.ts';
import type { StudyStats } from '../src/server/stats/study-stats.ts';

const ROUNDS = 7;

const spread = (times: number[]): string => {
  const t = [...times].sort((a, b) => a - b);
  return `${t[t.length >> 1]!.toFixed(1)} (${t[0]!.toFixed(1)}–${t[t.length - 1]!.toFixed(1)})`;
};

const collections = await ensureCollections({ rebuild: false, log: (line) => console.error(`[study-stats] ${line}`) });
console.log('| collection | size | figures, collection open: ms | open, figures, close: ms | the figures |');
console.log('| --- | ---: | ---: | ---: | --- |');
for (const c of collections) {
  const open: number[] = [];
  const closed: number[] = [];
  let last: StudyStats | undefined;
  for (let i = 0; i < ROUNDS; i++) {
    const base = mkdtempSync(path.join(tmpdir(), 'hearth-bench-study-'));
    try {
      const user = new UserState(base, 'anna', { nowMs: () => Date.now() }, createCollection);
      user.prepareFolder();
      copyFileSync(c.uploadPath, user.paths.collection);
      // After a full upload: the collection is not open.
      let started = performance.now();
      last = computeStudyStats(user.collection(), Date.now());
      user.closeCollection();
      closed.push(performance.now() - started);
      // After a normal sync: open, its pages read by the sync (a first look at each table).
      const col = user.collection();
      col.prepare('SELECT count() FROM cards').get();
      col.prepare('SELECT count() FROM revlog').get();
      started = performance.now();
      last = computeStudyStats(col, Date.now());
      open.push(performance.now() - started);
      user.close();
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }
  const mib = (statSync(c.uploadPath).size / 1048576).toFixed(1);
  const f = last!;
  const figures = `${f.reviewsToday} today, ${f.reviewsByDay.reduce((a, b) => a + b, 0)} in 7 days, ${f.daysInARow} days in a row, ${f.dueByDay[0]} due`;
  console.log(`| ${c.label} | ${mib} MiB | ${spread(open)} | ${spread(closed)} | ${figures} |`);
}
