// `uploadChanges` refuses bad input with 400 and changes nothing: no file written anywhere (inside
// or outside the media folder), media DB unchanged (docs/protocol/media-sync.md §3.4, §6;
// docs/protocol/behaviours.md D28, plus zip bombs, traversal names, corrupt zips, checksum mismatches,
// case-insensitive collisions).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { zstdCompressSync } from 'node:zlib';
import Database from 'better-sqlite3';
import yazl from 'yazl';
import { send, syncHeader } from '../../helpers/sync-client.ts';
import { startTestServer } from '../../helpers/test-server.ts';
import type { TestServer } from '../../helpers/test-server.ts';
import { MediaClient, bytes, mediaState, rawZip, treeSnapshot, uploadZip } from './support.ts';
import type { UploadItem } from './support.ts';

const MiB = 1024 * 1024;

/** Rewrites an entry's declared uncompressed size in both its local and central headers. */
function patchDeclaredSize(zip: Buffer, entryName: string, size: number): Buffer {
  const out = Buffer.from(zip);
  const name = Buffer.from(entryName);
  for (let i = 0; i + 46 <= out.length; i++) {
    const sig = out.readUInt32LE(i);
    if (sig === 0x04034b50 && out.subarray(i + 30, i + 30 + name.length).equals(name) && out.readUInt16LE(i + 26) === name.length) {
      out.writeUInt32LE(size, i + 22);
    }
    if (sig === 0x02014b50 && out.subarray(i + 46, i + 46 + name.length).equals(name) && out.readUInt16LE(i + 28) === name.length) {
      out.writeUInt32LE(size, i + 24);
    }
  }
  return out;
}

/** Replaces every occurrence of `from` by `to` (same length), e.g. to forge entry names yazl refuses to write. */
function replaceBytes(zip: Buffer, from: string, to: string): Buffer {
  assert.equal(Buffer.byteLength(from), Buffer.byteLength(to));
  const out = Buffer.from(zip);
  const needle = Buffer.from(from);
  for (let i = out.indexOf(needle); i >= 0; i = out.indexOf(needle, i + 1)) Buffer.from(to).copy(out, i);
  return out;
}

