// A person's collection to take away (issue 19): the `.colpkg` Hearth writes of a collection the
// real Anki client built and synced is imported by that client's own File → Import, and then
// equals what the client synced: notes, cards, review log, decks, deck options, notetypes, tags
// and every media file, byte for byte. Made by the running headless server (the admin page's
// download) and, once the server has stopped, on the files by `npm run backups -- export`.
// (Hearth only: the official server has no such thing.) The window's button in real Chromium is
// test/ui/download-copy.test.ts; the format itself, test/server/colpkg.test.ts.
import { runAll } from './teardown.ts';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AnkiClient } from './anki-client.ts';
import type { CollectionDump } from './anki-client.ts';
import { copyCollectionOffline, writeCollectionPackage } from '../../src/server/index.ts';
import { startUiServer } from '../helpers/ui-server.ts';
import type { UiServer } from '../helpers/ui-server.ts';
import { startTogether } from '../helpers/start-together.ts';

const TEST_TIMEOUT_MS = 180_000;
const SETUP_TIMEOUT_MS = 120_000;
/** Longest the command line may take to write a package. */
const CLI_TIMEOUT_MS = 60_000;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ANNA = 'anna';
const PASSWORD = 'anna-password';

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

const MEDIA: readonly [string, Buffer][] = [
  ['kitten.jpg', content(1_500_000, 1)],
  ['日本語の音声.mp3', content(40_000, 2)],
  ['übung ä.png', content(3_000, 3)],
  ['emoji 🦊.gif', content(700, 4)],
  ['empty-ish.txt', Buffer.from('x')],
];

