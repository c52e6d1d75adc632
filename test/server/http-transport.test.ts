import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { zstdCompressSync } from 'node:zlib';
import { request } from 'node:http';
import { send, syncHeader, zstdStreamed } from '../helpers/sync-client.ts';

/** A plain GET with chosen headers (Host, User-Agent), which fetch-style clients would not let us set. */
function sendWithHeaders(endpoint: string, path: string, headers: Record<string, string>): Promise<{ status: number; text(): string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, endpoint), { method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: () => Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}
import { startTestServer } from '../helpers/test-server.ts';
import type { TestServer } from '../helpers/test-server.ts';

describe('HTTP transport', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ maxPayloadMegs: 1, users: ['user:pass', 'grandma:knitting-2024'] });
  });
  after(() => t.stop());

  test('GET /health answers 200 with an empty body', async () => {
    const r = await send(t.endpoint, '/health', { method: 'GET' });
    assert.equal(r.status, 200);
    assert.equal(r.body.length, 0);
  });

  test('GET / and /setup answer the phone setup page: running, the exact address, the steps, no account names', async () => {
    for (const path of ['/', '/setup']) {
      const r = await send(t.endpoint, path, { method: 'GET' });
      assert.equal(r.status, 200);
      assert.match(String(r.headers['content-type']), /text\/html/);
      assert.match(r.text(), /Hearth is running/);
      assert.ok(r.text().includes(`value="${t.endpoint}"`), 'page shows the URL to paste, trailing slash included');
      for (const app of ['AnkiDroid', 'AnkiMobile', 'Anki on a computer']) assert.ok(r.text().includes(app), app);
      assert.match(r.text(), /Hearth username/);
      assert.match(r.text(), /media sync URL/i);
      assert.ok(!r.text().includes('grandma'), 'page names no account');
      assert.match(String(r.headers['content-security-policy']), /default-src 'none'/);
    }
  });

  test('the setup page folds the older apps’ steps away, with the addresses made from the one it shows', async () => {
    const html = (await send(t.endpoint, '/setup', { method: 'GET' })).text();
    const entity = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    // Today's steps come first and still say the media address stays empty.
    const older = html.indexOf('<details id="older-versions">');
    assert.ok(older > html.indexOf('id="steps-desktop"') && older > html.indexOf('id="steps-ankidroid"'), 'after today’s steps');
    assert.ok(html.indexOf(entity('Leave any "media sync URL" empty')) < older);
    assert.ok(!html.slice(0, older).includes(`${t.endpoint}msync/`), 'no media address among today’s steps');
    assert.match(html, /<summary>Older versions: AnkiDroid 2\.15 or older, Anki 2\.1\.50–2\.1\.56<\/summary>/);
    // Old AnkiDroid: the media sync url, in a box of its own with a copy button.
    assert.match(
      html,
      new RegExp(`<textarea id="ankidroid-old-\\d"[^>]*>${t.endpoint}msync/</textarea><button type="button" data-copy="ankidroid-old-\\d"`),
    );
    // Old Anki on a computer: the three lines, with this address.
    for (const line of [
      `set "SYNC_ENDPOINT=${t.endpoint}sync/" & set "SYNC_ENDPOINT_MEDIA=${t.endpoint}msync/" & "C:\\Program Files\\Anki\\anki.exe"`,
      `SYNC_ENDPOINT="${t.endpoint}sync/" SYNC_ENDPOINT_MEDIA="${t.endpoint}msync/" /Applications/Anki.app/Contents/MacOS/anki`,
      `SYNC_ENDPOINT="${t.endpoint}sync/" SYNC_ENDPOINT_MEDIA="${t.endpoint}msync/" anki`,
    ]) {
      assert.ok(html.includes(`>${entity(line)}</textarea>`), line);
    }
    assert.ok(html.includes(entity('Please upgrade to the latest version of Anki')), 'what the apps too old say');
    // Still the one script, whose hash is the CSP's script-src.
    assert.equal(html.match(/<script>/g)?.length, 1);
  });

  test('the setup page shows the steps for the visiting phone first', async () => {
    const order = async (ua: string) => {
      const html = (await sendWithHeaders(t.endpoint, '/', { 'user-agent': ua })).text();
      return ['ankidroid', 'ankimobile', 'desktop'].sort((a, b) => html.indexOf(`steps-${a}`) - html.indexOf(`steps-${b}`))[0];
    };
    assert.equal(await order('Mozilla/5.0 (Linux; Android 14; Pixel 8)'), 'ankidroid');
    assert.equal(await order('Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)'), 'ankimobile');
    assert.equal(await order('Mozilla/5.0 (Windows NT 10.0; Win64; x64)'), 'desktop');
  });

  test('a Host header that is not a plain host:port is not echoed into the page', async () => {
    const html = (await sendWithHeaders(t.endpoint, '/', { host: 'evil"><script>alert(1)</script>' })).text();
    assert.ok(!html.includes('evil'));
    assert.match(html, /value="http:\/\/localhost:\d+\/"/);
  });

  test('an unknown path is 404, a wrong HTTP verb 405, an unknown method name 400', async () => {
    assert.equal((await send(t.endpoint, '/nope', { method: 'GET' })).status, 404);
    assert.equal((await send(t.endpoint, '/sync/meta', { method: 'GET' })).status, 405);
    const r = await send(t.endpoint, '/sync/notAMethod', { header: syncHeader(t.hkey()), body: {} });
    assert.equal(r.status, 400);
  });

  test('error replies carry only the status text, uncompressed, without anki-original-size', async () => {
    const r = await send(t.endpoint, '/sync/meta', { header: syncHeader('0'.repeat(40)), body: { v: 11, cv: 'x' } });
    assert.equal(r.status, 403);
    assert.equal(r.headers['anki-original-size'], undefined);
    assert.equal(r.text(), '403 Forbidden\n');
  });

  test('a garbled anki-sync header is 400', async () => {
    for (const header of [
      'not json',
      '{"v":11,"k":"","c":""}',
      '{"v":"11","k":"","c":"","s":""}',
      '[1]',
      '{"v":300,"k":"","c":"","s":""}',
    ]) {
      const r = await send(t.endpoint, '/sync/hostKey', { header, body: { u: 'user', p: 'pass' } });
      assert.equal(r.status, 400, header);
    }
  });

  test('header versions outside 8..11 are 400; 8..10 are served with a plain (not zstd) reply, as by the official server', async () => {
    const body = { u: 'user', p: 'pass' };
    assert.equal((await send(t.endpoint, '/sync/hostKey', { header: syncHeader('', 's', 12), body })).status, 400);
    assert.equal((await send(t.endpoint, '/sync/hostKey', { header: syncHeader('', 's', 7), body })).status, 400);
    const ten = await send(t.endpoint, '/sync/hostKey', { header: syncHeader('', 's', 10), body });
    assert.equal(ten.status, 200);
    assert.equal(ten.headers['anki-original-size'], undefined);
    assert.equal(ten.headers['content-type'], 'application/octet-stream');
    assert.match((ten.json() as { key: string }).key, /^[0-9a-f]{40}$/);
  });

  test('a multipart request that does not parse is a bad request (400)', async () => {
    const r = await send(t.endpoint, '/sync/meta', {
      header: null,
      raw: Buffer.from('--x\r\n'),
      contentType: 'multipart/form-data; boundary=x',
    });
    assert.equal(r.status, 400);
  });

  test('any other request without the anki-sync header is a bad request (400), as with the official server', async () => {
    const r = await send(t.endpoint, '/sync/meta', { header: null, raw: Buffer.from('hello') });
    assert.equal(r.status, 400);
  });

  test('hostKey with the right password returns a key of the device’s own (not sha1("user:pass")), with anki-original-size', async () => {
    const r = await send(t.endpoint, '/sync/hostKey', { header: syncHeader(''), body: { u: 'user', p: 'pass' } });
    assert.equal(r.status, 200);
    const { key } = r.json() as { key: string };
    assert.match(key, /^[0-9a-f]{40}$/);
    assert.notEqual(key, 'b2619aa1529dfdc4248e6edbf3c1b2a2b014cf6d');
    assert.equal(Number(r.headers['anki-original-size']), r.body.length);
  });

  test('hostKey with a wrong password or unknown user is 403', async () => {
    assert.equal((await send(t.endpoint, '/sync/hostKey', { header: syncHeader(''), body: { u: 'user', p: 'bad' } })).status, 403);
    assert.equal((await send(t.endpoint, '/sync/hostKey', { header: syncHeader(''), body: { u: 'bad', p: 'bad' } })).status, 403);
  });

  test('hostKey with a body of the wrong shape is 400', async () => {
    assert.equal((await send(t.endpoint, '/sync/hostKey', { header: syncHeader(''), body: { u: 1, p: 'pass' } })).status, 400);
    assert.equal((await send(t.endpoint, '/sync/hostKey', { header: syncHeader(''), raw: zstdCompressSync('{"u":') })).status, 400);
  });

  test('a wrong host key is 403 on every method', async () => {
    for (const m of ['meta', 'download', 'upload', 'abort']) {
      const r = await send(t.endpoint, `/sync/${m}`, { header: syncHeader('f'.repeat(40)), body: { v: 11, cv: 'x' } });
      assert.equal(r.status, 403, m);
    }
  });

  test('garbage instead of zstd is 400', async () => {
    const r = await send(t.endpoint, '/sync/meta', { header: syncHeader(t.hkey()), raw: Buffer.from('this is not zstd at all') });
    assert.equal(r.status, 400);
  });

  test('a zstd bomb decoding past the cap is refused without being decoded whole', async () => {
    // 20 MiB of zeros compresses to a few hundred bytes; the cap at MAX_SYNC_PAYLOAD_MEGS=1 is 3 MiB.
    const bomb = zstdCompressSync(Buffer.alloc(20 * 1024 * 1024));
    assert.ok(bomb.length < 10_000);
    const r = await send(t.endpoint, '/sync/meta', { header: syncHeader(t.hkey()), raw: bomb });
    assert.equal(r.status, 413);
  });

  test('a streamed zstd body without a content size is accepted', async () => {
    const frame = await zstdStreamed(JSON.stringify({ v: 11, cv: 'x' }));
    // Frame header descriptor: bits 6-7 (content size flag) and bit 5 (single segment) are 0.
    assert.equal(frame[4]! & 0xe0, 0, 'the test frame really lacks a content size');
    const r = await send(t.endpoint, '/sync/meta', { header: syncHeader(t.hkey()), raw: frame });
    assert.equal(r.status, 200);
  });

  test('a large JSON body (over 1 MiB on the wire) is decoded by the streaming path and accepted', async () => {
    const { randomBytes } = await import('node:crypto');
    const cv = randomBytes(1_200_000).toString('base64');
    const r = await send(t.endpoint, '/sync/meta', { header: syncHeader(t.hkey()), body: { v: 11, cv } });
    assert.equal(r.status, 200);
  });

  test('meta on a new account reports an empty, never-modified collection and media usn 0', async () => {
    const before = Math.floor(Date.now() / 1000);
    const r = await send(t.endpoint, '/sync/meta', { header: syncHeader(t.hkey()), body: { v: 11, cv: 'anki,26.9.3 (x),linux' } });
    assert.equal(r.status, 200);
    const m = r.json() as Record<string, unknown>;
    assert.deepEqual(Object.keys(m).sort(), ['cont', 'empty', 'hostNum', 'media_usn', 'mod', 'msg', 'scm', 'ts', 'usn']);
    assert.equal(m.mod, 0);
    assert.equal(m.usn, 0);
    assert.equal(m.empty, true);
    assert.equal(m.cont, true);
    assert.equal(m.msg, '');
    assert.equal(m.hostNum, 0);
    assert.equal(m.media_usn, 0);
    assert.ok(typeof m.scm === 'number' && m.scm > 0);
    assert.ok(Math.abs((m.ts as number) - before) <= 5);
    const again = (await send(t.endpoint, '/sync/meta', { header: syncHeader(t.hkey()), body: { v: 11, cv: 'x' } })).json() as Record<
      string,
      unknown
    >;
    assert.equal(again.scm, m.scm, 'scm is stable after creation');
    assert.deepEqual(
      readdirSync(`${t.base}/user`)
        .sort()
        .filter((f) => !f.endsWith('-wal')),
      ['collection.anki2', 'media', 'media.db'],
    );
  });

  test('meta with body version 0 is 501, with a missing cv 400', async () => {
    assert.equal((await send(t.endpoint, '/sync/meta', { header: syncHeader(t.hkey()), body: { v: 0, cv: '' } })).status, 501);
    assert.equal((await send(t.endpoint, '/sync/meta', { header: syncHeader(t.hkey()), body: { v: 11 } })).status, 400);
  });

  test('abort with no sync active answers null', async () => {
    const r = await send(t.endpoint, '/sync/abort', { header: syncHeader(t.hkey()), body: {} });
    assert.equal(r.status, 200);
    assert.equal(r.json(), null);
  });
});
