// The in-memory download zip writer (src/server/media/stored-zip.ts) writes zips that a standard
// reader (yauzl) reads back exactly: names, bytes, CRC-32, STORED, the modification time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import { readStoredZipDirectory, storedZip } from '../../../src/server/media/stored-zip.ts';
import { bytes, rawZip, uploadZip } from './support.ts';

async function readBack(zip: Buffer) {
  const z = await yauzl.fromBufferPromise(zip, { strictFileNames: true, validateEntrySizes: true });
  const out: { name: string; data: Buffer; crc: number; method: number; mtime: Date; utf8: boolean }[] = [];
  for await (const e of z.eachEntry()) {
    out.push({
      name: e.fileName,
      data: await buffer(await z.openReadStreamPromise(e)),
      crc: e.crc32 >>> 0,
      method: e.compressionMethod,
      mtime: e.getLastModDate(),
      utf8: (e.generalPurposeBitFlag & 0x800) !== 0,
    });
  }
  return out;
}

test('entries come back in order with their bytes, CRC-32 and STORED method', async () => {
  const entries = [
    { name: '0', data: bytes(1500, 1) },
    { name: '1', data: bytes(70_000, 2) },
    { name: '_meta', data: Buffer.from('{"0":"a.jpg","1":"b.mp3"}') },
  ];
  const back = await readBack(storedZip(entries, new Date(2026, 10, 21, 13, 45, 30)));
  assert.deepEqual(
    back.map((e) => e.name),
    ['0', '1', '_meta'],
  );
  back.forEach((e, i) => {
    assert.ok(e.data.equals(entries[i]!.data), `bytes of ${e.name}`);
    assert.equal(e.crc, crc32(entries[i]!.data) >>> 0, `CRC-32 of ${e.name}`);
    assert.equal(e.method, 0);
    assert.equal(e.utf8, false);
  });
  // DOS times have 2-second resolution, in local time.
  assert.equal(back[0]!.mtime.getTime(), new Date(2026, 10, 21, 13, 45, 30).getTime());
});

test('an entry given as a file is read straight into the zip; a file shorter than its size is an error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-stored-zip-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const data = bytes(100_000, 7);
  writeFileSync(join(dir, 'a.bin'), data);
  const fd = openSync(join(dir, 'a.bin'), 'r');
  t.after(() => closeSync(fd));
  const back = await readBack(
    storedZip(
      [
        { name: '0', fd, size: data.length },
        { name: '_meta', data: Buffer.from('{"0":"a.bin"}') },
      ],
      new Date(),
    ),
  );
  assert.ok(back[0]!.data.equals(data));
  assert.equal(back[0]!.crc, crc32(data) >>> 0);
  assert.throws(() => storedZip([{ name: '0', fd, size: data.length + 1 }], new Date()), /shorter/);
});

test('a non-ASCII entry name is flagged UTF-8 and read back intact; an empty zip is valid', async () => {
  const back = await readBack(storedZip([{ name: 'café 日本.txt', data: Buffer.from('x') }], new Date(2000, 0, 1)));
  assert.equal(back[0]!.name, 'café 日本.txt');
  assert.equal(back[0]!.utf8, true);
  assert.deepEqual(await readBack(storedZip([], new Date())), []);
});

test('the upload directory reader accepts the plain stored zip the client sends, entry by entry', async () => {
  const zip = await uploadZip([
    ['a.jpg', 'xyz'],
    ['b.mp3', bytes(5000, 3)],
    ['gone.txt', null],
  ]);
  const found = readStoredZipDirectory(zip);
  assert.ok(found, 'a plain zip is read');
  assert.deepEqual(
    found.map((e) => [e.name, e.size]),
    [
      ['0', 3],
      ['1', 5000],
      [
        '_meta',
        Buffer.byteLength(
          JSON.stringify([
            ['a.jpg', '0'],
            ['b.mp3', '1'],
            ['gone.txt', null],
          ]),
        ),
      ],
    ],
  );
  const second = found[1]!;
  assert.ok(zip.subarray(second.dataStart, second.dataStart + second.size).equals(bytes(5000, 3)));
  assert.equal(second.crc32, crc32(bytes(5000, 3)) >>> 0);
});

test('the upload directory reader declines every other kind of zip, leaving it to yauzl', async () => {
  const plain = await uploadZip([['a.jpg', 'xyz']]);
  assert.equal(readStoredZipDirectory(await uploadZip([['a.txt', 'z'.repeat(1000)]], { compress: true })), undefined, 'deflated');
  // yazl refuses to write "../evil"; forge it in both headers.
  const forged = Buffer.from((await rawZip({ 'AA.evil': 'x', _meta: '[]' })).toString('latin1').replaceAll('AA.evil', '../evil'), 'latin1');
  assert.equal(readStoredZipDirectory(forged), undefined, 'a path-like entry name');
  assert.equal(readStoredZipDirectory(plain.subarray(0, plain.length - 1)), undefined, 'truncated');
  assert.equal(readStoredZipDirectory(Buffer.concat([plain, Buffer.from('trailing')])), undefined, 'bytes after the end record');
  assert.equal(readStoredZipDirectory(bytes(3000, 9)), undefined, 'not a zip');
  assert.equal(readStoredZipDirectory(Buffer.alloc(0)), undefined, 'empty');
  // Flipping any single byte either leaves a zip the reader can vouch for, or it declines; what it
  // returns always lies inside the buffer.
  for (let i = 0; i < plain.length; i++) {
    const bad = Buffer.from(plain);
    bad[i] = bad[i]! ^ 0xff;
    const found = readStoredZipDirectory(bad);
    for (const e of found ?? []) assert.ok(e.dataStart >= 0 && e.dataStart + e.size <= bad.length, `byte ${i}`);
  }
});