describe('uploadChanges refuses bad input and changes nothing', () => {
  let t: TestServer;
  let c: MediaClient;
  const base = mkdtempSync(join(tmpdir(), 'hearth-media-refusals-'));

  before(async () => {
    t = await startTestServer({ base });
    c = new MediaClient(t.endpoint, t.hkey());
    // Some existing data, so "unchanged" means something.
    await c.upload([
      ['existing.txt', 'existing'],
      ['Photo.jpg', 'photo'],
      ['Ärger.png', 'anger'],
    ]);
    await c.upload([['existing.txt', 'existing v2']]);
  });
  after(async () => {
    await t.stop();
    rmSync(base, { recursive: true, force: true });
  });

  /** Sends `body` (already a zip, or anything) and checks: 400, same files everywhere, same media DB. */
  async function expectRefused(body: Buffer, why: string, opts: { raw?: boolean } = {}): Promise<void> {
    const tree = treeSnapshot(t.base);
    const state = await mediaState(c);
    const r = opts.raw
      ? await send(t.endpoint, 'msync/uploadChanges', { header: syncHeader(t.hkey()), raw: body })
      : await c.uploadRaw(body);
    assert.equal(r.status, 400, `${why}: status`);
    assert.equal(r.headers['anki-original-size'], undefined);
    assert.deepEqual(treeSnapshot(t.base), tree, `${why}: files changed`);
    assert.deepEqual(await mediaState(c), state, `${why}: media DB changed`);
    assert.equal(await c.sanity(3), 'OK', `${why}: file count changed`);
  }

  const refuseItems = (items: UploadItem[], why: string) => async () => expectRefused(await uploadZip(items), why);

  // D28
  test(
    'D28: 26 entries',
    refuseItems(
      Array.from({ length: 26 }, (_, i): UploadItem => [`n${i}.txt`, 'x']),
      '26 entries',
    ),
  );
  test('D28: a name not in NFC (cafe + combining acute)', refuseItems([['cafe\u0301.jpg', 'x']], 'NFD'));
  test('D28: a name with /', refuseItems([['a/b.jpg', 'x']], 'slash'));
  test('D28: a name over 255 bytes', refuseItems([['é'.repeat(126) + '.jpg', 'x']], 'long name'));
  test('D28: a zero-byte file', refuseItems([['empty.txt', '']], 'zero bytes'));
  test('D28: a zip without _meta', async () => expectRefused(await rawZip({ 0: 'data' }), 'no _meta'));

  // Names that would leave the folder or be something else on some host.
  for (const [label, name] of [
    ['../ traversal', '../evil.txt'],
    ['deep ../ traversal', '../../evil.txt'],
    ['backslash', 'a\\b.jpg'],
    ['..\\ traversal', '..\\evil.txt'],
    ['NUL', 'a\0b.jpg'],
    ['".."', '..'],
    ['"."', '.'],
    ['empty', ''],
    ['absolute path', '/tmp/evil.txt'],
    ['control character', 'a\u0001b.txt'],
    ['colon (NTFS alternate data stream)', 'a.jpg:evil'],
    ['Windows device name', 'con.mp3'],
    ['trailing dot', 'trailing.'],
    ['trailing space', 'trailing '],
    ['lone surrogate', 'a\ud800b.txt'],
  ] as const) {
    test(`a filename with ${label} is refused`, async () => {
      await expectRefused(await uploadZip([[name, 'evil']]), label);
      assert.ok(!existsSync(join(t.base, 'evil.txt')) && !existsSync(join(t.base, 'user', 'evil.txt')));
    });
  }

  test('a bad name in a deletion is refused too', refuseItems([['../existing.txt', null]], 'deletion name'));

  test('a deletion of a name Windows cannot store is accepted (clients send them after renaming such a file), and no file is touched', async () => {
    // A name a client received from another server and renamed (CON.mp3 → CON_.mp3): it deletes the old one.
    const before = readdirSync(join(t.base, 'user', 'media')).sort();
    for (const name of ['CON.mp3', 'trailing.', 'what?.jpg', 'trailing ']) {
      const r = await c.uploadRaw(await uploadZip([[name, null]]));
      assert.equal(r.status, 200, `${JSON.stringify(name)} answered ${r.status}`);
    }
    assert.deepEqual(readdirSync(join(t.base, 'user', 'media')).sort(), before);
  });

  test('one bad entry refuses the whole upload: the good entries before it are not applied', async () => {
    await expectRefused(
      await uploadZip([
        ['good.txt', 'good'],
        ['existing.txt', null],
        ['bad/name.txt', 'bad'],
      ]),
      'mixed',
    );
    assert.ok(!existsSync(join(t.base, 'user', 'media', 'good.txt')));
    assert.equal(readFileSync(join(t.base, 'user', 'media', 'existing.txt'), 'utf8'), 'existing v2');
  });

  // Corrupt and malformed zips.
  test('a body that is not a zip', async () => expectRefused(bytes(5000, 9), 'random bytes'));
  test('an empty body', async () => expectRefused(Buffer.alloc(0), 'empty'));
  test('a truncated zip', async () => {
    const zip = await uploadZip([['t.txt', bytes(10_000, 4)]]);
    await expectRefused(zip.subarray(0, zip.length - 30), 'truncated');
  });
  test('a body that is not zstd at all', async () => expectRefused(await uploadZip([['plain.txt', 'x']]), 'not zstd', { raw: true }));
  test('_meta that is not JSON', async () => expectRefused(await rawZip({ 0: 'x', _meta: '[["a.txt","0"' }), 'bad JSON'));
  test('_meta that is not UTF-8', async () =>
    expectRefused(
      await rawZip({ 0: 'x', _meta: Buffer.from([0x5b, 0x5b, 0x22, 0xff, 0x22, 0x2c, 0x22, 0x30, 0x22, 0x5d, 0x5d]) }),
      'bad UTF-8',
    ));
  test('_meta that is an object, or has malformed items', async () => {
    await expectRefused(await rawZip({ 0: 'x', _meta: '{"a.txt":"0"}' }), 'object');
    await expectRefused(await rawZip({ 0: 'x', _meta: '[["a.txt"]]' }), 'short item');
    await expectRefused(await rawZip({ 0: 'x', _meta: '[["a.txt","0","extra"]]' }), 'long item');
    await expectRefused(await rawZip({ 0: 'x', _meta: '[[7,"0"]]' }), 'numeric name');
    await expectRefused(await rawZip({ 0: 'x', _meta: '[["a.txt",0]]' }), 'numeric entry');
  });
  test('_meta over 50 KiB', async () =>
    expectRefused(
      await rawZip({
        0: 'x',
        _meta: JSON.stringify([
          ['a.txt', '0'],
          ['b'.repeat(200), null],
        ]).padEnd(52_000, ' '),
      }),
      'long _meta',
    ));
  test('_meta naming a zip entry that does not exist', async () =>
    expectRefused(await rawZip({ 0: 'x', _meta: '[["a.txt","1"]]' }), 'missing entry'));
  test('a zip entry name with ../ (zip slip)', async () => {
    const zip = replaceBytes(await rawZip({ 'zz/0': 'evil', _meta: '[["a.txt","../0"]]' }), 'zz/0', '../0');
    await expectRefused(zip, 'zip slip');
  });
  test('duplicate zip entries', async () => {
    const zip = new yazl.ZipFile();
    zip.addBuffer(Buffer.from('one'), '0', { compress: false });
    zip.addBuffer(Buffer.from('two'), '0', { compress: false });
    zip.addBuffer(Buffer.from('[["a.txt","0"]]'), '_meta', { compress: false });
    const done = buffer(zip.outputStream as Readable);
    zip.end();
    await expectRefused(await done, 'duplicate entries');
  });

  // Zip bombs.
  test('zip bomb: an entry declaring more than 100 MiB (deflated zeros) is refused before extraction', async () => {
    const zip = await rawZip({ 0: Buffer.alloc(100 * MiB + 1), _meta: '[["bomb.bin","0"]]' }, { compress: true });
    assert.ok(zip.length < 1 * MiB, 'small on the wire');
    await expectRefused(zip, 'declared > 100 MiB');
  });

  test('zip bomb: an entry that inflates past its declared size is refused', async () => {
    const honest = await rawZip({ 0: Buffer.alloc(4 * MiB), _meta: '[["bomb.bin","0"]]' }, { compress: true });
    await expectRefused(patchDeclaredSize(honest, '0', 1000), 'lying size');
  });

  test('a file whose bytes do not match the checksum the zip declares (CRC-32, the only one an upload carries) is refused', async () => {
    const zip = await uploadZip([
      ['ok.txt', 'fine'],
      ['crc.txt', 'the original content'],
    ]);
    const corrupted = replaceBytes(zip, 'the original content', 'the 0riginal content');
    await expectRefused(corrupted, 'CRC mismatch');
  });

  // Case-insensitive file systems (macOS, Windows) would store these two names in one file.
  test('a new name that differs from an existing one only in case is refused', async () => {
    await expectRefused(await uploadZip([['photo.jpg', 'other photo']]), 'photo.jpg vs Photo.jpg');
    await expectRefused(await uploadZip([['PHOTO.JPG', 'other photo']]), 'PHOTO.JPG vs Photo.jpg');
    await expectRefused(await uploadZip([['ärger.png', 'other']]), 'ärger vs Ärger');
  });

  test('two names in one upload that differ only in case are refused', async () =>
    expectRefused(
      await uploadZip([
        ['x.jpg', 'x'],
        ['X.jpg', 'X'],
      ]),
      'x.jpg vs X.jpg',
    ));

  test('after refusals, the media DB on disk is consistent and the media folder holds only its files', async () => {
    const dir = join(t.base, 'user', 'media');
    assert.deepEqual(readdirSync(dir).sort(), ['Photo.jpg', 'existing.txt', 'Ärger.png'].sort(), 'no temporary files left');
    await t.stop();
    const db = new Database(join(t.base, 'user', 'media.db'), { readonly: true });
    try {
      const meta = db.prepare('SELECT * FROM meta').get() as Record<string, number>;
      const sums = db.prepare('SELECT count(*) AS n, sum(size) AS bytes, max(usn) AS usn FROM media WHERE size > 0').get() as Record<
        string,
        number
      >;
      assert.deepEqual(meta, { last_usn: 4, total_bytes: sums.bytes, total_nonempty_files: 3 });
      assert.equal(sums.n, 3);
    } finally {
      db.close();
    }
    t = await startTestServer({ base });
  });
});

