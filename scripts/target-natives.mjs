// The native files each of the six targets' installers carries, and how they get into
// node_modules/ and native/build/ before electron-builder packs them:
//   - unicase, our SQLite extension: built by scripts/build-native.mjs (Zig for other systems);
//   - better-sqlite3: its npm package carries a prebuilt library for every target
//     (prebuilds/<platform>-<arch>.node);
//   - @node-rs/argon2: one npm package per target, of which `npm ci` installs only this machine's;
//     another target's is fetched at the version and checksum package-lock.json records.
// electron-builder.js picks exactly the target's files with these same names; the packaging
// test (test/package/) reads the headers of every one of them.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNative } from './build-native.mjs';
import { targetName, unicaseFileName } from '../src/server/collection/native-targets.ts';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The suffix of @node-rs/argon2's package for a target (its optionalDependencies):
 * MSVC builds on Windows, glibc builds on Linux.
 */
function argon2Suffix({ platform, arch }) {
  return `${platform}-${arch}${{ win32: '-msvc', darwin: '', linux: '-gnu' }[platform]}`;
}

export function argon2PackageName(target) {
  return `@node-rs/argon2-${argon2Suffix(target)}`;
}

/** The native libraries a target's package carries, as paths inside the app (app.asar.unpacked/…). */
export function nativeFilesFor(target) {
  const suffix = argon2Suffix(target);
  return [
    `native/build/${unicaseFileName(target)}`,
    `node_modules/better-sqlite3/prebuilds/${targetName(target)}.node`,
    `node_modules/@node-rs/argon2-${suffix}/argon2.${suffix}.node`,
  ];
}

/**
 * electron-builder `files` patterns for one system that keep only its own native libraries,
 * with electron-builder's ${arch} for the CPU (electron-builder.js). Packages in node_modules
 * are copied by their own pass, which applies only exclusions, so the other targets' files
 * are excluded with a negated extglob (`!(…)`) rather than excluded all and one added back.
 */
export function nativeFilePatterns(platform) {
  const [unicase, sqlite, argon2] = nativeFilesFor({ platform, arch: '${arch}' });
  const argon2Package = dirname(argon2).slice('node_modules/@node-rs/'.length);
  return [unicase, `!node_modules/better-sqlite3/prebuilds/!(${basename(sqlite)})`, `!node_modules/@node-rs/!(argon2|${argon2Package})/**`];
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', shell: process.platform === 'win32', ...options });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed: ${result.error?.message ?? result.stderr}`);
  }
  return result.stdout;
}

/** Puts another target's @node-rs/argon2 package into node_modules/, checked against package-lock.json. */
export function ensureArgon2Package(target) {
  const name = argon2PackageName(target);
  const lock = JSON.parse(readFileSync(join(projectRoot, 'package-lock.json'), 'utf8'));
  const entry = lock.packages?.[`node_modules/${name}`];
  if (!entry?.version || !entry.integrity) throw new Error(`${name} is not in package-lock.json; run npm install`);
  const dest = join(projectRoot, 'node_modules', name);
  const manifest = join(dest, 'package.json');
  if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).version === entry.version) return dest;

  const scratch = mkdtempSync(join(tmpdir(), 'hearth-pack-'));
  try {
    // npm pack fetches the registry's tarball (through npm's own cache and settings).
    const [packed] = JSON.parse(
      run('npm', ['pack', `${name}@${entry.version}`, '--json', '--pack-destination', scratch], { cwd: scratch }),
    );
    const tarball = join(scratch, packed.filename);
    const [algorithm, expected] = entry.integrity.split(/-(.*)/s);
    const actual = createHash(algorithm).update(readFileSync(tarball)).digest('base64');
    if (actual !== expected) throw new Error(`${name}@${entry.version}: the download does not match package-lock.json's checksum`);
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dest, { recursive: true });
    run('tar', ['-xzf', tarball, '-C', dest, '--strip-components=1']);
    console.log(`target-natives: ${name}@${entry.version} added for ${targetName(target)}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return dest;
}

/** Everything native a target's package needs, built or fetched; returns nativeFilesFor(target) as absolute paths, all present. */
export function ensureTargetNatives(target) {
  buildNative({ targets: [target] });
  ensureArgon2Package(target);
  const files = nativeFilesFor(target).map((f) => join(projectRoot, f));
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0) throw new Error(`native files missing for ${targetName(target)}: ${missing.join(', ')}`);
  return files;
}
