/**
 * Runs the normal-sync codecs a few times right after the server starts, on a stock collection in
 * memory. Otherwise the first sync after a start pays for V8 compiling the legacy JSON ⇄ protobuf
 * converters, the lossless JSON parser and the row checks from scratch: `applyChanges` took
 * ~13 ms on a fresh server and ~2.5 ms afterwards (docs/benchmarks.md). The tray app starts the
 * server at login, and the first sync usually follows soon. Nothing on disk is read or written.
 */
import { setImmediate } from 'node:timers';
import Database from 'better-sqlite3';
import { buildCollection, fixedTimeZone } from '../collection/create.ts';
import { deckConfigToLegacy } from '../collection/legacy/deck-config.ts';
import type { DeckConfigRow } from '../collection/legacy/deck-config.ts';
import { deckToLegacy } from '../collection/legacy/deck.ts';
import type { DeckRow } from '../collection/legacy/deck.ts';
import { stringifyJson } from '../collection/legacy/json.ts';
import { notetypeToLegacy } from '../collection/legacy/notetype.ts';
import type { FieldRow, NotetypeRow, TemplateRow } from '../collection/legacy/notetype.ts';
import { loadUnicase } from '../collection/unicase.ts';
import type { Clock } from '../clock.ts';
import { parseApplyChangesRequest } from './apply-changes.ts';
import { parseApplyChunkRequest } from './apply-chunk.ts';

/** Enough calls for V8 to compile the hot functions: ~150 ms of CPU once per start, in slices of a few ms. */
const ROUNDS = 20;
const ROWS = 100;

/** Yields to the event loop between rounds, so a request that arrives meanwhile waits a few ms at most. */
export async function warmUpSyncCodecs(clock: Clock, rounds = ROUNDS): Promise<void> {
  const db = new Database(':memory:');
  try {
    loadUnicase(db);
    buildCollection(db, clock, fixedTimeZone(0));
    const notetypes = db.prepare('SELECT id, name, mtime_secs, usn, config FROM notetypes').all() as NotetypeRow[];
    const fieldsOf = db.prepare('SELECT ord, name, config FROM fields WHERE ntid = ? ORDER BY ord');
    const templatesOf = db.prepare('SELECT ord, name, mtime_secs, usn, config FROM templates WHERE ntid = ? ORDER BY ord');
    const decks = db.prepare('SELECT id, name, mtime_secs, usn, common, kind FROM decks').all() as DeckRow[];
    const configs = db.prepare('SELECT id, name, mtime_secs, usn, config FROM deck_config').all() as DeckConfigRow[];
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
      const models = notetypes.map((nt) =>
        notetypeToLegacy(nt, fieldsOf.all(nt.id) as FieldRow[], templatesOf.all(nt.id) as TemplateRow[]),
      );
      const changes = { models, decks: [decks.map(deckToLegacy), configs.map((c) => deckConfigToLegacy(c))], tags: [] };
      parseApplyChangesRequest(Buffer.from(stringifyJson({ changes })));
      parseApplyChunkRequest(Buffer.from(JSON.stringify(chunk)));
    }
  } finally {
    db.close();
  }
}