describe('uploadChanges: accepted edge cases', () => {
  let t: TestServer;
  let c: MediaClient;
  before(async () => {
    t = await startTestServer();
    c = new MediaClient(t.endpoint, t.hkey());
  });
  after(() => t.stop());

  test('a case-only rename (delete + add in one upload) is accepted', async () => {
    await c.upload([['Photo.jpg', 'photo']]);
    assert.deepEqual(
      await c.upload([
        ['Photo.jpg', null],
        ['photo.jpg', 'photo'],
      ]),
      [2, 3],
    );
    assert.deepEqual(readdirSync(join(t.base, 'user', 'media')), ['photo.jpg']);
  });

  test('names at the limits are accepted: 255 bytes, unicode, spaces, brackets, leading dot', async () => {
    const names = ['é'.repeat(125) + '.jpg', '日本語 ファイル.mp3', 'a [1] (2).png', '.hidden', 'emoji 🦊.txt'];
    assert.equal(Buffer.byteLength(names[0]!), 254);
    const reply = await c.upload(names.map((n, i): UploadItem => [n, `content ${i}`]));
    assert.equal(reply[0], names.length);
    for (const [i, n] of names.entries()) {
      assert.equal(readFileSync(join(t.base, 'user', 'media', n), 'utf8'), `content ${i}`);
    }
  });
});

