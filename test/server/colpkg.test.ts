// The collection package a person's collection is taken away as (src/server/collection/colpkg.ts,
// docs/protocol/colpkg.md), and the consistent copy it is made from
// (src/server/user/collection-copy.ts): never half a sync, whoever holds the file. That the real
// Anki client imports it is test/interop/colpkg.hearth.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { zstdDecompressSync } from 'node:zlib';
import yauzl from 'yauzl';
import { fromBinary } from '@bufbuild/protobuf';
import { clientKeepsMediaName, COLPKG_ENTRIES, writeCollectionPackage } from '../../src/server/collection/colpkg.ts';
import { MediaEntriesSchema, PackageMetadata_Version, PackageMetadataSchema } from '../../src/server/collection/proto/gen/package_pb.js';
import { openCollection } from '../../src/server/collection/open.ts';
import { copyCollectionOfUser, copyCollectionOffline } from '../../src/server/user/collection-copy.ts';
import { UserState } from '../../src/server/user/user-state.ts';
import { createCollection } from '../../src/server/collection/create.ts';
import { silentLogger } from '../../src/server/logger.ts';
import { serverLockPath } from '../../src/server/server-lock.ts';
import { makeUploadableCollection } from '../helpers/collections.ts';
import { send, syncHeader } from '../helpers/sync-client.ts';
import { startTestServer } from '../helpers/test-server.ts';

const sha1 = (data: Buffer): Buffer => createHash('sha1').update(data).digest();

/** Every entry of a zip, in the order written, with its bytes. */
async function readZip(data: Buffer): Promise<[string, Buffer][]> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(data, { lazyEntries: true, strictFileNames: true }, (err, z) => (err ? reject(err) : resolve(z))),
  );
  const out: [string, Buffer][] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        void buffer(stream).then((bytes) => {
          out.push([entry.fileName, bytes]);
          zip.readEntry();
        }, reject);
      });
    });
    zip.readEntry();
  });
  return out;
}

/** Writes a package into memory. */
async function packageOf(collection: string, mediaDir: string, forceZip64 = false) {
  const sink = new PassThrough();
  const bytes = buffer(sink);
  const summary = await writeCollectionPackage({ collection, mediaDir }, sink, { forceZip64 });
  return { summary, bytes: await bytes };
}

