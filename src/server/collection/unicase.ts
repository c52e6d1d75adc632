/**
 * Loads the native `unicase` collation (native/unicase.c) into a better-sqlite3 connection.
 *
 * Anki's collection schema uses `COLLATE unicase` on name columns and their indexes. SQLite
 * cannot read through, write to, or integrity-check those indexes without a collation of that
 * name, and the collation must order exactly like Anki's (Rust unicase 2.6.0, Unicode 12 full
 * case folding) or the indexes would disagree with the ones Anki builds. A JS collation is not
 * an option: better-sqlite3 cannot register collations, hence the small SQLite extension built
 * by `npm run build:native` (scripts/build-native.mjs).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';
import { unicaseFileName } from './native-targets.ts';
import type { NativeTarget } from './native-targets.ts';

/**
 * The project root is the nearest ancestor of this module holding a package.json. Searching
 * (rather than a fixed '../../..') keeps working when the code is compiled or bundled into
 * dist/, and inside an Electron asar, whose files Electron's fs can see.
 */
function projectRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  // Unreachable in a normal checkout; fall back to this file's place in the source tree.
  return resolve(here, '..', '..', '..');
}

let cachedPath: string | undefined;

/**
 * Absolute path of the built extension for this platform. In a packaged Electron app the code
 * lives in `app.asar`, but the OS loader (dlopen/LoadLibrary) cannot read inside an archive,
 * so native files are shipped unpacked next to it in `app.asar.unpacked`.
 */
export function unicaseExtensionPath(): string {
  if (cachedPath === undefined) {
    // The library built for this system and CPU; an installer carries only its own target's.
    const target = { platform: process.platform, arch: process.arch } as NativeTarget;
    const path = join(projectRoot(), 'native', 'build', unicaseFileName(target));
    cachedPath = path.replace(/([\\/])app\.asar(?=[\\/])/, '$1app.asar.unpacked');
  }
  return cachedPath;
}

/**
 * @types/better-sqlite3 9.x declares loadExtension(path) only, but better-sqlite3 passes an
 * optional second argument through as SQLite's entry point.
 */
interface LoadExtensionWithEntryPoint {
  loadExtension(path: string, entryPoint: string): unknown;
}

/** Registers the `unicase` collation on `db`. Call right after opening, before touching a collection. */
export function loadUnicase(db: Database.Database): void {
  const path = unicaseExtensionPath();
  if (!existsSync(path)) {
    throw new Error(`unicase extension not built for ${process.platform}-${process.arch}: run npm run build:native (expected ${path})`);
  }
  // Named explicitly so loading does not depend on SQLite's entry-point guessing from the file
  // name; the library also exports a test-only entry point (sqlite3_unicasefold_init).
  (db as unknown as LoadExtensionWithEntryPoint).loadExtension(path, 'sqlite3_unicase_init');
}

/**
 * Registers `hearth_release_memory()` on `db` (the same library's sqlite3_releasememory_init):
 * glibc's malloc_trim, a no-op returning 0 without glibc. For util/release-c-heap.ts only.
 */
export function loadReleaseMemory(db: Database.Database): void {
  (db as unknown as LoadExtensionWithEntryPoint).loadExtension(unicaseExtensionPath(), 'sqlite3_releasememory_init');
}