describe('uploadChanges with a small MAX_SYNC_PAYLOAD_MEGS', () => {
  let t: TestServer;
  let c: MediaClient;
  before(async () => {
    t = await startTestServer({ maxPayloadMegs: 1 });
    c = new MediaClient(t.endpoint, t.hkey());
  });
  after(() => t.stop());

  test('a body that decodes past 3 × MAX_SYNC_PAYLOAD_MEGS is 400 (the reference truncates, then fails on the zip)', async () => {
    const zip = await uploadZip([['big.bin', bytes(3 * MiB + 10, 5)]]);
    const tree = treeSnapshot(t.base);
    const r = await send(t.endpoint, 'msync/uploadChanges', { header: syncHeader(t.hkey()), raw: zstdCompressSync(zip) });
    assert.equal(r.status, 400);
    assert.deepEqual(treeSnapshot(t.base), tree);
    assert.equal(await c.usn(), 0);
  });

  test('zip bomb: files that together expand past the upload limit are refused', async () => {
    const zip = await rawZip(
      { 0: Buffer.alloc(2 * MiB), 1: Buffer.alloc(2 * MiB, 1), _meta: '[["a.bin","0"],["b.bin","1"]]' },
      { compress: true },
    );
    const tree = treeSnapshot(t.base);
    assert.equal((await c.uploadRaw(zip)).status, 400);
    assert.deepEqual(treeSnapshot(t.base), tree);
    assert.equal(await c.usn(), 0);
  });
});
