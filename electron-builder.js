// electron-builder's configuration. Installers: `npm run package` (builds dist/, then runs
// electron-builder for this OS), or `npm run package -- --win|--mac|--linux [--x64|--arm64] [dir]`;
// see README "Installers". electron-builder downloads Electron and its packaging tools on first
// use; offline, only the `dir` target with a local `electronDist` works.
//
// Each target (system + CPU) is packed with exactly its own native libraries: the beforePack
// hook builds or fetches them (scripts/before-pack.mjs), and each system's `files` below selects
// them by ${arch} (scripts/target-natives.mjs). (Each system's list is complete: electron-builder
// does not add a system's `files` to a top-level `files` list; it makes them two file sets.)
import { nativeFilePatterns } from './scripts/target-natives.mjs';

/** What goes into app.asar besides the production node_modules (electron-builder adds those, without devDependencies). */
const common = [
  'package.json',
  // package.json's "main" is dist/main/index.js; dist/renderer/ is the window.
  'dist/**',
  'assets/tray/**',
  '!**/*.map',
  // TypeScript sources some packages ship beside their JavaScript (ajv); nothing loads them.
  '!node_modules/**/*.{ts,mts,cts}',
  // better-sqlite3's SQLite sources and C++ are for building it; its prebuilt library runs.
  '!node_modules/better-sqlite3/{deps,src,build}/**',
  '!node_modules/better-sqlite3/binding.gyp',
];

/** @type {import('electron-builder').Configuration} */
export default {
  appId: 'org.hearth.desktop',
  productName: 'Hearth',
  copyright: 'Copyright © Hearth contributors',
  beforePack: './scripts/before-pack.mjs',
  directories: {
    output: 'release',
    // icon.png (512×512) is found here by name; electron-builder derives the Windows .ico and
    // the macOS .icns from it. The SVG sources and scripts/gen-icons.sh are not shipped.
    buildResources: 'assets',
  },
  // Native libraries cannot be loaded from inside an asar archive: better-sqlite3 and argon2 ship
  // Node-API prebuilds (Node-API 10, loaded as they are by Electron, so no electron-rebuild), and
  // the unicase SQLite extension is found by the server in app.asar.unpacked
  // (src/server/collection/unicase.ts).
  asarUnpack: ['native/build/**', 'node_modules/better-sqlite3/**', 'node_modules/@node-rs/argon2-*/**'],
  npmRebuild: false,
  win: {
    target: [{ target: 'nsis', arch: ['x64', 'arm64'] }],
    files: [...common, ...nativeFilePatterns('win32')],
  },
  nsis: {
    oneClick: false,
    perMachine: false,
    allowToChangeInstallationDirectory: true,
    createDesktopShortcut: true,
    runAfterFinish: true,
  },
  mac: {
    target: [{ target: 'dmg', arch: ['x64', 'arm64'] }],
    category: 'public.app-category.education',
    hardenedRuntime: true,
    files: [...common, ...nativeFilePatterns('darwin')],
  },
  linux: {
    target: [
      { target: 'AppImage', arch: ['x64', 'arm64'] },
      { target: 'deb', arch: ['x64', 'arm64'] },
    ],
    category: 'Education',
    synopsis: 'Anki sync server for your family’s PC',
    maintainer: 'Hearth contributors <hearth@example.org>',
    files: [...common, ...nativeFilePatterns('linux')],
  },
};
