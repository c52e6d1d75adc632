// What only Windows has, with Hearth's headless server run by Windows Node under Wine (the
// Windows lane, scripts/setup-wine.sh), on data folders named with spaces and non-ASCII letters:
// a second Hearth refused on the same folder, the server killed in the middle of a full upload
// and started again with nothing lost, the data folder moved while the server runs, and media
// names that differ only in letter case (Wine, like Windows, does not tell them apart).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, ServerStartError, windowsLane, windowsPath } from '../interop/servers.ts';
import type { RunningServer } from '../interop/servers.ts';
import { send, syncHeader, zstdStreamed } from '../helpers/sync-client.ts';
import { makeUploadableCollection } from '../helpers/collections.ts';
import { MediaClient, sha1Hex, uploadZip } from '../server/media/support.ts';
import Database from 'better-sqlite3';
import { loadUnicase } from '../../src/server/collection/unicase.ts';
import { startUiServer } from '../helpers/ui-server.ts';
import type { UiServer } from '../helpers/ui-server.ts';
import type { AppStatus } from '../../src/shared/api.ts';

const TEST_TIMEOUT_MS = 180_000;
const STATE_TIMEOUT_MS = 60_000;

async function login(endpoint: string, user: string, password: string): Promise<string> {
  const r = await send(endpoint, '/sync/hostKey', { header: syncHeader(''), body: { u: user, p: password } });
  assert.equal(r.status, 200, `hostKey answered ${r.status}`);
  return (r.json() as { key: string }).key;
}

async function upload(endpoint: string, hkey: string, collection: Buffer): Promise<number> {
  const r = await send(endpoint, '/sync/upload', { header: syncHeader(hkey), body: collection });
  return r.status;
}

async function download(endpoint: string, hkey: string): Promise<Buffer> {
  const r = await send(endpoint, '/sync/download', { header: syncHeader(hkey), body: {} });
  assert.equal(r.status, 200, `download answered ${r.status}`);
  return r.body;
}

/** Starts a full upload and returns once `sentBytes` of its body have left, with the request still open. */
async function startUpload(endpoint: string, hkey: string, compressed: Buffer, sentBytes: number): Promise<void> {
  const url = new URL('/sync/upload', endpoint);
  const req = request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'anki-sync': JSON.stringify(syncHeader(hkey)) },
  });
  req.on('error', () => {}); // the server is killed under it
  await new Promise<void>((resolve) => req.write(compressed.subarray(0, sentBytes), () => resolve()));
  await new Promise((r) => setTimeout(r, 500));
}

function collectionFile(dir: string, notes: number, nowMs: number): Buffer {
  const path = join(dir, `collection-${notes}.anki2`);
  makeUploadableCollection(path, notes, nowMs);
  return readFileSync(path);
}

/** The status once the data-folder move has finished (done or failed), within STATE_TIMEOUT_MS. */
async function moveFinished(ui: UiServer): Promise<AppStatus> {
  const deadline = Date.now() + STATE_TIMEOUT_MS;
  let status = await ui.api.getStatus();
  while (!['done', 'failed'].includes(status.storageMove.state) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    status = await ui.api.getStatus();
  }
  return status;
}

const skip = !windowsLane && !process.env['CI'] ? 'the Windows lane is not set up here (bash scripts/setup-wine.sh)' : false;

