// Requests refused before their body has all arrived, and the limits that refuse them early:
// the connection is closed after the reply (a device reuses connections, and the unread rest of
// the body would make its next request wait); hostKey, read before anyone is known, takes only
// a small body; and upload temporaries a crash left behind are removed at start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer } from '../helpers/test-server.ts';
import { send, syncHeader, zstdStreamed } from '../helpers/sync-client.ts';

/**
 * Sends `body` slowly (64 KiB every 20 ms) and resolves with the reply's status and headers and
 * whether the server closed the connection before the whole body was sent.
 */
function slowPost(
  endpoint: string,
  path: string,
  header: object,
  body: Buffer,
): Promise<{ status: number; connection: string | undefined; closedEarly: boolean }> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let replied: { status: number; connection: string | undefined } | undefined;
    const req = request(new URL(path, endpoint), {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'anki-sync': JSON.stringify(header) },
    });
    req.on('response', (res) => {
      replied = { status: res.statusCode ?? 0, connection: res.headers.connection };
      res.resume();
    });
    const finish = (): void => {
      clearInterval(timer);
      if (!replied) return reject(new Error('no reply'));
      resolve({ ...replied, closedEarly: sent < body.length });
    };
    req.on('close', finish);
    req.on('error', () => finish());
    const timer = setInterval(() => {
      if (sent >= body.length) {
        clearInterval(timer);
        req.end();
        return;
      }
      req.write(body.subarray(sent, sent + 65_536));
      sent += 65_536;
    }, 20);
  });
}

test('an upload refused as too large while the device is still sending: the reply says so and the connection is closed', async () => {
  const t = await startTestServer({ maxPayloadMegs: 1 });
  try {
    // 6 MiB that does not compress: past the 3 MiB decoded limit after about half of it.
    const body = await zstdStreamed(randomBytes(6 * 1024 * 1024));
    const r = await slowPost(t.endpoint, '/sync/upload', syncHeader(t.hkey()), body);
    assert.equal(r.status, 200, 'refused with the text the client shows');
    assert.equal(r.connection, 'close');
    assert.equal(r.closedEarly, true, 'the rest of the body was not read');
    // A new connection works at once.
    assert.equal((await send(t.endpoint, '/sync/meta', { header: syncHeader(t.hkey()), body: { v: 11, cv: 'x' } })).status, 200);
  } finally {
    await t.stop();
  }
});

test('hostKey takes a body of a username and a password, not a collection’s: 413 after 16 KiB', async () => {
  const t = await startTestServer();
  try {
    const body = await zstdStreamed(randomBytes(4 * 1024 * 1024));
    const r = await slowPost(t.endpoint, '/sync/hostKey', syncHeader(''), body);
    assert.equal(r.status, 413);
    const ok = await send(t.endpoint, '/sync/hostKey', { header: syncHeader(''), body: { u: 'user', p: 'pass' } });
    assert.equal(ok.status, 200);
  } finally {
    await t.stop();
  }
});

test('upload temporaries left by a crash are removed when the server starts; other files are kept', async () => {
  const first = await startTestServer();
  const base = first.base;
  await first.stop().catch(() => {});
  const dir = join(base, 'user');
  mkdirSync(dir, { recursive: true });
  for (const name of ['.upload-0123456789ab.tmp', '.upload-0123456789ab.tmp-wal', '.upload-ffffffffffff.tmp-journal'])
    writeFileSync(join(dir, name), 'left by a crash');
  writeFileSync(join(dir, 'notes.txt'), 'the person’s own file');
  const again = await startTestServer({ base });
  try {
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.startsWith('.upload-')),
      [],
    );
    assert.ok(readdirSync(dir).includes('notes.txt'));
  } finally {
    await again.stop();
  }
});

test('a body that trickles in is cut off once the request has taken longer than its limit', { timeout: 20_000 }, async () => {
  const t = await startTestServer({ requestTimeoutMs: 1_500 });
  try {
    // A real upload's zstd stream, so the server keeps waiting for the rest.
    const stream = await zstdStreamed(randomBytes(1024 * 1024));
    let sent = 0;
    const started = Date.now();
    const closed = await new Promise<number>((resolve) => {
      const req = request(new URL('/sync/upload', t.endpoint), {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', 'anki-sync': JSON.stringify(syncHeader(t.hkey())) },
      });
      // 16 bytes every 200 ms: never idle, never done.
      const timer = setInterval(() => {
        req.write(stream.subarray(sent, sent + 16));
        sent += 16;
      }, 200);
      const done = (): void => {
        clearInterval(timer);
        resolve(Date.now() - started);
      };
      req.on('response', (res) => {
        res.resume();
        res.on('end', done);
      });
      req.on('error', done);
      req.on('close', done);
    });
    assert.ok(closed >= 1_400 && closed < 10_000, `the request was cut off after ${closed} ms`);
    assert.deepEqual(
      readdirSync(join(t.base, 'user')).filter((n) => n.startsWith('.upload-')),
      [],
      'its temp file is gone',
    );
  } finally {
    await t.stop();
  }
});

test('a request head over 16 KiB (a 100 KB address or header) gets a whole 431 reply, not a reset connection', async () => {
  const t = await startTestServer();
  try {
    const port = Number(new URL(t.endpoint).port);
    const heads = [
      `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(100_000)}\r\n\r\n`,
    ];
    for (const head of heads) {
      const reply = await new Promise<string>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => socket.write(head));
        let out = '';
        socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
        socket.on('error', (e) => resolve(`error ${e.message}`));
        socket.on('close', () => resolve(out));
      });
      assert.match(reply, /^HTTP\/1\.1 431 /);
    }
  } finally {
    await t.stop();
  }
});
