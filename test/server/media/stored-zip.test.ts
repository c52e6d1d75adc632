// The in-memory download zip writer (src/server/media/stored-zip.ts) writes zips that a standard
// reader (yauzl) reads back exactly: names, bytes, CRC-32, STORED, the modification time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import { storedZip } from '../../../src/server/media/stored-zip.ts';
import { bytes } from './support.ts';

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
  const back = await readBack(
    storedZip(
      [
        { name: '0', path: join(dir, 'a.bin'), size: data.length },
        { name: '_meta', data: Buffer.from('{"0":"a.bin"}') },
      ],
      new Date(),
    ),
  );
  assert.ok(back[0]!.data.equals(data));
  assert.equal(back[0]!.crc, crc32(data) >>> 0);
  assert.throws(() => storedZip([{ name: '0', path: join(dir, 'a.bin'), size: data.length + 1 }], new Date()), /shorter/);
});

test('a non-ASCII entry name is flagged UTF-8 and read back intact; an empty zip is valid', async () => {
  const back = await readBack(storedZip([{ name: 'café 日本.txt', data: Buffer.from('x') }], new Date(2000, 0, 1)));
  assert.equal(back[0]!.name, 'café 日本.txt');
  assert.equal(back[0]!.utf8, true);
  assert.deepEqual(await readBack(storedZip([], new Date())), []);
});
