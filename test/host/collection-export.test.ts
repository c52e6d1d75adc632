// "Download a copy" as the hosts share it (src/host/collection-export.ts), and its two ways out:
// the app's save dialog (src/main/collection-save.ts) and the headless admin page's one-time
// download address (src/headless/download-offers.ts, the GET route of admin-server.ts). Run on
// the files (no server running) and with a runner that answers as a running server would.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { zstdDecompressSync } from 'node:zlib';
import { createCollectionExport, packageFileName } from '../../src/host/collection-export.ts';
import type { CollectionExportDeps } from '../../src/host/collection-export.ts';
import { saveCollectionCopy } from '../../src/main/collection-save.ts';
import type { SaveDialogLike } from '../../src/main/collection-save.ts';
import { createDownloadOffers, offerCollectionDownload } from '../../src/headless/download-offers.ts';
import { createAdminServer } from '../../src/headless/admin-server.ts';
import type { ApiHandlers } from '../../src/shared/api.ts';
import type { CollectionCopy } from '../../src/shared/server-process.ts';
import type { ServerState } from '../../src/shared/server-state.ts';
import { silentLogger } from '../../src/server/logger.ts';
import { UserState } from '../../src/server/user/user-state.ts';
import { createCollection } from '../../src/server/collection/create.ts';
import { makeUploadableCollection } from '../helpers/collections.ts';

const STOPPED: ServerState = { kind: 'stopped' };

