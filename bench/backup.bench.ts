/**
 * How long a person's daily backup holds their lock (src/server/backups/take-backup.ts): the WAL
 * checkpoint and the file copy, on the benchmark's collections (20,000 notes; 100 MiB), 7 rounds
 * each, median with min–max. A sync waits at most this long behind a backup. Hearth only: the
 * official server keeps no backups, so there is no ratio here.
 *
 *   node bench/backup.bench.ts
 */
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureCollections } from './lib/bench-collections.ts';
import { UserState } from '../src/server/user/user-state.ts';
import { createCollection } from '../src/server/collection/create.ts';
import { takeDailyBackup } from '../src/server/backups/take-backup.ts';

const ROUNDS = 7;

const collections = await ensureCollections({ rebuild: false, log: (line) => console.error(`[backup] ${line}`) });
console.log('| collection | size | backup holds the lock, ms: median (min–max) |');
console.log('| --- | ---: | ---: |');
for (const c of collections) {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const base = mkdtempSync(path.join(tmpdir(), 'hearth-bench-backup-'));
    try {
      const user = new UserState(base, 'anna', { nowMs: () => Date.now() }, createCollection);
      user.prepareFolder();
      copyFileSync(c.uploadPath, user.paths.collection);
      user.collection(); // open, as right after a sync
      const started = performance.now();
      const outcome = takeDailyBackup(user, Date.now());
      times.push(performance.now() - started);
      if (!('taken' in outcome)) throw new Error(`no backup taken: ${JSON.stringify(outcome)}`);
      user.close();
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }
  times.sort((a, b) => a - b);
  const mib = (statSync(c.uploadPath).size / 1048576).toFixed(1);
  console.log(`| ${c.label} | ${mib} MiB | ${times[ROUNDS >> 1]!.toFixed(0)} (${times[0]!.toFixed(0)}–${times[ROUNDS - 1]!.toFixed(0)}) |`);
}