describe('a person’s collection taken away as a .colpkg, imported by the real Anki client', { timeout: 6 * TEST_TIMEOUT_MS }, () => {
  let tmp = '';
  let base = '';
  let ui: UiServer | undefined;
  let anki: AnkiClient | undefined;
  let laptop = '';
  let synced: CollectionDump | undefined;
  /** The media the laptop synced: name → SHA-1. */
  const media = new Map<string, string>();

  const client = (): AnkiClient => {
    assert.ok(anki, 'Anki client not started');
    return anki;
  };
  const server = (): UiServer => {
    assert.ok(ui, 'Hearth not started');
    return ui;
  };
  /** Imports the package into a new device of the real client and compares it with what the laptop synced. */
  const importAndCompare = async (pkg: string, name: string): Promise<void> => {
    const device = path.join(tmp, name, 'collection.anki2');
    await client().importColpkg(device, pkg);
    assert.deepEqual(await client().dump(device), synced, 'notes, cards, review log, decks, deck options, notetypes and tags');
    const files = (await client().mediaFiles(device)).files;
    assert.deepEqual(new Map(files.map((f) => [f.name, f.sha1])), media, 'every media file, byte for byte');
    const check = await client().check(device);
    assert.ok(check.ok, `the client's Check Database finds nothing: ${JSON.stringify(check)}`);
  };
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(ROOT, 'src', 'headless', 'backups-cli.ts'), ...args], {
      cwd: tmp,
      encoding: 'utf8',
      timeout: CLI_TIMEOUT_MS,
      env: { ...process.env, SYNC_BASE: base, SYNC_USER1: `${ANNA}:${PASSWORD}` },
    });

  before(
    async () => {
      tmp = await mkdtemp(path.join(tmpdir(), 'hearth-colpkg-'));
      base = path.join(tmp, 'server-base');
      laptop = path.join(tmp, 'laptop', 'collection.anki2');
      [ui, anki] = await startTogether(startUiServer({ users: [`${ANNA}:${PASSWORD}`], base }), AnkiClient.start());
    },
    { timeout: SETUP_TIMEOUT_MS },
  );

  after(
    async () =>
      runAll(
        () => anki?.stop(),
        () => ui?.stop(),
        () => (tmp !== '' ? rm(tmp, { recursive: true, force: true }) : undefined),
      ),
    { timeout: SETUP_TIMEOUT_MS },
  );

  it('the real client builds anna’s collection with media and syncs it to Hearth', { timeout: TEST_TIMEOUT_MS }, async () => {
    await client().login(laptop, server().syncEndpoint, ANNA, PASSWORD);
    await client().populate(laptop, { notes: 40, decks: ['Languages::Japanese', 'Maths'], tags: ['exam', 'week-1'], reviews: 25 });
    await client().addNotetypeCopy(laptop, 'Basic', 'Vocabulary');
    await client().setDeckConfig(laptop, { newConfigName: 'Exam mode', changes: { new: { perDay: 35 } } });
    for (const [name, data] of MEDIA) {
      const used = await client().mediaWrite(laptop, name, data);
      media.set(used, createHash('sha1').update(data).digest('hex'));
    }
    assert.equal((await client().sync(laptop)).required, 'FULL_UPLOAD');
    await client().fullUpload(laptop);
    await client().syncMedia(laptop);
    assert.equal(readdirSync(path.join(base, ANNA, 'media')).length, MEDIA.length, 'the server has every file');
    synced = await client().dump(laptop);
    assert.ok(synced.revlog.length > 0 && synced.decks.length > 2, 'a collection with reviews and decks');
  });

  it(
    'the admin page’s download, made by the running server, imports and equals what was synced',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const offered = await server().api.downloadCollection(ANNA);
      assert.equal(offered.kind, 'download', JSON.stringify(offered));
      if (offered.kind !== 'download') return;
      assert.match(offered.fileName, /^anna \d{4}-\d\d-\d\d\.colpkg$/);
      const response = await fetch(new URL(offered.url, server().adminOrigin));
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-disposition') ?? '', /^attachment; filename="anna \d{4}-\d\d-\d\d\.colpkg"/);
      const pkg = path.join(tmp, 'downloaded.colpkg');
      await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(pkg));
      await importAndCompare(pkg, 'imported-from-download');

      const again = await fetch(new URL(offered.url, server().adminOrigin));
      assert.equal(again.status, 404, 'an address gives the file once');
      await again.body?.cancel();
      assert.deepEqual(
        readdirSync(path.join(base, ANNA)).filter((n) => n.startsWith('.upload-')),
        [],
        'the copy the package was made from is gone',
      );
    },
  );

  it('an unknown person is a plain sentence', { timeout: TEST_TIMEOUT_MS }, async () => {
    assert.deepEqual(await server().api.downloadCollection('nobody'), { kind: 'problem', problem: 'There is no person called “nobody”.' });
  });

  it(
    'the command line refuses while the server runs, then writes the file, says where, and the client imports it',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const pkg = path.join(tmp, 'from-the-command-line.colpkg');
      const refused = cli('export', ANNA, pkg);
      assert.equal(refused.status, 1, refused.stderr);
      assert.match(refused.stderr, /running on this data folder in another program/);
      assert.equal(existsSync(pkg), false, 'nothing written');

      await server().stop();
      const done = cli('export', ANNA, pkg);
      assert.equal(done.status, 0, done.stderr);
      const escaped = pkg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      assert.match(
        done.stdout,
        new RegExp(`^Saved anna’s collection with ${MEDIA.length} media file\\(s\\) to ${escaped} \\(1\\.\\d MB\\)\\.\n`),
      );
      assert.match(done.stdout, /File → Import/);
      assert.ok(readFileSync(pkg).length > 1_500_000, 'the media are in it');
      await importAndCompare(pkg, 'imported-from-the-command-line');

      const unknown = cli('export', 'nobody');
      assert.equal(unknown.status, 1);
      assert.equal(unknown.stderr, 'There is no person called “nobody”.\n');
      // Without a file name, the package is named after the person and the day, in the current folder.
      const named = cli('export', ANNA);
      assert.equal(named.status, 0, named.stderr);
      assert.ok(
        readdirSync(tmp).some((n) => /^anna \d{4}-\d\d-\d\d\.colpkg$/.test(n)),
        'anna <date>.colpkg in the folder it ran in',
      );
    },
  );

  it('a package with ZIP64 end records, as one past 4 GiB has, imports the same', { timeout: TEST_TIMEOUT_MS }, async () => {
    const copy = await copyCollectionOffline(base, ANNA);
    assert.ok(copy.ok);
    const pkg = path.join(tmp, 'zip64.colpkg');
    try {
      await writeCollectionPackage({ collection: copy.file, mediaDir: path.join(base, ANNA, 'media') }, createWriteStream(pkg), {
        forceZip64: true,
      });
    } finally {
      await rm(copy.file, { force: true });
    }
    await importAndCompare(pkg, 'imported-zip64');
  });
});