/** A data folder with anna's collection (3 notes) and two media files. */
function dataFolder(): { base: string; collection: string; cleanup: () => void } {
  const base = mkdtempSync(join(tmpdir(), 'hearth-export-'));
  const user = new UserState(base, 'anna', { nowMs: () => Date.now() }, createCollection);
  user.prepareFolder();
  makeUploadableCollection(user.paths.collection, 3);
  user.close();
  writeFileSync(join(user.paths.mediaDir, 'a.jpg'), 'picture');
  writeFileSync(join(user.paths.mediaDir, 'b.mp3'), 'sound');
  return { base, collection: user.paths.collection, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

function exporter(base: string, overrides: Partial<CollectionExportDeps> = {}) {
  return createCollectionExport({
    base: () => base,
    people: async () => ['anna', 'bob'],
    runner: { state: () => STOPPED, copyCollection: async () => 'not-running' },
    logger: silentLogger,
    ...overrides,
  });
}

/** The upload temporaries left in a person's folder. */
const temps = (base: string, user = 'anna'): string[] => readdirSync(join(base, user)).filter((n) => n.startsWith('.upload-'));

describe('the hosts’ "Download a copy"', () => {
  test('each reason there is no copy is one sentence, and nothing is left behind', async (t) => {
    const { base, cleanup } = dataFolder();
    t.after(cleanup);
    const problem = async (deps: Partial<CollectionExportDeps>, user = 'anna'): Promise<string> => {
      const r = await exporter(base, deps).prepare(user);
      assert.equal(r.ok, false);
      return r.ok ? '' : r.problem;
    };
    assert.equal(await problem({}, 'nobody'), 'There is no person called “nobody”.');
    assert.match(await problem({}, 'bob'), /^bob has not synced any cards to Hearth yet/);
    assert.match(await problem({ moving: () => true }), /being moved/);
    assert.match(
      await problem({ runner: { state: () => ({ kind: 'starting', attempt: 1 }), copyCollection: async () => 'not-running' } }),
      /starting or stopping/,
    );
    for (const [reason, sentence] of [
      ['syncing', /syncing for several minutes/],
      ['in-use', /running on this data folder in another program/],
      ['failed', /could not be made; the log has the details/],
    ] as const) {
      const copy: CollectionCopy = { ok: false, reason };
      assert.match(await problem({ runner: { state: () => STOPPED, copyCollection: async () => copy } }), sentence);
    }
    assert.match(
      await problem({
        runner: {
          state: () => STOPPED,
          copyCollection: () => Promise.reject(new Error('the disk went away')),
        },
      }),
      /could not be made/,
    );
    assert.deepEqual(temps(base), []);
  });

  test('through a running server: its copy becomes the package, and is removed after (or when not wanted)', async (t) => {
    const { base, collection, cleanup } = dataFolder();
    t.after(cleanup);
    let asked = 0;
    const viaServer = exporter(base, {
      runner: {
        state: () => ({ kind: 'running', host: '127.0.0.1', port: 1, activity: { syncing: false, activeRequests: 0, users: [] } }),
        // As the server makes it: a copy in the person's folder.
        async copyCollection(username) {
          asked++;
          const file = join(base, username, '.upload-0123456789ab.tmp');
          copyFileSync(collection, file);
          return { ok: true, file };
        },
      },
    });
    const ready = await viaServer.prepare('anna');
    assert.ok(ready.ok);
    assert.equal(asked, 1);
    assert.equal(ready.prepared.fileName, packageFileName('anna', Date.now()));
    const out = new PassThrough();
    const bytes = buffer(out);
    const summary = await ready.prepared.write(out);
    assert.equal(summary.mediaFiles, 2);
    assert.equal((await bytes).length, summary.bytes);
    assert.deepEqual(temps(base), [], 'the copy is gone once written');
    await assert.rejects(ready.prepared.write(new PassThrough()), /written once/);

    const unwanted = await viaServer.prepare('anna');
    assert.ok(unwanted.ok);
    await unwanted.prepared.discard();
    assert.deepEqual(temps(base), [], 'and when it was not wanted');
  });

  test('saveTo writes beside the file and renames it into place; into a folder that is not there nothing is saved', async (t) => {
    const { base, cleanup } = dataFolder();
    t.after(cleanup);
    const out = mkdtempSync(join(tmpdir(), 'hearth-export-out-'));
    t.after(() => rmSync(out, { recursive: true, force: true }));
    const target = join(out, 'anna.colpkg');
    const saved = await exporter(base).saveTo('anna', target);
    assert.ok(saved.ok);
    assert.deepEqual(readdirSync(out), ['anna.colpkg'], 'no part file left');
    assert.equal(readFileSync(target).length, saved.summary.bytes);
    const missing = await exporter(base).saveTo('anna', join(out, 'no such folder', 'anna.colpkg'));
    assert.deepEqual(missing, { ok: false, problem: 'The copy could not be saved; the log has the details. Nothing was saved.' });
    assert.deepEqual(temps(base), []);
  });

  test('the app: problems known beforehand come before the dialog; cancelling writes nothing; the chosen file gets .colpkg', async (t) => {
    const { base, cleanup } = dataFolder();
    t.after(cleanup);
    const out = mkdtempSync(join(tmpdir(), 'hearth-export-out-'));
    t.after(() => rmSync(out, { recursive: true, force: true }));
    const asked: string[] = [];
    const dialog = (answer: { canceled: boolean; filePath?: string }): SaveDialogLike => ({
      async showSaveDialog(options) {
        asked.push(options.defaultPath);
        assert.deepEqual(options.filters, [{ name: 'Anki collection package', extensions: ['colpkg'] }]);
        return answer;
      },
    });
    const deps = { exporter: exporter(base), defaultFolder: '/home/anna/Documents', now: () => new Date(2026, 11, 7, 12).getTime() };
    assert.deepEqual(await saveCollectionCopy('nobody', { ...deps, dialog: dialog({ canceled: true }) }), {
      kind: 'problem',
      problem: 'There is no person called “nobody”.',
    });
    assert.deepEqual(asked, [], 'no dialog for a problem known beforehand');
    assert.deepEqual(await saveCollectionCopy('anna', { ...deps, dialog: dialog({ canceled: true }) }), { kind: 'cancelled' });
    assert.deepEqual(asked, [join('/home/anna/Documents', 'anna 2026-12-07.colpkg')]);
    assert.deepEqual(readdirSync(out), []);
    const saved = await saveCollectionCopy('anna', { ...deps, dialog: dialog({ canceled: false, filePath: join(out, 'for grandma') }) });
    assert.equal(saved.kind, 'saved');
    assert.deepEqual(readdirSync(out), ['for grandma.colpkg']);
    assert.deepEqual(saved, {
      kind: 'saved',
      path: join(out, 'for grandma.colpkg'),
      bytes: readFileSync(join(out, 'for grandma.colpkg')).length,
      mediaFiles: 2,
    });
    assert.deepEqual(temps(base), []);
  });
});

describe('the admin page’s download', () => {
  /** A GET on the admin server, with its Host header. */
  const get = (port: number, path: string, host = `127.0.0.1:${port}`) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
        void buffer(res).then((body) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }), reject);
      });
      req.on('error', reject);
      req.end();
    });

  test('the API gives an address; a GET there is the package once, as an attachment; then 404; an unused offer expires', async (t) => {
    const { base, collection, cleanup } = dataFolder();
    t.after(cleanup);
    const offers = createDownloadOffers({ logger: silentLogger, ttlMs: 300 });
    const offer = offerCollectionDownload(exporter(base), offers);
    const admin = createAdminServer({
      handlers: { downloadCollection: offer } as unknown as ApiHandlers,
      downloads: offers,
      staticDir: base,
      port: 0,
      token: 'test-token_0123456789abcdef',
      logger: silentLogger,
    });
    const { port } = await admin.listen();
    t.after(async () => {
      await admin.close();
      await offers.close();
    });

    assert.deepEqual(await offer('nobody'), { kind: 'problem', problem: 'There is no person called “nobody”.' });
    const given = await offer('anna');
    assert.equal(given.kind, 'download');
    if (given.kind !== 'download') return;
    assert.match(given.url, /^\/download\/[A-Za-z0-9_-]{43}$/);
    assert.equal((await get(port, given.url, 'evil.example:80')).status, 403, 'the Host check first');
    const reply = await get(port, given.url);
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-type'], 'application/octet-stream');
    assert.equal(reply.headers['cache-control'], 'no-store');
    const day = packageFileName('anna', Date.now());
    assert.equal(reply.headers['content-disposition'], `attachment; filename="${day}"; filename*=UTF-8''${encodeURIComponent(day)}`);
    // The collection entry holds the collection (a zip's stored bytes are found by their name).
    const at = reply.body.indexOf('collection.anki21b') + 'collection.anki21b'.length;
    const frameEnd = reply.body.indexOf(Buffer.from([0x50, 0x4b, 0x07, 0x08]), at);
    assert.ok(zstdDecompressSync(reply.body.subarray(at, frameEnd)).equals(readFileSync(collection)));
    assert.equal((await get(port, given.url)).status, 404, 'once');
    assert.equal((await get(port, '/download/not-an-offer')).status, 404);
    assert.deepEqual(temps(base), []);

    const late = await offer('anna');
    assert.equal(late.kind, 'download');
    assert.equal(temps(base).length, 1, 'the copy waits for its download…');
    await new Promise((r) => setTimeout(r, 600));
    assert.deepEqual(temps(base), [], '…not for long');
    if (late.kind === 'download') assert.equal((await get(port, late.url)).status, 404);
  });

  test('a download cut short leaves no copy behind', async (t) => {
    const { base, cleanup } = dataFolder();
    t.after(cleanup);
    mkdirSync(join(base, 'anna', 'media'), { recursive: true });
    writeFileSync(join(base, 'anna', 'media', 'big.bin'), randomBytes(20_000_000)); // incompressible: it cannot all be sent at once
    const offers = createDownloadOffers({ logger: silentLogger });
    const admin = createAdminServer({
      handlers: {} as ApiHandlers,
      downloads: offers,
      staticDir: base,
      port: 0,
      token: 'x'.repeat(20),
      logger: silentLogger,
    });
    const { port } = await admin.listen();
    t.after(() => admin.close());
    const given = await offerCollectionDownload(exporter(base), offers)('anna');
    assert.equal(given.kind, 'download');
    if (given.kind !== 'download') return;
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: given.url, headers: { host: `127.0.0.1:${port}` } }, (res) => {
        res.on('error', () => {});
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => {});
      req.end();
    });
    for (let i = 0; i < 100 && temps(base).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(temps(base), []);
    assert.ok(existsSync(join(base, 'anna', 'collection.anki2')), 'the collection itself is untouched');
  });
});
