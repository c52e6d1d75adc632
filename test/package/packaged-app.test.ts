// The app as a family receives it. The documented command (`npm run package`) packs Hearth for
// Linux x64 and arm64 with electron-builder (target `dir`, with a stand-in Electron
// distribution: test/helpers/stand-in-electron), from a copy of the project made of its
// tracked files. The package is then moved out of every project folder and started there,
// where no devDependency can be reached: the main process runs from app.asar with the stand-in
// Electron, forks the server from app.asar, and the real Anki client logs in, full-syncs, syncs
// media and normal-syncs against it; quitting stops the server. A package whose unicase
// library is missing says so in the tray and does not start the server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractFile, getRawHeader } from '@electron/asar';
import type { ApiMethod, ApiResult } from '../../src/shared/api.ts';
import { defaultSettings } from '../../src/shared/settings.ts';
import { nativeFilesFor } from '../../scripts/target-natives.mjs';
import type { NativeTarget } from '../../src/server/collection/native-targets.ts';
import { makeStandInElectronDist } from '../helpers/stand-in-electron/make-dist.ts';
import { AppRemote } from '../helpers/fake-electron/remote.ts';
import { readNativeBinary } from '../helpers/native-binary.ts';
import { AnkiClient } from '../interop/anki-client.ts';
import { freePort } from '../interop/servers.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Copying the project, building dist/ and packing two targets. */
const PACKAGE_TIMEOUT_MS = 600_000;
const REPLY_TIMEOUT_MS = 20_000;
const STATE_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 300_000;
const NATIVE_FILE = /\.(node|so|dll|dylib)$/;

const TARGETS: readonly NativeTarget[] = [
  { platform: 'linux', arch: 'x64' },
  { platform: 'linux', arch: 'arm64' },
];

/** A copy of the project as a clone has it (tracked and new files, nothing ignored), node_modules hard-linked. */
function copyProject(dest: string): void {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(listed.status, 0, listed.stderr);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    if (!existsSync(join(ROOT, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(dest, file)), { recursive: true });
    cpSync(join(ROOT, file), join(dest, file));
  }
  const linked = spawnSync('cp', ['-al', join(ROOT, 'node_modules'), join(dest, 'node_modules')]);
  if (linked.status !== 0) cpSync(join(ROOT, 'node_modules'), join(dest, 'node_modules'), { recursive: true });
  // Node 24 and Zig (for the arm64 unicase) as the project's scripts installed them.
  symlinkSync(join(ROOT, '.tools'), join(dest, '.tools'));
}

/** Every file below `dir`, as paths relative to it. */
function walk(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? walk(path, base) : [relative(base, path).split('\\').join('/')];
  });
}

interface AsarEntry {
  files?: Record<string, AsarEntry>;
  unpacked?: boolean;
}

function asarFiles(archive: string): { path: string; unpacked: boolean }[] {
  const out: { path: string; unpacked: boolean }[] = [];
  const visit = (entry: AsarEntry, prefix: string): void => {
    for (const [name, child] of Object.entries(entry.files ?? {})) {
      const path = prefix ? `${prefix}/${name}` : name;
      if (child.files) visit(child, path);
      else out.push({ path, unpacked: child.unpacked === true });
    }
  };
  visit(getRawHeader(archive).header as AsarEntry, '');
  return out;
}

