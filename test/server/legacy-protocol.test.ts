// Sync protocols 8–10 at the HTTP level (src/server/wire/legacy-form.ts): the multipart framing of
// Anki 2.1.50–2.1.56, answered as the official server answers it (docs/protocol/http.md §2.3, §3;
// the edge cases were checked against the official server). The real old clients run in
// test/interop/old-clients.*.test.ts.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { send, syncHeader } from '../helpers/sync-client.ts';
import { sendLegacy } from '../helpers/legacy-client.ts';
import { startTestServer } from '../helpers/test-server.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { openDeviceStore } from '../../src/server/accounts/device-store.ts';
import { openCollection, checkpointAndClose } from '../../src/server/collection/open.ts';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { makeUploadableCollection } from '../helpers/collections.ts';
import { writeSchema11Copy } from '../../src/server/collection/downgrade.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CV = 'anki,2.1.50 (26d40c3a),linux';

describe('sync protocols 8–10 (multipart framing)', () => {
  let t: TestServer;
  let base = '';
  beforeEach(async () => {
    base = mkdtempSync(join(tmpdir(), 'hearth-legacy-'));
    t = await startTestServer({ users: ['user:pass'], base });
  });
  afterEach(async () => {
    await t.stop();
    rmSync(base, { recursive: true, force: true });
  });

  const login = async (): Promise<string> => {
    const r = await sendLegacy(t.endpoint, 'sync/hostKey', { data: { u: 'user', p: 'pass' }, c: '1' });
    assert.equal(r.status, 200);
    return (r.json() as { key: string }).key;
  };
  const isPlain = (r: { headers: Record<string, unknown> }): void => {
    assert.equal(r.headers['anki-original-size'], undefined, 'not zstd');
    assert.equal(r.headers['content-type'], 'application/octet-stream');
  };

  test('a login with gzip data answers a plain reply; a wrong password is 403 (an authentication error for the client), not 501', async () => {
    const r = await sendLegacy(t.endpoint, 'sync/hostKey', { data: { u: 'user', p: 'pass' }, c: '1' });
    assert.equal(r.status, 200);
    isPlain(r);
    assert.match((r.json() as { key: string }).key, /^[0-9a-f]{40}$/);
    assert.equal((await sendLegacy(t.endpoint, 'sync/hostKey', { data: { u: 'user', p: 'bad' }, c: '1' })).status, 403);
  });

  test('meta answers protocol 10 normally, names the device from cv, and refuses 7 and 12 with 501', async () => {
    const key = await login();
    const r = await sendLegacy(t.endpoint, 'sync/meta', { data: { v: 10, cv: CV }, c: '1', k: key, s: 'abc' });
    assert.equal(r.status, 200);
    isPlain(r);
    const m = r.json() as Record<string, unknown>;
    assert.equal(m.cont, true);
    assert.equal(m.hostNum, 0, '2.1.50 cannot read a reply without hostNum');
    for (const v of [7, 12])
      assert.equal((await sendLegacy(t.endpoint, 'sync/meta', { data: { v, cv: CV }, c: '1', k: key })).status, 501, `v ${v}`);
    const devices = openDeviceStore(t.base, 0);
    try {
      assert.deepEqual(
        devices.list('user').map((d) => d.client),
        ['2.1.50,26d40c3a,linux'],
        'the window can say "Anki 2.1.50 (Linux)"',
      );
    } finally {
      devices.close();
    }
  });

  test('meta tells protocol 8 about the v2 scheduler and 9 about the time zone handling, with cont false', async () => {
    const key = await login();
    // Make the collection, then give it what a modern client's collection has.
    assert.equal((await sendLegacy(t.endpoint, 'sync/meta', { data: { v: 10, cv: CV }, c: '1', k: key })).status, 200);
    await t.stop();
    const col = openCollection(join(t.base, 'user', 'collection.anki2'));
    col.prepare("INSERT OR REPLACE INTO config (KEY, usn, mtime_secs, val) VALUES ('schedVer', 0, 0, CAST('2' AS BLOB))").run();
    col.prepare("INSERT OR REPLACE INTO config (KEY, usn, mtime_secs, val) VALUES ('creationOffset', 0, 0, CAST('-60' AS BLOB))").run();
    checkpointAndClose(col);
    t = await startTestServer({ users: ['user:pass'], base });
    const metaOf = async (v: number) =>
      (await sendLegacy(t.endpoint, 'sync/meta', { data: { v, cv: CV }, c: '1', k: key })).json() as { cont: boolean; msg: string };
    assert.deepEqual(await metaOf(8).then((m) => [m.cont, m.msg]), [false, 'Your client does not support the v2 scheduler']);
    assert.deepEqual(await metaOf(9).then((m) => [m.cont, m.msg]), [false, 'Your client does not support the new timezone handling.']);
    assert.deepEqual(await metaOf(10).then((m) => [m.cont, m.msg]), [true, '']);
  });

  test('c absent or "0" means raw data; gzip without c, or c with data that is not gzip, is 400; no data at all is {}', async () => {
    const key = await login();
    assert.equal((await sendLegacy(t.endpoint, 'sync/meta', { data: { v: 10, cv: CV }, c: '0', k: key })).status, 200);
    assert.equal((await sendLegacy(t.endpoint, 'sync/meta', { data: { v: 10, cv: CV }, k: key })).status, 200);
    const { gzipSync } = await import('node:zlib');
    assert.equal((await sendLegacy(t.endpoint, 'sync/meta', { rawData: gzipSync('{"v":10,"cv":"x"}'), k: key })).status, 400);
    assert.equal((await sendLegacy(t.endpoint, 'sync/meta', { rawData: Buffer.from('{"v":10,"cv":"x"}'), c: '1', k: key })).status, 400);
    assert.equal((await sendLegacy(t.endpoint, 'sync/meta', { k: key })).status, 400, '{} has no v');
    assert.equal((await sendLegacy(t.endpoint, 'sync/meta', { data: { v: 10, cv: CV }, c: '1', k: 'f'.repeat(40) })).status, 403);
  });

  test('a normal sync with the session key in s: start, applyChanges, chunk, sanityCheck2, finish; no s is 400', async () => {
    const key = await login();
    const step = (method: string, data: unknown, s = 'legacy-s') => sendLegacy(t.endpoint, `sync/${method}`, { data, c: '1', k: key, s });
    const meta = (await step('meta', { v: 10, cv: CV })).json() as { usn: number };
    assert.equal((await step('start', { minUsn: 0, lnewer: false, graves: null }, '')).status, 400, 'missing skey');
    const start = await step('start', { minUsn: 0, lnewer: false, graves: null });
    assert.equal(start.status, 200);
    assert.deepEqual(start.json(), { cards: [], decks: [], notes: [] });
    const graves = await step('applyGraves', { chunk: { cards: [], decks: [], notes: [] } });
    assert.equal(graves.status, 200, graves.text());
    const changes = await step('applyChanges', { changes: { models: [], decks: [[], []], tags: [] } });
    assert.equal(changes.status, 200);
    assert.deepEqual((await step('chunk', {})).json(), { done: true });
    assert.equal((await step('applyChunk', { chunk: { done: true } })).status, 200);
    // 2.1.50 sends its real due counts; they are not compared (zeroed in `c`).
    const probe = (await step('sanityCheck2', { client: [[4, 0, 0], 0, 0, 0, 0, 0, 0, 0] })).json() as { c: unknown[]; s: number[] };
    assert.deepEqual(probe.c[0], [0, 0, 0]);
    assert.equal((await step('abort', {})).status, 200);
    // Again, with the server's own counts: the sync finishes.
    await step('start', { minUsn: 0, lnewer: false, graves: null });
    await step('applyChanges', { changes: { models: [], decks: [[], []], tags: [] } });
    await step('chunk', {});
    await step('applyChunk', { chunk: { done: true } });
    const sanity = await step('sanityCheck2', { client: [[4, 0, 0], ...probe.s.slice(1)] });
    assert.equal((sanity.json() as { status: string }).status, 'ok');
    const finish = await step('finish', {});
    assert.equal(finish.status, 200);
    isPlain(finish);
    assert.equal(typeof finish.json(), 'number');
    assert.ok(meta.usn >= 0);
  });

  test('a zstd request with header version 10 is read as zstd and answered plain (the official server does the same)', async () => {
    const key = await login();
    const r = await send(t.endpoint, 'sync/meta', { header: syncHeader(key, 's', 10), body: { v: 10, cv: CV } });
    assert.equal(r.status, 200);
    isPlain(r);
  });

  test('a full upload of a schema-11 file (gzip, as 2.1.50 sends it) is upgraded and stored as schema 18; the full download is a schema-11 copy in DELETE mode', async () => {
    const key = await login();
    // What Anki 2.1.50 uploads: a schema-11 file in the rollback-journal mode.
    const made = join(base, 'made.anki2');
    makeUploadableCollection(made, 12, Date.now() - 3_600_000);
    const old = join(base, 'old.anki2');
    writeSchema11Copy(made, old);
    const up = await sendLegacy(t.endpoint, 'sync/upload', { data: readFileSync(old), c: '1', k: key, s: 'x' });
    assert.equal(up.status, 200);
    isPlain(up);
    assert.equal(up.text(), 'OK');
    const down = await sendLegacy(t.endpoint, 'sync/download', { data: {}, c: '1', k: key, s: 'x' });
    assert.equal(down.status, 200);
    isPlain(down);
    assert.equal(Number(down.headers['content-length']), down.body.length);
    // What the client checks before it takes the file: rollback journal (header bytes 18/19 = 1)
    // and an integrity check without the unicase collation.
    assert.deepEqual([down.body[18], down.body[19]], [1, 1]);
    const got = join(base, 'got.anki2');
    writeFileSync(got, down.body);
    const plain = new Database(got);
    try {
      assert.equal(plain.pragma('integrity_check', { simple: true }), 'ok');
      assert.equal(plain.pragma('journal_mode', { simple: true }), 'delete');
      assert.equal((plain.prepare('SELECT ver FROM col').get() as { ver: number }).ver, 11);
      assert.equal((plain.prepare('SELECT count(*) AS n FROM notes').get() as { n: number }).n, 12);
    } finally {
      plain.close();
    }
    // The copy is removed once sent (a moment after the client has it all), and the stored collection is still schema 18.
    const leftovers = () => readdirSync(join(base, 'user')).filter((n) => n.includes('.tmp') || n.endsWith('-journal'));
    for (let i = 0; i < 40 && leftovers().length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(leftovers(), []);
    // (The download closed it, so it can be read here.)
    const after = openCollection(join(base, 'user', 'collection.anki2'), { readonly: true });
    try {
      assert.equal((after.prepare('SELECT ver FROM col').get() as { ver: number }).ver, 18, 'stored as schema 18');
      assert.equal((after.prepare('SELECT count(*) AS n FROM notes').get() as { n: number }).n, 12);
    } finally {
      after.close();
    }
  });

  test('a protocol-11 device of the same person still gets schema 18 from a full download', async () => {
    const key = await login();
    const made = join(base, 'made.anki2');
    makeUploadableCollection(made, 3, Date.now() - 3_600_000);
    assert.equal((await send(t.endpoint, 'sync/upload', { header: syncHeader(key), body: readFileSync(made) })).text(), 'OK');
    const down = await send(t.endpoint, 'sync/download', { header: syncHeader(key), body: {} });
    assert.equal(down.status, 200);
    const got = join(base, 'got18.anki2');
    writeFileSync(got, down.body);
    const col = openCollection(got, { readonly: true });
    try {
      assert.equal((col.prepare('SELECT ver FROM col').get() as { ver: number }).ver, 18);
    } finally {
      col.close();
    }
  });
});
