import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { zstdDecompressSync } from 'node:zlib';

import type { ServerResponse } from 'node:http';

import { RAW_REPLY_MAX, sendZstd } from '../../src/server/wire/respond.ts';
import { RAW_FRAME_MAX_CONTENT, zstdRawFrame } from '../../src/server/wire/zstd-raw-frame.ts';

test('raw zstd frames decode to their content at every header size boundary', () => {
  for (const size of [0, 1, 17, 255, 256, 257, 2048, 65_791, 65_792, 100_000, RAW_FRAME_MAX_CONTENT]) {
    const content = randomBytes(size);
    const frame = zstdRawFrame(content);
    assert.deepEqual(zstdDecompressSync(frame), content, `${size} bytes`);
  }
});

test('a raw zstd frame declares its content size and costs 9–12 bytes over the content', () => {
  const content = Buffer.from('{"data":[25,1234],"err":""}');
  const frame = zstdRawFrame(content);
  assert.equal(frame.readUInt32LE(0), 0xfd2fb528, 'zstd magic number');
  assert.equal(frame[4], 0x20, 'single segment, 1-byte content size, no checksum');
  assert.equal(frame[5], content.length);
  assert.equal(frame.length, content.length + 9);
  assert.equal(zstdRawFrame(Buffer.alloc(300)).length, 300 + 10);
  assert.equal(zstdRawFrame(Buffer.alloc(70_000)).length, 70_000 + 12);
});

test('content over one raw block is refused', () => {
  assert.throws(() => zstdRawFrame(Buffer.alloc(RAW_FRAME_MAX_CONTENT + 1)), RangeError);
});

/** Just what sendZstd uses of a ServerResponse. */
function capture(): { res: ServerResponse; headers: Record<string, string>; body: () => Buffer } {
  const out: { headers: Record<string, string>; body?: Buffer } = { headers: {} };
  const res = {
    writeHead(_status: number, headers: Record<string, string>) {
      out.headers = headers;
    },
    end(body: Buffer) {
      out.body = body;
    },
  } as unknown as ServerResponse;
  return { res, headers: out.headers, body: () => out.body! };
}

test('replies up to RAW_REPLY_MAX go out as raw frames, larger ones compressed; both decode to the reply', () => {
  for (const [size, raw] of [
    [40, true],
    [RAW_REPLY_MAX, true],
    [RAW_REPLY_MAX + 1, false],
    [50_000, false],
  ] as const) {
    const reply = `[${'1,'.repeat(size)}`.slice(0, size);
    const c = capture();
    sendZstd(c.res, reply);
    const body = c.body();
    assert.equal(zstdDecompressSync(body).toString(), reply);
    // A raw frame ends with the reply itself, after a 9- or 10-byte header.
    const stored = body.length === size + (size < 256 ? 9 : 10) && body.subarray(body.length - size).toString() === reply;
    assert.equal(stored, raw, `${size}-byte reply stored raw: ${raw}`);
    if (!raw) assert.ok(body.length < size / 10, `${size}-byte reply compressed to ${body.length} bytes`);
  }
});
