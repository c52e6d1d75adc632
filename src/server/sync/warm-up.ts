/**
 * Runs the normal-sync codecs a few times on a stock collection in memory, once, as the server
 * loads its sync engine at the first sync request (sync-server.ts). Otherwise the first normal
 * sync after a start pays for V8 compiling the legacy JSON ⇄ protobuf converters, the lossless
 * JSON parser and the row checks from scratch: measured in process, the first `applyChanges` after
 * a start took ~13–16 ms without this warm-up and ~5 ms with it, later ones 2.5–5 ms
 * (docs/lab-notes/2026-11-22-normal-sync.md). Not at start, which kept the whole sync engine and
 * V8's optimising compiler in memory while nobody synced (docs/memory.md). Nothing on disk is
 * read or written.
 */
import { setImmediate } from 'node:timers';
import Database from 'better-sqlite3';
import { buildCollection, fixedTimeZone } from '../collection/create.ts';
import { stringifyJson } from '../collection/legacy/json.ts';
import { loadUnicase } from '../collection/unicase.ts';
import { legacyObjectsSince } from '../collection/legacy/objects.ts';
import type { Clock } from '../clock.ts';
import { parseApplyChangesRequest } from './apply-changes.ts';
import { parseApplyChunkRequest } from './apply-chunk.ts';

/** Enough calls for V8 to compile the hot functions: ~150 ms of CPU once per start, in slices of a few ms. */
const ROUNDS = 20;
const ROWS = 100;

/** Yields to the event loop between rounds, so requests that need no engine (/health) are answered meanwhile. */
export async function warmUpSyncCodecs(clock: Clock, rounds = ROUNDS): Promise<void> {
  const db = new Database(':memory:');
  try {
    loadUnicase(db);
    buildCollection(db, clock, fixedTimeZone(0));
    const now = clock.nowMs();
    const chunk = {
      chunk: {
        done: false,
        revlog: Array.from({ length: ROWS }, (_, i) => [now + i, now - i, 5, 3, 10, 4, 2500, 6000, 1]),
        cards: Array.from({ length: ROWS }, (_, i) => [
          now + i,
          now - i,
          1,
          0,
          1_700_000_000,
          5,
          2,
          2,
          120,
          10,
          2500,
          4,
          0,
          0,
          0,
          0,
          0,
          '{"s":2.5}',
        ]),
        notes: [],
      },
    };
    for (let i = 0; i < rounds; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      // The same reading and conversion serverChanges() does, then the client's side of it.
      const { models, decks, configs } = legacyObjectsSince(db, -1);
      const changes = { models, decks: [decks, configs], tags: [] };
      parseApplyChangesRequest(Buffer.from(stringifyJson({ changes })));
      parseApplyChunkRequest(Buffer.from(JSON.stringify(chunk)));
    }
  } finally {
    db.close();
  }
}