/** Deterministic, incompressible bytes. */
function content(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = (Math.imul(seed + 1, 2654435761) + 7) >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

const tagsIn = (path: string): string[] => {
  const db = openCollection(path, { readonly: true });
  try {
    return (db.prepare('SELECT tag FROM tags ORDER BY tag').all() as { tag: string }[]).map((r) => r.tag);
  } finally {
    db.close();
  }
};

describe('the package', () => {
  test('meta, the collection and each media file zstd-compressed, and the map of names, sizes and SHA-1s', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-colpkg-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const collection = join(dir, 'collection.anki2');
    makeUploadableCollection(collection, 12);
    const mediaDir = join(dir, 'media');
    mkdirSync(mediaDir);
    const media = new Map<string, Buffer>([
      ['kitten.jpg', content(3_000, 1)],
      ['big sound.mp3', content(2_500_000, 2)], // streamed, not read whole
      ['日本語 ü.png', content(10, 3)],
      ['a'.repeat(120), Buffer.from('longest name the client keeps')],
    ]);
    for (const [name, data] of media) writeFileSync(join(mediaDir, name), data);
    const refused = ['colon:name.txt', 'CON.mp3', 'cafe\u0301.jpg', 'dot at end.', 'a'.repeat(121)];
    for (const name of refused) writeFileSync(join(mediaDir, name), 'x');
    // What a media upload in progress keeps in the folder, and a folder: neither is media.
    writeFileSync(join(mediaDir, '.hearth-tmp-0123456789ab000000000001.part'), 'half a file');
    mkdirSync(join(mediaDir, 'not a file'));

    const { summary, bytes } = await packageOf(collection, mediaDir);
    const entries = await readZip(bytes);
    const names = [...media.keys()].sort();
    assert.deepEqual(
      entries.map(([n]) => n),
      [COLPKG_ENTRIES.meta, COLPKG_ENTRIES.collection, ...names.map((_, i) => String(i)), COLPKG_ENTRIES.media],
    );
    const entry = (name: string): Buffer => entries.find(([n]) => n === name)![1];
    const meta = fromBinary(PackageMetadataSchema, entry('meta'));
    assert.equal(meta.version, PackageMetadata_Version.LATEST);
    assert.deepEqual([...entry('meta')], [0x08, 0x03], 'the two bytes the client writes');
    assert.ok(zstdDecompressSync(entry('collection.anki21b')).equals(readFileSync(collection)), 'the collection, byte for byte');
    const map = fromBinary(MediaEntriesSchema, zstdDecompressSync(entry('media')));
    assert.deepEqual(
      map.entries.map((e) => [e.name, e.size, Buffer.from(e.sha1).toString('hex'), e.legacyZipFilename]),
      names.map((n) => [n, media.get(n)!.length, sha1(media.get(n)!).toString('hex'), undefined]),
    );
    names.forEach((n, i) => assert.ok(zstdDecompressSync(entry(String(i))).equals(media.get(n)!), `entry ${i} is ${n}`));
    assert.deepEqual(summary.skippedMedia, [...refused].sort(), 'names the client would refuse are left out');
    assert.equal(summary.mediaFiles, media.size);
    assert.equal(
      summary.mediaBytes,
      [...media.values()].reduce((n, b) => n + b.length, 0),
    );
    assert.equal(summary.bytes, bytes.length);

    // The same package with ZIP64 end records (what one past 4 GiB gets) reads the same.
    const zip64 = await packageOf(collection, mediaDir, true);
    assert.ok(zip64.bytes.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06])), 'a ZIP64 end of central directory record');
    assert.deepEqual(await readZip(zip64.bytes), entries);
  });

  test('media names: exactly those the client keeps as they are', () => {
    for (const name of ['a.jpg', 'straße.png', '日本語.mp3', 'emoji 🦊.gif', '.hidden', 'x'.repeat(120), 'é'.repeat(60)]) {
      assert.ok(clientKeepsMediaName(name), name);
    }
    const refused = [
      '',
      '.',
      '..',
      'a/b.jpg',
      'a\\b.jpg',
      'what?.jpg',
      'a[1].jpg',
      'caret^.jpg',
      'tab\t.jpg',
      'nb\u00a0space.jpg',
      'cafe\u0301.jpg', // not NFC
      'unassigned \u0378.jpg',
      'con',
      'Aux.mp3',
      'lpt1.txt',
      'space at end ',
      'x'.repeat(121),
      'é'.repeat(61), // 122 bytes
    ];
    for (const name of refused) assert.equal(clientKeepsMediaName(name), false, JSON.stringify(name));
  });

  test('a destination that closes early (a download cancelled) fails the package, and nothing waits forever', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-colpkg-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const collection = join(dir, 'collection.anki2');
    makeUploadableCollection(collection, 3);
    mkdirSync(join(dir, 'media'));
    writeFileSync(join(dir, 'media', 'big.bin'), content(3_000_000, 9));
    let written = 0;
    const out = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        written += chunk.length;
        if (written > 10_000) {
          callback();
          out.destroy();
          return;
        }
        setTimeout(callback, 1);
      },
    });
    await assert.rejects(writeCollectionPackage({ collection, mediaDir: join(dir, 'media') }, out), /closed before the zip was complete/);
  });
});

