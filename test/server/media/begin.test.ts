// Media sync: `begin`, authentication, framing and the legacy forms (docs/protocol/media-sync.md §1, §3.1;
// docs/protocol/behaviours.md B1-B3, D31).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { send, syncHeader } from '../../helpers/sync-client.ts';
import { startTestServer } from '../../helpers/test-server.ts';
import type { TestServer } from '../../helpers/test-server.ts';
import { MediaClient } from './support.ts';

describe('media begin and authentication', () => {
  let t: TestServer;
  let media: MediaClient;
  before(async () => {
    t = await startTestServer();
    media = new MediaClient(t.endpoint, t.hkey());
  });
  after(() => t.stop());

  test('begin on a new account answers {"data":{"usn":0,"sk":<hkey>},"err":""} with anki-original-size', async () => {
    const r = await media.post('begin', { v: 'anki,26.9.3 (abc),linux' });
    assert.equal(r.status, 200);
    assert.equal(Number(r.headers['anki-original-size']), r.body.length);
    assert.deepEqual(r.json(), { data: { usn: 0, sk: t.hkey() }, err: '' });
  });

  test('begin without a client version, with an empty one, or with a number is 400', async () => {
    for (const body of [{}, { v: '' }, { v: 11 }, []]) {
      assert.equal((await media.post('begin', body)).status, 400, JSON.stringify(body));
    }
    const garbage = await send(t.endpoint, 'msync/begin', { header: syncHeader(t.hkey()), body: Buffer.from('{not json') });
    assert.equal(garbage.status, 400);
  });

  test('every media method refuses an unknown host key with 403', async () => {
    const stranger = new MediaClient(t.endpoint, '0123456789abcdef0123456789abcdef01234567');
    const bodies: Record<string, unknown> = {
      begin: { v: 'x' },
      mediaChanges: { lastUsn: 0 },
      uploadChanges: Buffer.from('PK'),
      downloadFiles: { files: [] },
      mediaSanity: { local: 0 },
    };
    for (const [method, body] of Object.entries(bodies)) {
      const r = await stranger.post(method, body);
      assert.equal(r.status, 403, method);
      assert.equal(r.headers['anki-original-size'], undefined, 'errors are bare statuses');
    }
  });

  test('a body that is not zstd is 400; an unknown media method is 400; GET on a POST method is 405', async () => {
    const notZstd = await send(t.endpoint, 'msync/mediaChanges', { header: syncHeader(t.hkey()), raw: Buffer.from('{"lastUsn":0}') });
    assert.equal(notZstd.status, 400);
    assert.equal((await media.post('mediaStuff', {})).status, 400);
    assert.equal((await send(t.endpoint, 'msync/mediaChanges', { method: 'GET' })).status, 405);
  });

  // B1-B3 exercise the legacy (protocol ≤ 10) framing, which Hearth deliberately does not serve
  // (wire/sync-header.ts): such clients predate Anki 2.1.57 and get 501 "client too old".
  test('B1: legacy GET /msync/begin?k=&v= is served with a plain reply; without k or v it is 400', async () => {
    const r = await send(t.endpoint, `msync/begin?k=${t.hkey()}&v=anki,2.1.50`, { method: 'GET' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/octet-stream');
    assert.deepEqual(r.json(), { data: { usn: 0, sk: t.hkey() }, err: '' });
    assert.equal((await send(t.endpoint, `msync/begin?k=${t.hkey()}`, { method: 'GET' })).status, 400);
    assert.equal((await send(t.endpoint, `msync/begin?v=x`, { method: 'GET' })).status, 400);
    assert.equal((await send(t.endpoint, `msync/begin?k=0000&v=x`, { method: 'GET' })).status, 403);
  });

  test('B2/B3: legacy multipart begin (v as a field) and mediaChanges with the key as sk are served', async () => {
    const boundary = 'hearthboundary';
    const form = (fields: Record<string, string>): Buffer =>
      Buffer.from(
        Object.entries(fields)
          .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
          .join('') + `--${boundary}--\r\n`,
      );
    const contentType = `multipart/form-data; boundary=${boundary}`;
    const begin = await send(t.endpoint, 'msync/begin', { header: null, raw: form({ c: '0', v: 'client', k: t.hkey() }), contentType });
    assert.equal(begin.status, 200);
    assert.deepEqual(begin.json(), { data: { usn: 0, sk: t.hkey() }, err: '' });
    const changes = await send(t.endpoint, 'msync/mediaChanges', {
      header: null,
      raw: form({ c: '0', v: 'client', sk: t.hkey(), data: '{"lastUsn": 0}' }),
      contentType,
    });
    assert.equal(changes.status, 200);
    assert.deepEqual(changes.json(), { data: [], err: '' });
  });

  test('D31: meta.media_usn equals begin.usn, before and after media changes', async () => {
    const meta = async (): Promise<number> => {
      const r = await send(t.endpoint, 'sync/meta', { header: syncHeader(t.hkey()), body: { v: 11, cv: 'anki,26.9.3 (x),linux' } });
      assert.equal(r.status, 200);
      return (r.json() as { media_usn: number }).media_usn;
    };
    assert.equal(await meta(), await media.usn());
    await media.upload([
      ['one.txt', 'one'],
      ['two.txt', 'two'],
    ]);
    assert.equal(await media.usn(), 2);
    assert.equal(await meta(), 2);
  });
});