describe('Hearth’s server under Windows (Wine)', { skip, timeout: 10 * TEST_TIMEOUT_MS }, () => {
  let work = '';
  const running: RunningServer[] = [];
  const serve = async (base: string): Promise<RunningServer> => {
    const s = await startServer('hearth-windows', { users: ['anna:anna’s password', 'ben:ben’s password'], base });
    running.push(s);
    return s;
  };

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'hearth-windows Ünïcode '));
  });
  after(async () => {
    for (const s of running) await s.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('serves a data folder given as a Windows path with spaces and non-ASCII letters', { timeout: TEST_TIMEOUT_MS }, async () => {
    const base = join(work, 'Familie Müller', 'Anki Sync');
    mkdirSync(base, { recursive: true });
    const server = await serve(base);
    assert.ok(server.output().includes(JSON.stringify(windowsPath(base)).slice(1, -1)), server.output());
    const hkey = await login(server.endpoint, 'anna', 'anna’s password');
    const col = collectionFile(work, 5, Date.now());
    assert.equal(await upload(server.endpoint, hkey, col), 200);
    assert.ok(existsSync(join(base, 'anna', 'collection.anki2')), 'the collection is in the person’s folder');
    await server.stop();
  });

  it(
    'refuses a second Hearth on the same data folder, in plain words, and the first keeps serving',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const base = join(work, 'shared folder');
      const first = await serve(base);
      await assert.rejects(serve(base), (err: unknown) => {
        assert.ok(err instanceof ServerStartError, String(err));
        assert.match(err.output, /Another copy of Hearth is already using this sync folder/);
        return true;
      });
      assert.equal((await fetch(`${first.endpoint}health`)).status, 200);
      await first.stop();
    },
  );

  it(
    'killed in the middle of a full upload and started again: the collection before it is intact',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const base = join(work, 'kill test');
      const server = await serve(base);
      const hkey = await login(server.endpoint, 'anna', 'anna’s password');
      const before = collectionFile(work, 20, Date.now() - 10_000);
      assert.equal(await upload(server.endpoint, hkey, before), 200);

      const bigger = await zstdStreamed(collectionFile(work, 20_000, Date.now()));
      await startUpload(server.endpoint, hkey, bigger, Math.floor(bigger.length / 2));
      process.kill(server.pid, 'SIGKILL');
      await server.stop();

      const again = await serve(base);
      const hkeyAgain = await login(again.endpoint, 'anna', 'anna’s password');
      const downloaded = join(work, 'downloaded.anki2');
      writeFileSync(downloaded, await download(again.endpoint, hkeyAgain));
      const db = new Database(downloaded, { readonly: true });
      loadUnicase(db);
      try {
        assert.equal(db.prepare('SELECT count(*) FROM notes').pluck().get(), 20, 'the collection from before, not the interrupted one');
        assert.equal(db.prepare('PRAGMA quick_check').pluck().get(), 'ok');
      } finally {
        db.close();
      }
      assert.deepEqual(
        readdirSync(join(base, 'anna')).filter((f) => f.endsWith('.anki2')),
        ['collection.anki2'],
        'no half-written collection beside it',
      );
      await again.stop();
    },
  );

  it(
    'two media names that differ only in letter case never overwrite each other’s file; deleting a name Windows cannot store is accepted',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const base = join(work, 'case test');
      const server = await serve(base);
      const media = new MediaClient(server.endpoint, await login(server.endpoint, 'ben', 'ben’s password'));
      await media.usn();
      const upper = Buffer.from('the first photo');
      const lower = Buffer.from('another photo altogether');
      await media.upload([['Photo.jpg', upper]]);
      const refused = await media.uploadRaw(await uploadZip([['photo.jpg', lower]]));
      assert.equal(refused.status, 400, 'the second name is refused, not written over the first');
      const files = readdirSync(join(base, 'ben', 'media'));
      assert.deepEqual(files, ['Photo.jpg']);
      assert.equal(readFileSync(join(base, 'ben', 'media', 'Photo.jpg')).toString(), upper.toString());
      // A device deleting names Windows cannot store (renamed by the client after another server sent them).
      for (const name of ['aux.mp3', 'what?.jpg', 'trailing.']) {
        assert.equal((await media.uploadRaw(await uploadZip([[name, null]]))).status, 200, name);
      }
      assert.deepEqual(readdirSync(join(base, 'ben', 'media')), ['Photo.jpg']);
      const got = await media.download(['Photo.jpg']);
      const entry = Object.entries(got.meta).find(([, name]) => name === 'Photo.jpg')?.[0];
      assert.ok(entry !== undefined, JSON.stringify(got.meta));
      assert.equal(sha1Hex(got.entries.get(entry)!), sha1Hex(upper));
      await server.stop();
    },
  );

  it(
    'refuses to move a data folder from a case-sensitive disk whose files differ only in case, and loses none',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const base = join(work, 'from linux');
      const media = join(base, 'ben', 'media');
      mkdirSync(media, { recursive: true });
      writeFileSync(join(media, 'Photo.jpg'), 'the first photo');
      writeFileSync(join(media, 'photo.jpg'), 'another photo altogether');
      const target = join(work, 'to windows');
      const ui = await startUiServer({ base, windows: true });
      try {
        assert.deepEqual(await ui.api.moveStorage(windowsPath(target)), { ok: true });
        const status = await moveFinished(ui);
        assert.equal(status.storageMove.state, 'failed');
        assert.match(
          status.storageMove.problem ?? '',
          /differ only in capital letters \(ben\/media\/Photo\.jpg and ben\/media\/photo\.jpg\).*Nothing was moved/,
        );
        assert.equal(readFileSync(join(media, 'Photo.jpg'), 'utf8'), 'the first photo');
        assert.equal(readFileSync(join(media, 'photo.jpg'), 'utf8'), 'another photo altogether');
        assert.equal(existsSync(join(target, 'ben')), false, 'nothing was copied');
        assert.equal(status.storageFolder, windowsPath(base));
      } finally {
        await ui.stop();
      }
    },
  );

  it('moves the data folder while the server runs, and syncs from the new folder', { timeout: TEST_TIMEOUT_MS }, async () => {
    const base = join(work, 'before move');
    const target = join(work, 'Neuer Ordner', 'Anki Sync');
    const ui = await startUiServer({ base, windows: true });
    try {
      assert.deepEqual(await ui.api.addPerson('clara', 'clara’s password'), { ok: true });
      const hkey = await login(ui.syncEndpoint, 'clara', 'clara’s password');
      const col = collectionFile(work, 10, Date.now());
      assert.equal(await upload(ui.syncEndpoint, hkey, col), 200);
      await new Promise((r) => setTimeout(r, 5_500)); // the last sync counts as finished after a quiet moment
      assert.deepEqual(await ui.api.checkStorageFolder(windowsPath(target)), { ok: true });
      assert.deepEqual(await ui.api.moveStorage(windowsPath(target)), { ok: true });
      const status = await moveFinished(ui);
      assert.equal(status.storageMove.state, 'done', JSON.stringify(status.storageMove));
      assert.ok(existsSync(join(target, 'clara', 'collection.anki2')));
      assert.equal(existsSync(join(base, 'clara')), false, 'the old copy is removed');
      const deadline = Date.now() + STATE_TIMEOUT_MS;
      while ((await ui.api.getStatus()).server.kind !== 'running' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      const again = await login(ui.syncEndpoint, 'clara', 'clara’s password');
      const downloaded = await download(ui.syncEndpoint, again);
      assert.equal(downloaded.subarray(0, 16).toString('latin1'), 'SQLite format 3\u0000');
    } catch (err) {
      await new Promise((r) => setTimeout(r, 1_000));
      throw new Error(`${String(err)}\n--- server output ---\n${ui.output()}`);
    } finally {
      await ui.stop();
    }
  });
});