describe(
  'the packaged app (electron-builder --linux dir, stand-in Electron), run outside the repository',
  { timeout: 4 * PACKAGE_TIMEOUT_MS },
  () => {
    let work = '';
    const installed = new Map<string, string>();

    before(
      async () => {
        work = mkdtempSync(join(tmpdir(), 'hearth-package-'));
        const project = join(work, 'project');
        copyProject(project);
        const electronDist = await makeStandInElectronDist(join(work, 'electron-dist'), process.execPath);
        for (const target of TARGETS) {
          const packed = spawnSync(
            'npm',
            ['run', 'package', '--', '--linux', 'dir', `--${target.arch}`, `-c.electronDist=${electronDist}`],
            {
              cwd: project,
              encoding: 'utf8',
              env: { ...process.env, CI: 'true' },
            },
          );
          assert.equal(packed.status, 0, `npm run package failed for ${target.arch}:\n${packed.stdout}\n${packed.stderr}`);
          const out = join(project, 'release', target.arch === 'x64' ? 'linux-unpacked' : 'linux-arm64-unpacked');
          const dest = join(work, 'installed', `Hearth-${target.arch}`);
          mkdirSync(dirname(dest), { recursive: true });
          renameSync(out, dest);
          installed.set(target.arch, dest);
        }
        // Nothing of the project is left to resolve a package from.
        rmSync(project, { recursive: true, force: true });
      },
      { timeout: PACKAGE_TIMEOUT_MS },
    );

    after(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });

    for (const target of TARGETS) {
      it(`the ${target.platform}-${target.arch} package carries exactly its own native libraries, unpacked, and nothing of the sources`, () => {
        const app = installed.get(target.arch)!;
        const unpacked = join(app, 'resources', 'app.asar.unpacked');
        const natives = walk(unpacked)
          .filter((f) => NATIVE_FILE.test(f))
          .sort();
        assert.deepEqual(natives, [...nativeFilesFor(target)].sort());
        for (const file of natives) {
          const binary = readNativeBinary(join(unpacked, file));
          assert.equal(`${binary.platform}-${binary.arch}`, `${target.platform}-${target.arch}`, file);
          assert.ok(
            binary.exports.includes(file.includes('unicase') ? 'sqlite3_unicase_init' : 'napi_register_module_v1'),
            `${file} exports its entry point`,
          );
        }
        const inArchive = asarFiles(join(app, 'resources', 'app.asar'));
        const packed = inArchive.filter((f) => NATIVE_FILE.test(f.path));
        assert.deepEqual(
          packed.filter((f) => !f.unpacked).map((f) => f.path),
          [],
          'no native library is only inside the archive',
        );
        const paths = inArchive.map((f) => f.path);
        for (const needed of [
          'package.json',
          'dist/main/index.js',
          'dist/server/utility-entry.js',
          'dist/preload/index.cjs',
          'dist/renderer/index.html',
        ])
          assert.ok(paths.includes(needed), `${needed} is in the package`);
        // The server process is one bundle and its chunks (scripts/build.mjs), not ~120 modules
        // for Node's loader to resolve at start (docs/memory.md); the sync engine is a chunk of
        // its own, loaded by the first sync.
        const entry = extractFile(join(app, 'resources', 'app.asar'), 'dist/server/utility-entry.js').toString('utf8');
        const relativeImports = [...entry.matchAll(/\bfrom\s+"(\.[^"]+)"/g)].map((m) => m[1]!);
        assert.ok(relativeImports.length > 0, 'the entry imports its chunks');
        assert.deepEqual(
          relativeImports.filter((i) => !i.startsWith('./chunks/')),
          [],
          'the server process entry imports nothing but its chunks (and packages)',
        );
        assert.ok(
          paths.some((p) => /^dist\/server\/chunks\/sync-engine-[^/]+\.js$/.test(p)),
          'the sync engine is a chunk of its own',
        );
        const shipped = paths.filter(
          (p) => /^src\/|\.map$|\.ts$|better-sqlite3\/(deps|src)\/|^native\/unicase\.c$|^test\/|^bench\//.test(p) && !p.endsWith('.d.ts'),
        );
        assert.deepEqual(shipped, [], 'sources and build inputs are not shipped');
      });
    }

    describe('started from the x64 package', () => {
      let home = '';
      let appProcess: ChildProcess | undefined;
      let output = '';
      const remote = new AppRemote({ replyMs: REPLY_TIMEOUT_MS, stateMs: STATE_TIMEOUT_MS });
      let port = 0;
      let client: AnkiClient | undefined;

      const start = (): ChildProcess => {
        output = '';
        const child = spawn(join(installed.get('x64')!, 'hearth'), [], {
          cwd: home,
          env: { ...process.env, HEARTH_FAKE_ELECTRON_DIR: home, HEARTH_STAND_IN_TMP: join(home, 'run'), NODE_PATH: '' },
          stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        });
        for (const s of [child.stdout, child.stderr]) {
          s?.setEncoding('utf8');
          s?.on('data', (c: string) => (output += c));
        }
        remote.attach(child, () => output);
        return child;
      };

      const command = (cmd: string, extra: Record<string, unknown> = {}): Promise<unknown> => remote.command(cmd, extra);
      const invoke = <M extends ApiMethod>(method: M, ...args: unknown[]): Promise<ApiResult<M>> => remote.invoke(method, ...args);
      const waitForServer = (kind: string): Promise<ApiResult<'getStatus'>> => remote.waitForServer(kind);
      const quit = async (): Promise<number | null> => {
        const exited = new Promise<number | null>((resolve) => appProcess!.once('exit', (code) => resolve(code)));
        await command('quit');
        return exited;
      };

      before(async () => {
        home = join(work, 'family-pc');
        mkdirSync(join(home, 'userData'), { recursive: true });
        mkdirSync(join(home, 'run'), { recursive: true });
        port = await freePort();
        const settings = { ...defaultSettings(join(home, 'home', '.syncserver')), port, listen: 'this-pc' };
        writeFileSync(join(home, 'userData', 'settings.json'), JSON.stringify(settings));
        client = await AnkiClient.start();
      });

      after(async () => {
        if (appProcess && appProcess.exitCode === null) appProcess.kill('SIGKILL');
        await client?.stop();
      });

      it(
        'starts, forks the server from app.asar, and the real Anki client syncs a collection and its media',
        { timeout: TEST_TIMEOUT_MS },
        async () => {
          appProcess = start();
          await waitForServer('running');
          assert.deepEqual(await invoke('addPerson', 'anna', 'anna’s password'), { ok: true });
          const endpoint = `http://127.0.0.1:${port}/`;
          const a = join(home, 'devices', 'desktop', 'collection.anki2');
          const b = join(home, 'devices', 'phone', 'collection.anki2');
          mkdirSync(dirname(a), { recursive: true });
          mkdirSync(dirname(b), { recursive: true });

          await client!.login(a, endpoint, 'anna', 'anna’s password');
          await client!.populate(a, { notes: 40, decks: ['Straße::Wörter', 'STRASSE'] });
          await client!.mediaWrite(a, 'straße.png', Buffer.from('a picture'));
          await client!.mediaWrite(a, '猫.jpg', Buffer.from('a cat'));
          const first = await client!.sync(a);
          assert.equal(first.required, 'FULL_UPLOAD', 'an empty server asks the first device for its collection');
          await client!.fullUpload(a);
          await client!.syncMedia(a);

          await client!.login(b, endpoint, 'anna', 'anna’s password');
          assert.equal((await client!.sync(b)).required, 'FULL_DOWNLOAD', 'an empty device takes the server’s');
          await client!.fullDownload(b);
          await client!.syncMedia(b);
          assert.deepEqual((await client!.mediaFiles(b)).files.map((f) => f.name).sort(), ['straße.png', '猫.jpg'].sort());

          // A normal sync each way.
          await client!.review(b, 5);
          const pushed = await client!.sync(b);
          assert.equal(pushed.required, 'NO_CHANGES');
          assert.equal(pushed.normal_sync_performed, true);
          const pulled = await client!.sync(a);
          assert.equal(pulled.normal_sync_performed, true);
          const [da, db] = [await client!.dump(a), await client!.dump(b)];
          assert.deepEqual(da.revlog, db.revlog);
          assert.deepEqual(da.cards, db.cards);
          assert.equal((await client!.check(a)).problems.length, 0);
        },
      );

      it('quits cleanly: the server stops and the folder is released', { timeout: TEST_TIMEOUT_MS }, async () => {
        assert.equal(await quit(), 0);
        await assert.rejects(fetch(`http://127.0.0.1:${port}/health`));
        assert.equal(existsSync(join(home, 'home', 'Anki sync', '.hearth', 'server.lock')), false);
      });

      it(
        'a package without its unicase library does not start the server, and says so in plain words',
        { timeout: TEST_TIMEOUT_MS },
        async () => {
          const library = join(
            installed.get('x64')!,
            'resources',
            'app.asar.unpacked',
            ...nativeFilesFor({ platform: 'linux', arch: 'x64' })[0]!.split('/'),
          );
          rmSync(library);
          appProcess = start();
          const status = await waitForServer('crashed');
          const server = status.server as { kind: 'crashed'; error: { code: string }; retryAt: number | null };
          assert.equal(server.error.code, 'incomplete-install');
          assert.equal(server.retryAt, null, 'not retried: reinstalling is the fix');
          const tray = ((await command('tray')) as { menu: { label?: string }[] }[])[0]!;
          assert.ok(
            tray.menu.some((i) => i.label === 'Sync server: problem — Hearth needs to be installed again'),
            JSON.stringify(tray.menu),
          );
          await assert.rejects(fetch(`http://127.0.0.1:${port}/health`));
          assert.equal(await quit(), 0);
          assert.ok(statSync(join(home, 'home', '.syncserver')).isDirectory());
        },
      );
    });
  },
);