describe('the copy it is made from', () => {
  test('a copy asked for during a sync waits for it; after finish it holds the whole sync, after abort none of it', async (t) => {
    const srv = await startTestServer({ users: ['user:pass', 'never:pass'] });
    t.after(() => srv.stop());
    const work = mkdtempSync(join(tmpdir(), 'hearth-copy-'));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const made = join(work, 'c.anki2');
    makeUploadableCollection(made, 5, Date.now() - 3_600_000);
    const call = (method: string, body: unknown) => send(srv.endpoint, `/sync/${method}`, { header: syncHeader(srv.hkey(), 's1'), body });
    assert.equal((await call('upload', readFileSync(made))).text(), 'OK');

    /** A sync that adds one tag, up to sanityCheck2 (passed with the server's own counts, learnt in a first round). */
    const syncUpToFinish = async (tag: string): Promise<void> => {
      const changes = { changes: { models: [], decks: [[], []], tags: [tag] } };
      const meta = (await call('meta', { v: 11, cv: 'x' })).json() as { usn: number };
      const round = async (client: unknown): Promise<{ s: unknown }> => {
        assert.equal((await call('start', { minUsn: meta.usn, lnewer: true })).status, 200);
        assert.equal((await call('applyChanges', changes)).status, 200);
        assert.equal((await call('chunk', {})).status, 200);
        assert.equal((await call('applyChunk', { chunk: { done: true } })).status, 200);
        return (await call('sanityCheck2', { client })).json() as { s: unknown };
      };
      const counts = await round([[0, 0, 0], 0, 0, 0, 0, 0, 0, 0]);
      await call('abort', {});
      const second = (await round(counts.s)) as { status?: string };
      assert.equal(second.status, 'ok');
    };
    const settled = async (p: Promise<unknown>, ms: number): Promise<boolean> =>
      Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

    await syncUpToFinish('during-the-first-sync');
    const first = srv.server.copyCollection('user');
    assert.equal(await settled(first, 500), false, 'no copy while the sync is open');
    assert.equal((await call('finish', {})).status, 200);
    const finished = await first;
    assert.ok(finished.ok);
    t.after(() => rmSync(finished.file, { force: true }));
    assert.ok(tagsIn(finished.file).includes('during-the-first-sync'), 'the finished sync is in the copy');

    await syncUpToFinish('during-the-second-sync');
    const second = srv.server.copyCollection('user');
    assert.equal(await settled(second, 500), false, 'no copy while the sync is open');
    await call('abort', {});
    const aborted = await second;
    assert.ok(aborted.ok);
    t.after(() => rmSync(aborted.file, { force: true }));
    assert.deepEqual(tagsIn(aborted.file), tagsIn(finished.file), 'nothing of the aborted sync');
    assert.match(aborted.file, /\/user\/\.upload-[0-9a-f]{12}\.tmp$/, 'named like an upload temporary: a crash leaves nothing for good');

    // And the next sync goes on as usual.
    assert.equal((await call('meta', { v: 11, cv: 'x' })).status, 200);
    assert.deepEqual(await srv.server.copyCollection('nobody'), { ok: false, reason: 'unknown-person' });
    assert.deepEqual(await srv.server.copyCollection('never'), { ok: false, reason: 'no-collection' });
  });

  test('a sync left open by a device that went away is rolled back; one that goes on past the wait is refused', async (t) => {
    const base = mkdtempSync(join(tmpdir(), 'hearth-copy-'));
    t.after(() => rmSync(base, { recursive: true, force: true }));
    const clock = { nowMs: () => Date.now() };
    const user = new UserState(base, 'anna', clock, createCollection);
    user.prepareFolder();
    makeUploadableCollection(user.paths.collection, 4);
    t.after(() => user.close());
    let rolledBack = 0;
    const openSession = (): void => {
      user.session = {
        skey: 's',
        device: 'd',
        abort() {
          rolledBack++;
          user.session = undefined;
        },
      };
    };

    openSession();
    const busy = await copyCollectionOfUser(user, { clock, logger: silentLogger, quiet: () => false, waitMs: 400, abandonedMs: 50 });
    assert.deepEqual(busy, { ok: false, reason: 'syncing' }, 'requests keep coming: the sync is alive');
    assert.equal(rolledBack, 0);

    const abandoned = await copyCollectionOfUser(user, { clock, logger: silentLogger, quiet: () => true, waitMs: 5_000, abandonedMs: 100 });
    assert.ok(abandoned.ok, 'no request for a while: rolled back, then copied');
    assert.equal(rolledBack, 1);
    assert.equal(readdirSync(user.paths.dir).filter((n) => n.startsWith('.upload-')).length, 1);
    rmSync(abandoned.file);
  });

  test('with no server running, the copy is made on the files under the folder’s lock; a server elsewhere or an open file refuses', async (t) => {
    const base = mkdtempSync(join(tmpdir(), 'hearth-copy-offline-'));
    t.after(() => rmSync(base, { recursive: true, force: true }));
    const user = new UserState(base, 'anna', { nowMs: () => Date.now() }, createCollection);
    user.prepareFolder();
    makeUploadableCollection(user.paths.collection, 6);
    user.close();

    const copy = await copyCollectionOffline(base, 'anna');
    assert.ok(copy.ok);
    assert.ok(readFileSync(copy.file).equals(readFileSync(user.paths.collection)), 'the whole file');
    rmSync(copy.file);
    assert.equal(existsSync(serverLockPath(base)), false, 'the lock is let go');

    // A server of another process (alive: this test's parent) holds the folder.
    writeFileSync(serverLockPath(base), JSON.stringify({ pid: process.ppid, hostname: hostname(), startedAt: new Date().toISOString() }));
    assert.deepEqual(await copyCollectionOffline(base, 'anna'), { ok: false, reason: 'in-use' });
    rmSync(serverLockPath(base));

    // Another program has the collection open (exclusive, as Anki and Hearth open it).
    const held = openCollection(user.paths.collection);
    held.prepare('SELECT count(*) FROM notes').get();
    try {
      assert.deepEqual(await copyCollectionOffline(base, 'anna'), { ok: false, reason: 'in-use' });
    } finally {
      held.close();
    }
    assert.deepEqual(await copyCollectionOffline(base, 'nobody-yet'), { ok: false, reason: 'no-collection' });
    assert.deepEqual(
      readdirSync(user.paths.dir).filter((n) => n.startsWith('.upload-')),
      [],
      'a refused copy leaves nothing behind',
    );
  });
});
