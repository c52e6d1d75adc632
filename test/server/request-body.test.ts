// Request bodies (src/server/wire/request-body.ts): read from the stream as it arrives, both caps
// enforced, a request cut off early is the client's error, and big bodies continue as a stream
// or into a file without losing a byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { zstdCompressSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { SyncHttpError } from '../../src/server/errors.ts';
import { BodyTooLargeError, readRequestBody, readRequestBodyInMemoryOrFile } from '../../src/server/wire/request-body.ts';

const LIMITS = { maxCompressed: 64 * 1024 * 1024, maxDecoded: 64 * 1024 * 1024 };

/** A request-like stream that delivers `data` in pieces of `piece` bytes, one per tick. */
function body(data: Buffer, piece = 1000): PassThrough {
  const s = new PassThrough();
  (async () => {
    for (let i = 0; i < data.length; i += piece) {
      s.write(data.subarray(i, i + piece));
      await new Promise((r) => setImmediate(r));
    }
    s.end();
  })().catch(() => {});
  return s;
}

test('a body arriving in many pieces is decoded whole, small or over the one-call size', async () => {
  for (const size of [10, 5000, 3 * 1024 * 1024]) {
    const raw = randomBytes(size);
    assert.ok((await readRequestBody(body(zstdCompressSync(raw), 64 * 1024), LIMITS)).equals(raw), `${size} bytes`);
  }
});

test('a body over the wire cap is refused as too large', async () => {
  const wire = zstdCompressSync(randomBytes(20_000));
  await assert.rejects(readRequestBody(body(wire), { maxCompressed: 10_000, maxDecoded: LIMITS.maxDecoded }), BodyTooLargeError);
});

test('a request cut off before its end is the client’s error (400), not ours', async () => {
  const s = new PassThrough();
  s.write(zstdCompressSync(randomBytes(100)).subarray(0, 20));
  setImmediate(() => s.destroy());
  await assert.rejects(readRequestBody(s, LIMITS), (err: unknown) => err instanceof SyncHttpError && err.status === 400);
});

test('a big body goes into the file, a small one stays in memory, both byte for byte', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-zstd-body-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const small = randomBytes(50_000);
  const got = await readRequestBodyInMemoryOrFile(body(zstdCompressSync(small)), LIMITS, 1024 * 1024, join(dir, 'a'));
  assert.ok('data' in got && got.data.equals(small));
  const big = randomBytes(3 * 1024 * 1024);
  const spilled = await readRequestBodyInMemoryOrFile(body(zstdCompressSync(big), 64 * 1024), LIMITS, 1024 * 1024, join(dir, 'b'));
  assert.ok('path' in spilled && readFileSync(spilled.path).equals(big));
  // Small on the wire but large decoded: decoded again into the file.
  const zeros = Buffer.alloc(3 * 1024 * 1024);
  const again = await readRequestBodyInMemoryOrFile(body(zstdCompressSync(zeros)), LIMITS, 1024 * 1024, join(dir, 'c'));
  assert.ok('path' in again && readFileSync(again.path).equals(zeros));
});
