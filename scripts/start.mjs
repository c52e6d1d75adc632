// `npm start`: builds the app, then launches it with Electron. Electron's binary (about 100 MB)
// is not part of the npm package; Electron downloads it the first time it is needed. Where that
// cannot happen (no internet, or ELECTRON_SKIP_BINARY_DOWNLOAD=1 set in the environment) this
// says so plainly and points to the headless server instead.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const electronDir = join(root, 'node_modules', 'electron');

/** The binary's path the way node_modules/electron/index.js finds it, without its download-on-require. */
function electronBinary() {
  const pathFile = join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const relative = readFileSync(pathFile, 'utf8').trim();
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH || join(electronDir, 'dist');
  const binary = join(dist, relative);
  return existsSync(binary) ? binary : undefined;
}

function explainAndExit(reason) {
  process.stderr.write(
    [
      '',
      `Hearth's desktop app needs Electron, and ${reason}.`,
      '',
      'On a computer with internet access, download it once with `npx install-electron`',
      '(`npm start` also does that by itself when ELECTRON_SKIP_BINARY_DOWNLOAD is not set).',
      '',
      'Without it, run the sync server on its own (no tray, no window):',
      '  SYNC_USER1=alice:her-password npm run serve      (or: bash scripts/serve.sh)',
      'and manage people with `npm run accounts -- add <name>`. See README.md.',
      '',
    ].join('\n'),
  );
  process.exit(1);
}

if (!existsSync(electronDir)) explainAndExit('it is not installed (run `npm install` first)');

const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit', cwd: root });
if (build.status !== 0) process.exit(build.status ?? 1);

let binary = electronBinary();
if (!binary) {
  const skip = process.env.ELECTRON_SKIP_BINARY_DOWNLOAD;
  if (skip && skip !== '0' && skip !== 'false') {
    explainAndExit('its program is not downloaded on this computer (ELECTRON_SKIP_BINARY_DOWNLOAD is set, so it was not fetched)');
  }
  process.stderr.write('Downloading Electron (about 100 MB, once)…\n');
  const download = spawnSync(process.execPath, [join(electronDir, 'install.js')], { stdio: ['ignore', 'ignore', 'pipe'], cwd: root });
  binary = electronBinary();
  if (download.status !== 0 || !binary) explainAndExit('it could not be downloaded (no internet connection?)');
}

const child = spawn(binary, [root, ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
