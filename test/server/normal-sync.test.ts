// Test ids such as A3 name the behaviours listed in docs/protocol/behaviours.md.
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { send, syncHeader } from '../helpers/sync-client.ts';
import type { Reply } from '../helpers/sync-client.ts';
import { startTestServer } from '../helpers/test-server.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { basicNotetypeId, makeUploadableCollection } from '../helpers/collections.ts';
import { checkpointAndClose, openCollection } from '../../src/server/collection/open.ts';
import { createLogger } from '../../src/server/logger.ts';

const EMPTY_CHANGES = { changes: { models: [], decks: [[], []], tags: [] } };
const EMPTY_GRAVES = { chunk: { cards: [], decks: [], notes: [] } };

describe('normal sync (HTTP level)', () => {
  let t: TestServer;
  let work: string;
  /** The server's log lines of the current test. */
  const lines: string[] = [];
  /** Whether each `chunk` request is logged as served from a reply built ahead. */
  const chunksAhead = (): boolean[] => lines.filter((l) => l.includes('/sync/chunk')).map((l) => / ahead=yes\b/.test(l));
  const collections = new Map<string, Buffer>();
  const fixture = (name: string, notes: number, revlog = 0): Buffer => {
    let bytes = collections.get(`${name}`);
    if (!bytes) {
      const p = join(work, `${name}.anki2`);
      makeUploadableCollection(p, notes, Date.now() - 3_600_000, { revlog });
      bytes = readFileSync(p);
      collections.set(name, bytes);
    }
    return bytes;
  };
  const call = (method: string, body: unknown, skey = 'sk1'): Promise<Reply> =>
    send(t.endpoint, `/sync/${method}`, { header: syncHeader(t.hkey(), skey), body });
  const ok = async (method: string, body: unknown, skey = 'sk1'): Promise<unknown> => {
    const r = await call(method, body, skey);
    assert.equal(r.status, 200, `${method} answered ${r.status}`);
    return r.json();
  };
  const meta = async () => (await ok('meta', { v: 11, cv: 'test' })) as { mod: number; usn: number; scm: number };
  const fileHash = () =>
    createHash('sha256')
      .update(readFileSync(join(t.base, 'user', 'collection.anki2')))
      .digest('hex');
  const sessionStatus = async (skey = 'sk1') => (await call('applyGraves', EMPTY_GRAVES, skey)).status;

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'hearth-normal-'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));
  beforeEach(async () => {
    lines.length = 0;
    t = await startTestServer({ logger: createLogger((l) => lines.push(l)) });
    assert.equal((await call('upload', fixture('basic', 10, 3))).text(), 'OK');
  });
  afterEach(() => t.stop());

  test('A3: abort is idempotent and ignores the session key', async () => {
    assert.equal(await ok('abort', {}), null);
    await ok('start', { minUsn: 0, lnewer: false });
    assert.equal(await ok('abort', {}, 'aabbccdd'), null);
    assert.equal(await sessionStatus(), 409, 'the abort with another key cancelled the session');
    assert.equal(await ok('abort', {}), null);
  });

  test('A4: a new start cancels the older session; upload and download cancel sessions too', async () => {
    await ok('start', { minUsn: 0, lnewer: false }, 'A');
    await ok('start', { minUsn: 0, lnewer: false }, '1');
    assert.equal(await sessionStatus('A'), 409);
    assert.equal(await sessionStatus('1'), 200);
    assert.equal((await call('upload', fixture('basic', 10, 3))).text(), 'OK');
    assert.equal(await sessionStatus('1'), 409);
    await ok('start', { minUsn: 0, lnewer: false }, '1');
    assert.equal((await call('download', {})).status, 200);
    assert.equal(await sessionStatus('1'), 409);
  });

  test('D8: meta during a session cancels it', async () => {
    await ok('start', { minUsn: 0, lnewer: false });
    await meta();
    assert.equal((await call('chunk', {})).status, 409);
  });

  test('A9: start accepts legacy graves with string ids, or none at all', async () => {
    await ok('start', { minUsn: 0, lnewer: false, graves: { cards: ['1'], decks: ['2', '3'], notes: ['4'] } });
    await ok('abort', {});
    await ok('start', { minUsn: 0, lnewer: false });
    await ok('abort', {});
  });

  test('D6/D7: a stateful step with an empty session key is 400; before start it is 409', async () => {
    assert.equal((await call('applyGraves', EMPTY_GRAVES, '')).status, 400);
    assert.equal((await call('applyChanges', EMPTY_CHANGES)).status, 409);
    assert.equal((await call('finish', {})).status, 409);
  });

  test('D37: a step whose body does not parse is 400 and leaves the session active', async () => {
    await ok('start', { minUsn: 0, lnewer: false });
    assert.equal((await call('applyChanges', { changes: {} })).status, 400);
    assert.equal((await call('applyChunk', { chunk: { done: true, cards: [[1, 2, 3]] } })).status, 400, 'a card row of the wrong length');
    assert.equal((await call('applyChanges', EMPTY_CHANGES)).status, 200);
  });

  test('as strict as the official server: a minUsn outside 32 bits and graves without their lists are 400', async () => {
    for (const minUsn of [1e30, 2 ** 31, -(2 ** 31) - 1])
      assert.equal((await call('start', { minUsn, lnewer: false })).status, 400, String(minUsn));
    await ok('start', { minUsn: 0, lnewer: false });
    assert.equal((await call('applyGraves', { chunk: {} })).status, 400);
    assert.equal((await call('applyGraves', { chunk: { cards: [], notes: [] } })).status, 400, 'decks missing');
    assert.equal((await call('applyGraves', EMPTY_GRAVES)).status, 200, 'the session is still there');
  });

  test('D10: chunk sends all pending rows round robin in one reply and omits empty lists', async () => {
    await ok('start', { minUsn: 0, lnewer: false });
    await ok('applyChanges', EMPTY_CHANGES);
    const c = (await ok('chunk', {})) as Record<string, unknown[]>;
    assert.equal(c.done, true);
    assert.equal(c.revlog?.length, 3);
    assert.equal(c.notes?.length, 10);
    assert.equal(c.cards?.length, 10);
    const note = c.notes![0] as unknown[];
    assert.equal(note.length, 11);
    assert.deepEqual(note.slice(7), ['', '', 0, '']);
    assert.equal(note[5], ' tag ');
    assert.equal((c.cards![0] as unknown[]).length, 18);
    assert.equal((c.revlog![0] as unknown[]).length, 9);
    await ok('abort', {});
    // With minUsn above every row's usn there is nothing to send, and empty lists are omitted.
    await ok('start', { minUsn: 5, lnewer: false });
    assert.deepEqual(await ok('chunk', {}), { done: true });
  });

  test('D9: exactly 250 pending rows give one full chunk (done false), then an empty one (done true)', async () => {
    assert.equal((await call('upload', fixture('n125', 125))).text(), 'OK');
    await ok('start', { minUsn: 0, lnewer: false });
    const first = (await ok('chunk', {})) as { done: boolean; notes: unknown[]; cards: unknown[] };
    assert.equal(first.done, false);
    assert.equal(first.notes.length + first.cards.length, 250);
    assert.deepEqual(await ok('chunk', {}), { done: true });
  });

  test('chunks built ahead while the client works give the same replies, every row once; a new sync never gets them', async () => {
    assert.equal((await call('upload', fixture('n400', 400, 200))).text(), 'OK');
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const allChunks = async (skey: string, waitMs: number): Promise<Record<string, unknown[][] | boolean>[]> => {
      await ok('start', { minUsn: 0, lnewer: false }, skey);
      // A client's first chunk request follows applyChanges, after which the first chunk is built ahead.
      await ok('applyChanges', EMPTY_CHANGES, skey);
      await pause(waitMs);
      const out: Record<string, unknown[][] | boolean>[] = [];
      for (;;) {
        const c = (await ok('chunk', {}, skey)) as Record<string, unknown[][] | boolean>;
        out.push(c);
        if (c.done === true) break;
        if (out.length > 20) assert.fail('chunk never says done');
        // Like a real client applying the chunk: the server builds the next one meanwhile.
        await pause(waitMs);
      }
      await ok('abort', {}, skey);
      return out;
    };
    const eager = await allChunks('eager', 0);
    lines.length = 0;
    const patient = await allChunks('patient', 40);
    assert.deepEqual(patient, eager);
    assert.deepEqual(
      chunksAhead(),
      patient.map(() => true),
      'every chunk, the first too, was built ahead',
    );
    for (const kind of ['revlog', 'notes', 'cards']) {
      const ids = eager.flatMap((c) => ((c[kind] as unknown[][] | undefined) ?? []).map((r) => r[0]));
      assert.equal(new Set(ids).size, ids.length, `${kind}: no row twice`);
      if (kind !== 'revlog') assert.equal(ids.length, 400, `${kind}: every row`);
    }
    assert.ok(eager.length >= 4, 'several chunks, so several were built ahead');
    assert.deepEqual(
      eager.map((c) => c.done),
      eager.map((_, i) => i === eager.length - 1),
      'only the last reply is done',
    );
    // A chunk built ahead is dropped by any other step: the request after it builds afresh.
    await ok('start', { minUsn: 0, lnewer: false }, 'other-step');
    await ok('applyChanges', EMPTY_CHANGES, 'other-step');
    await pause(40);
    await ok('applyGraves', EMPTY_GRAVES, 'other-step');
    lines.length = 0;
    assert.deepEqual(await ok('chunk', {}, 'other-step'), eager[0]);
    assert.deepEqual(chunksAhead(), [false]);
    await ok('abort', {}, 'other-step');
    // A chunk is built ahead after the first reply; a new sync cancels that session and starts afresh.
    await ok('start', { minUsn: 0, lnewer: false }, 'first');
    await ok('chunk', {}, 'first');
    await pause(40);
    const m = await meta();
    await ok('start', { minUsn: m.usn + 1, lnewer: false }, 'second');
    assert.deepEqual(await ok('chunk', {}, 'second'), { done: true }, 'nothing is pending for the new sync');
    await ok('abort', {}, 'second');
  });

  test('D11: start returns only graves with usn >= minUsn; graves written by applyGraves get the server usn', async () => {
    const before = await meta();
    await ok('start', { minUsn: before.usn, lnewer: false });
    await ok('applyGraves', { chunk: { cards: [424242], notes: [434343], decks: [] } });
    await ok('applyChanges', EMPTY_CHANGES);
    await ok('chunk', {});
    await ok('applyChunk', { chunk: { done: true } });
    const counts = await ok('sanityCheck2', { client: [[0, 0, 0], 10, 10, 3, 2, 6, 1, 1] });
    assert.equal((counts as { status: string }).status, 'ok');
    await ok('finish', {});
    const graves = await ok('start', { minUsn: before.usn, lnewer: false }, 'sk2');
    assert.deepEqual(graves, { cards: [424242], notes: [434343], decks: [] });
    await ok('abort', {}, 'sk2');
    assert.deepEqual(await ok('start', { minUsn: before.usn + 1, lnewer: false }, 'sk3'), { cards: [], notes: [], decks: [] });
  });

  test('D18: finish replies the new mod in ms, bumps usn, and sets mod = ls', async () => {
    const before = await meta();
    const started = Date.now();
    await ok('start', { minUsn: before.usn, lnewer: true });
    await ok('applyChanges', EMPTY_CHANGES);
    await ok('chunk', {});
    await ok('applyChunk', { chunk: { done: true } });
    await ok('sanityCheck2', { client: [[0, 0, 0], 10, 10, 3, 0, 6, 1, 1] });
    const mod = (await ok('finish', {})) as number;
    assert.ok(mod >= started && mod <= Date.now());
    const afterMeta = await meta();
    assert.equal(afterMeta.usn, before.usn + 1);
    assert.equal(afterMeta.mod, mod);
  });

  test('D17: sanity check ignores graves and due counts', async () => {
    await ok('start', { minUsn: 0, lnewer: false });
    const r = (await ok('sanityCheck2', { client: [[5, 6, 7], 10, 10, 3, 99, 6, 1, 1] })) as { status: string };
    assert.equal(r.status, 'ok');
  });

  test('A7: a bad sanity check rolls back at once; the collection is byte-for-byte as before', async () => {
    const before = await meta();
    const hash = fileHash();
    await ok('start', { minUsn: before.usn, lnewer: true });
    await ok('applyChunk', { chunk: { done: true, revlog: [[1_700_000_000_000, 1, before.usn, 3, 1, 0, 2500, 1000, 1]] } });
    const r = (await ok('sanityCheck2', { client: [[0, 0, 0], 10, 10, 4, 0, 6, 2, 1] })) as { status: string; s: unknown[] };
    assert.equal(r.status, 'bad');
    assert.equal(r.s[6], 1, 'server counts one deck');
    assert.equal((await call('finish', {})).status, 409, 'a rolled-back sync cannot finish');
    await ok('abort', {});
    assert.equal(fileHash(), hash);
    const afterMeta = await meta();
    assert.equal(afterMeta.mod, before.mod);
    assert.equal(afterMeta.usn, before.usn);
  });

  test('rows with usn -1 at the sanity check make it bad', async () => {
    const before = await meta();
    await ok('start', { minUsn: before.usn, lnewer: true });
    await ok('applyChunk', { chunk: { done: true, revlog: [[1_700_000_000_001, 1, -1, 3, 1, 0, 2500, 1000, 1]] } });
    const r = (await ok('sanityCheck2', { client: [[0, 0, 0], 10, 10, 4, 0, 6, 1, 1] })) as { status: string };
    assert.equal(r.status, 'bad');
  });

  test('revlog and card writes left for after the applyChunk reply: a failure fails the next step, rolls back, and changes nothing', async () => {
    // A collection whose revlog refuses one row, standing in for a disk that fails mid-sync.
    const path = join(work, 'trap.anki2');
    rmSync(path, { force: true });
    makeUploadableCollection(path, 5, Date.now() - 3_600_000);
    const db = openCollection(path);
    db.exec("CREATE TRIGGER trap BEFORE INSERT ON revlog WHEN NEW.ease = 4 BEGIN SELECT RAISE(ABORT, 'the disk failed'); END");
    checkpointAndClose(db);
    assert.equal((await call('upload', readFileSync(path))).text(), 'OK');
    const before = await meta();
    const hash = fileHash();
    await ok('start', { minUsn: before.usn, lnewer: true });
    const good = [1_700_000_000_010, 1, before.usn, 3, 1, 0, 2500, 1000, 1];
    const bad = [1_700_000_000_011, 1, before.usn, 4, 1, 0, 2500, 1000, 1];
    await ok('applyChunk', { chunk: { done: false, revlog: [good] } });
    // The reply comes before the rows are written; the failure shows on the next step.
    assert.equal((await call('applyChunk', { chunk: { done: true, revlog: [bad] } })).status, 200);
    assert.equal((await call('sanityCheck2', { client: [[0, 0, 0], 5, 5, 2, 0, 6, 1, 1] })).status, 400);
    assert.equal((await call('finish', {})).status, 409, 'the session is gone');
    assert.equal(fileHash(), hash, 'nothing of the sync was written');
    const after = await meta();
    assert.deepEqual([after.mod, after.usn, after.scm], [before.mod, before.usn, before.scm]);
  });

  test('revlog and card rows sent in applyChunk are in the collection when the sync finishes', async () => {
    const before = await meta();
    await ok('start', { minUsn: 0, lnewer: false }, 'peek');
    const c = (await ok('chunk', {}, 'peek')) as { cards: unknown[][] };
    await ok('abort', {}, 'peek');
    await ok('start', { minUsn: before.usn, lnewer: true });
    const card = [...c.cards[0]!];
    card[4] = Math.floor(Date.now() / 1000);
    card[8] = 4242;
    await ok('applyChunk', { chunk: { done: false, revlog: [[1_700_000_000_020, card[0], before.usn, 3, 1, 0, 2500, 1000, 1]] } });
    await ok('applyChunk', { chunk: { done: true, cards: [card] } });
    await ok('sanityCheck2', { client: [[0, 0, 0], 10, 10, 4, 0, 6, 1, 1] });
    await ok('finish', {});
    await ok('start', { minUsn: 0, lnewer: false }, 'check');
    const all = (await ok('chunk', {}, 'check')) as { cards: unknown[][]; revlog: unknown[][] };
    await ok('abort', {}, 'check');
    assert.equal(all.cards.find((x) => x[0] === card[0])![8], 4242);
    assert.ok(all.revlog.some((r) => r[0] === 1_700_000_000_020));
  });

  const failingChunks: Array<[string, unknown]> = [
    ['A8: a note whose notetype does not exist', { done: true, notes: [[1, 'g', 999, 1_700_000_000, 5, '', 'a\u001fb', '', '', 0, '']] }],
    [
      'a note with a different field count than its notetype',
      { done: true, notes: [[2, 'g2', 'BASIC', 1_700_000_000, 5, '', 'only one field plus\u001fextra\u001fthird', '', '', 0, '']] },
    ],
  ];
  for (const [what, chunk] of failingChunks) {
    test(`${what} fails the step with 400, ends the session and leaves the collection byte-for-byte as before`, async () => {
      const before = await meta();
      const hash = fileHash();
      await ok('start', { minUsn: before.usn, lnewer: true });
      await ok('applyGraves', { chunk: { cards: [], notes: [], decks: [] } });
      await ok('applyChunk', { chunk: { done: false, revlog: [[1_700_000_000_002, 1, before.usn, 3, 1, 0, 2500, 1000, 1]] } });
      const basic = basicNotetypeId(join(work, 'basic.anki2'));
      const body = JSON.parse(JSON.stringify({ chunk }).replace('"BASIC"', String(basic)));
      assert.equal((await call('applyChunk', body)).status, 400);
      assert.equal((await call('applyChunk', { chunk: { done: true } })).status, 409, 'the session is gone');
      assert.equal(fileHash(), hash);
      const afterMeta = await meta();
      assert.equal(afterMeta.mod, before.mod);
      assert.equal(afterMeta.usn, before.usn);
    });
  }

  test('D16: an incoming card loses to a server card changed since the last sync with a newer mod', async () => {
    const before = await meta();
    // Sync 1 changes card 1's due on the server (usn = before.usn).
    const c = ((await ok('start', { minUsn: 0, lnewer: false })) && (await ok('chunk', {}))) as { cards: unknown[][] };
    await ok('abort', {});
    const card = [...c.cards[0]!];
    card[4] = Math.floor(Date.now() / 1000);
    card[5] = before.usn;
    card[8] = 777;
    await ok('start', { minUsn: before.usn, lnewer: true });
    await ok('applyChunk', { chunk: { done: true, cards: [card] } });
    await ok('sanityCheck2', { client: [[0, 0, 0], 10, 10, 3, 0, 6, 1, 1] });
    await ok('finish', {});
    // Sync 2 from another device that last synced before sync 1, with an older edit of that card.
    const older = [...card];
    older[4] = (card[4] as number) - 100;
    older[8] = 555;
    await ok('start', { minUsn: before.usn, lnewer: true }, 'dev2');
    await ok('applyChunk', { chunk: { done: true, cards: [older] } }, 'dev2');
    await ok('sanityCheck2', { client: [[0, 0, 0], 10, 10, 3, 0, 6, 1, 1] }, 'dev2');
    await ok('finish', {}, 'dev2');
    await ok('start', { minUsn: 0, lnewer: false }, 'dev3');
    const all = (await ok('chunk', {}, 'dev3')) as { cards: unknown[][] };
    assert.equal(all.cards.find((x) => x[0] === card[0])![8], 777, 'server kept its newer card');
    await ok('abort', {}, 'dev3');
  });

  test("D16: an incoming card wins when the server copy is unchanged since the client's last sync (even if newer) or older; a tie keeps the server's", async () => {
    const first = await meta();
    const c = ((await ok('start', { minUsn: 0, lnewer: false }, 'w0')) && (await ok('chunk', {}, 'w0'))) as { cards: unknown[][] };
    await ok('abort', {}, 'w0');
    const card = [...c.cards[1]!];
    const now = Math.floor(Date.now() / 1000);
    const push = async (skey: string, minUsn: number, mod: number, due: number): Promise<void> => {
      const row = [...card];
      row[4] = mod;
      row[5] = minUsn;
      row[8] = due;
      await ok('start', { minUsn, lnewer: true }, skey);
      await ok('applyChunk', { chunk: { done: true, cards: [row] } }, skey);
      await ok('sanityCheck2', { client: [[0, 0, 0], 10, 10, 3, 0, 6, 1, 1] }, skey);
      await ok('finish', {}, skey);
    };
    const serverDue = async (): Promise<unknown> => {
      await ok('start', { minUsn: 0, lnewer: false }, 'peek-card');
      const all = (await ok('chunk', {}, 'peek-card')) as { cards: unknown[][] };
      await ok('abort', {}, 'peek-card');
      return all.cards.find((x) => x[0] === card[0])![8];
    };
    await push('w1', first.usn, now, 101);
    assert.equal(await serverDue(), 101, 'a new edit is stored');
    // A device that synced after that edit (its minUsn is past the card's usn) sends an older mod: it wins.
    const second = await meta();
    await push('w2', second.usn, now - 500, 202);
    assert.equal(await serverDue(), 202, "unchanged since the client's last sync: incoming wins even though older");
    // A device that last synced before w2's edit sends the same mod: a tie keeps the server's row.
    await push('w3', second.usn - 1, now - 500, 303);
    assert.equal(await serverDue(), 202, 'same mod: the server keeps its row');
    // And a newer mod from that device wins.
    await push('w4', second.usn - 1, now + 10, 404);
    assert.equal(await serverDue(), 404, 'changed on the server but older: incoming wins');
  });

  /** The server's notetypes/decks/configs as legacy JSON, read through a throwaway session. */
  const serverObjects = async (): Promise<{
    models: Record<string, unknown>[];
    decks: [Record<string, unknown>[], Record<string, unknown>[]];
    conf?: unknown;
    crt?: unknown;
  }> => {
    await ok('start', { minUsn: 0, lnewer: false }, 'peek');
    const r = (await ok('applyChanges', EMPTY_CHANGES, 'peek')) as {
      models: Record<string, unknown>[];
      decks: [Record<string, unknown>[], Record<string, unknown>[]];
    };
    await ok('abort', {}, 'peek');
    return r;
  };
  const fullRound = async (changes: unknown, skey = 'sk1') => {
    const m = await meta();
    await ok('start', { minUsn: m.usn, lnewer: true }, skey);
    const reply = await ok('applyChanges', changes, skey);
    return { m, reply };
  };

  test('D12: applyChanges sends all config and crt only when the server is newer', async () => {
    await ok('start', { minUsn: 0, lnewer: false });
    const older = (await ok('applyChanges', EMPTY_CHANGES)) as Record<string, unknown>;
    assert.equal(typeof older.crt, 'number');
    assert.equal((older.conf as Record<string, unknown>).curDeck, 1);
    assert.deepEqual(Object.keys(older).sort(), ['conf', 'crt', 'decks', 'models', 'tags']);
    await ok('abort', {});
    await ok('start', { minUsn: 0, lnewer: true });
    const newer = (await ok('applyChanges', EMPTY_CHANGES)) as Record<string, unknown>;
    assert.deepEqual(Object.keys(newer).sort(), ['decks', 'models', 'tags']);
    assert.equal((newer.models as unknown[]).length, 6, 'all six notetypes are new to a client at usn 0');
  });

  test('D13: an incoming notetype replaces the server copy only if it is not older', async () => {
    const { models } = await serverObjects();
    const basic = models.find((m) => m.name === 'Basic')!;
    const older = { ...basic, name: 'Basic (older edit)', mod: (basic.mod as number) - 10 };
    await fullRound({ changes: { models: [older], decks: [[], []], tags: [] } });
    await ok('abort', {});
    assert.ok(
      (await serverObjects()).models.some((m) => m.name === 'Basic'),
      'older edit ignored',
    );
    const newer = { ...basic, name: 'Basic (newer edit)', mod: (basic.mod as number) + 10 };
    await fullRound({ changes: { models: [newer], decks: [[], []], tags: [] } });
    await ok('chunk', {});
    await ok('applyChunk', { chunk: { done: true } });
    await ok('sanityCheck2', { client: [[0, 0, 0], 10, 10, 3, 0, 6, 1, 1] });
    await ok('finish', {});
    assert.ok((await serverObjects()).models.some((m) => m.name === 'Basic (newer edit)'));
  });

  test('D14: an incoming notetype with the same id but another field count fails the sync and rolls back', async () => {
    const { models } = await serverObjects();
    const basic = models.find((m) => m.name === 'Basic')! as { flds: Record<string, unknown>[]; mod: number };
    const changed = { ...basic, mod: basic.mod + 10, flds: [...basic.flds, { ...basic.flds[1], name: 'Extra', ord: 2, id: 12345 }] };
    const hash = fileHash();
    const m = await meta();
    await ok('start', { minUsn: m.usn, lnewer: true });
    assert.equal((await call('applyChanges', { changes: { models: [changed], decks: [[], []], tags: [] } })).status, 400);
    assert.equal((await call('chunk', {})).status, 409, 'the session is gone');
    assert.equal(fileHash(), hash);
  });

  test('D15: an incoming deck whose name collides case-insensitively with another deck is stored as name + "+"', async () => {
    const { decks } = await serverObjects();
    const deflt = decks[0].find((d) => d.id === 1)!;
    const clash = { ...deflt, id: 1_700_000_000_123, name: 'DEFAULT', mod: Math.floor(Date.now() / 1000) };
    await fullRound({ changes: { models: [], decks: [[clash], []], tags: [] } });
    await ok('chunk', {});
    await ok('applyChunk', { chunk: { done: true } });
    const sanity = (await ok('sanityCheck2', { client: [[0, 0, 0], 10, 10, 3, 0, 6, 2, 1] })) as { status: string };
    assert.equal(sanity.status, 'ok');
    await ok('finish', {});
    const names = (await serverObjects()).decks[0].map((d) => d.name).sort();
    assert.deepEqual(names, ['DEFAULT+', 'Default']);
  });

  /**
   * Stops the server, stores a config value that is not JSON in its collection (as a damaged file
   * would have it) and starts a new server on the same folder, which the test's end removes.
   */
  const restartWithDamagedConfigValue = async (tc: TestContext): Promise<void> => {
    await t.server.close();
    const db = openCollection(join(t.base, 'user', 'collection.anki2'));
    db.prepare("INSERT OR REPLACE INTO config (KEY, usn, mtime_secs, val) VALUES ('broken', 0, 0, ?)").run(Buffer.from('{"a":'));
    checkpointAndClose(db);
    const base = t.base;
    t = await startTestServer({ base, logger: createLogger((l) => lines.push(l)) });
    tc.after(async () => {
      await t.stop();
      rmSync(base, { recursive: true, force: true });
    });
  };

  test('a newer client replaces a config value stored as invalid JSON (the server does not read it)', async (tc) => {
    await restartWithDamagedConfigValue(tc);
    const m = await meta();
    await ok('start', { minUsn: m.usn, lnewer: true });
    await ok('applyChanges', { changes: { models: [], decks: [[], []], tags: [], conf: { curDeck: 1 }, crt: 1_690_000_000 } });
    await ok('chunk', {});
    await ok('applyChunk', { chunk: { done: true } });
    await ok('sanityCheck2', { client: [[0, 0, 0], 10, 10, 3, 0, 6, 1, 1] });
    await ok('finish', {});
    await ok('start', { minUsn: 0, lnewer: false }, 'sk2');
    const r = (await ok('applyChanges', EMPTY_CHANGES, 'sk2')) as { conf: Record<string, unknown> };
    assert.deepEqual(r.conf, { curDeck: 1 });
    await ok('abort', {}, 'sk2');
  });

  /** A syncs a renamed default deck; returns the usn B must have had to be up to date before it. */
  const renameDefaultDeckOnA = async (name: string): Promise<number> => {
    const { decks } = await serverObjects();
    const deflt = decks[0].find((d) => d.id === 1)!;
    const m = await meta();
    await ok('start', { minUsn: m.usn, lnewer: true });
    // A client sends its changed objects with the server's usn (rslib changes_to_send).
    const renamed = { ...deflt, name, mod: Math.floor(Date.now() / 1000) + 5, usn: m.usn };
    await ok('applyChanges', { changes: { models: [], decks: [[renamed], []], tags: [] } });
    await ok('chunk', {});
    await ok('applyChunk', { chunk: { done: true } });
    await ok('sanityCheck2', { client: [[0, 0, 0], 10, 10, 3, 0, 6, 1, 1] });
    await ok('finish', {});
    // The reply for the next device is built right after finish, under the person's lock.
    await new Promise((resolve) => setTimeout(resolve, 50));
    return m.usn;
  };
  const applyChangesLoggedAhead = (): boolean => lines.filter((l) => l.includes('/sync/applyChanges')).some((l) => / ahead=yes\b/.test(l));

  test("the next device's applyChanges is the reply built after the last sync finished, the same as one computed afresh", async () => {
    const bUsn = await renameDefaultDeckOnA('Renamed on A');
    lines.length = 0;
    await ok('start', { minUsn: bUsn, lnewer: false }, 'b1');
    const ahead = (await call('applyChanges', EMPTY_CHANGES, 'b1')).text();
    assert.ok(applyChangesLoggedAhead(), 'served from the reply built ahead');
    assert.ok(ahead.includes('"name":"Renamed on A"'), ahead);
    // Aborting closes the collection (as the reference does), and with it the reply built ahead.
    await ok('abort', {}, 'b1');
    lines.length = 0;
    await ok('start', { minUsn: bUsn, lnewer: false }, 'b2');
    const fresh = (await call('applyChanges', EMPTY_CHANGES, 'b2')).text();
    assert.ok(!applyChangesLoggedAhead(), 'computed afresh');
    assert.equal(ahead, fresh);
  });

  test('a pull that writes before applyChanges (its graves) gets the server changes computed afresh', async () => {
    const bUsn = await renameDefaultDeckOnA('Renamed again');
    lines.length = 0;
    await ok('start', { minUsn: bUsn, lnewer: false }, 'b1');
    await ok('applyGraves', { chunk: { cards: [1_234_567], decks: [], notes: [] } }, 'b1');
    const reply = (await call('applyChanges', EMPTY_CHANGES, 'b1')).text();
    assert.ok(!applyChangesLoggedAhead(), 'a row was written since the reply was built');
    assert.ok(reply.includes('"name":"Renamed again"'), reply);
  });

  test('a device that last synced before an earlier sync gets the server changes computed for its own usn', async () => {
    const firstUsn = await renameDefaultDeckOnA('First rename');
    await renameDefaultDeckOnA('Second rename');
    lines.length = 0;
    await ok('start', { minUsn: firstUsn, lnewer: false }, 'b1');
    const reply = (await call('applyChanges', EMPTY_CHANGES, 'b1')).text();
    assert.ok(!applyChangesLoggedAhead(), 'the reply built ahead was for the usn after the first rename');
    assert.ok(reply.includes('"name":"Second rename"'), reply);
  });

  test('a deck with id 0 fails the sync (400) and rolls back', async () => {
    const { decks } = await serverObjects();
    const zero = { ...decks[0][0], id: 0, name: 'Zero' };
    const hash = fileHash();
    await fullRound({ changes: { models: [], decks: [[zero], []], tags: [] } }).catch(() => undefined);
    assert.equal((await call('chunk', {})).status, 409);
    assert.equal(fileHash(), hash);
  });

  test('tags and config sent by a newer client are stored; non-ASCII tags keep their spelling', async () => {
    const before = await meta();
    await ok('start', { minUsn: before.usn, lnewer: true });
    await ok('applyChanges', {
      changes: {
        models: [],
        decks: [[], []],
        tags: ['日本語::語彙', 'Ärger', 'straße'],
        conf: { curDeck: 1, test: 'test1' },
        crt: 1_690_000_000,
      },
    });
    await ok('chunk', {});
    await ok('applyChunk', { chunk: { done: true } });
    await ok('sanityCheck2', { client: [[0, 0, 0], 10, 10, 3, 0, 6, 1, 1] });
    await ok('finish', {});
    await ok('start', { minUsn: 0, lnewer: false }, 'sk2');
    const r = (await ok('applyChanges', EMPTY_CHANGES, 'sk2')) as { tags: string[]; conf: Record<string, unknown>; crt: number };
    assert.deepEqual(r.tags.filter((x) => x !== 'tag').sort(), ['straße', 'Ärger', '日本語::語彙'].sort());
    assert.deepEqual(r.conf, { curDeck: 1, test: 'test1' });
    assert.equal(r.crt, 1_690_000_000);
  });

  test('config values go to an older client with their exact JSON text: 64-bit integers and floats keep their digits', async () => {
    const before = await meta();
    await ok('start', { minUsn: before.usn, lnewer: true });
    const conf = '{"curDeck":1,"big":1234567890123456789,"f":1.50,"nested":{"a":[1,2.0e3,-0],"s":"日本"}}';
    const body = Buffer.from(`{"changes":{"models":[],"decks":[[],[]],"tags":[],"conf":${conf},"crt":1690000000}}`);
    await ok('applyChanges', body);
    await ok('chunk', {});
    await ok('applyChunk', { chunk: { done: true } });
    await ok('sanityCheck2', { client: [[0, 0, 0], 10, 10, 3, 0, 6, 1, 1] });
    await ok('finish', {});
    await ok('start', { minUsn: 0, lnewer: false }, 'sk2');
    const text = (await call('applyChanges', EMPTY_CHANGES, 'sk2')).text();
    for (const literal of ['"big":1234567890123456789', '"f":1.50', '"a":[1,2.0e3,-0]', '"s":"日本"']) {
      assert.ok(text.includes(literal), `${literal} in ${text}`);
    }
    assert.ok(text.endsWith(',"crt":1690000000}'), text);
  });

  test('a config value stored as invalid JSON fails applyChanges for an older client and rolls the sync back', async (tc) => {
    await restartWithDamagedConfigValue(tc);
    const hash = fileHash();
    await ok('start', { minUsn: 0, lnewer: false });
    assert.equal((await call('applyChanges', EMPTY_CHANGES)).status, 400);
    assert.equal(await sessionStatus(), 409, 'the session is gone');
    assert.equal(fileHash(), hash, 'the collection is as it was');
  });
});
