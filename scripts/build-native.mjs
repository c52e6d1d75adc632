#!/usr/bin/env node
// Builds the `unicase` SQLite extension (native/unicase.c) for one or more of the six targets
// Hearth ships for, into native/build/unicase-<platform>-<arch>.<so|dylib|dll>
// (src/server/collection/native-targets.ts names them).
//
//   node scripts/build-native.mjs                      this machine's target
//   node scripts/build-native.mjs --target win32-arm64 one target (repeatable)
//   node scripts/build-native.mjs --all                all six
//   --force                                            rebuild even when up to date
//
// This machine's target is built with the system C compiler (CC, else cc/gcc/clang, or MSVC's
// cl on Windows); every other target, and this one when there is no compiler, with Zig's C
// compiler, which cross-compiles to all six from any of them. Zig comes from PyPI's `ziglang`
// package (pinned below) and is installed into .tools/zig on first need; ZIG=<path> uses
// another.
//
// Why a plain compiler call and not node-gyp: the result is not a Node addon
// but a SQLite loadable extension. It links against nothing — every SQLite
// call goes through the sqlite3_api table SQLite passes at load time — so it
// needs only sqlite3ext.h, which we take from better-sqlite3's bundled SQLite
// so the headers match the SQLite that will load it.
//
// Steps: (1) regenerate native/build/casefold_table.h (scripts/gen-casefold.mjs)
// when the Unicode data or the generator changed; (2) compile each target whose library is
// missing or older than any input.

import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, renameSync, statSync, rmSync, utimesSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_OUTPUT as TABLE_HEADER, casefoldSourceFiles, generateCasefoldTable } from './gen-casefold.mjs';
import { NATIVE_TARGETS, parseTargetName, targetName, unicaseFileName } from '../src/server/collection/native-targets.ts';

const require = createRequire(import.meta.url);
const scriptPath = fileURLToPath(import.meta.url);
const projectRoot = resolve(dirname(scriptPath), '..');
const nativeDir = join(projectRoot, 'native');
const buildDir = join(nativeDir, 'build');
const source = join(nativeDir, 'unicase.c');
const targetsFile = join(projectRoot, 'src', 'server', 'collection', 'native-targets.ts');

/** The Zig release used for cross-compiling (PyPI package `ziglang`). */
export const ZIG_VERSION = '0.15.1';
/**
 * Zig's name for each target. macOS 12 is the oldest macOS that Electron 45 runs on; the
 * extension calls no C library function, so the glibc version does not matter on Linux.
 */
const ZIG_TARGETS = {
  'win32-x64': 'x86_64-windows-gnu',
  'win32-arm64': 'aarch64-windows-gnu',
  'darwin-x64': 'x86_64-macos.12.0-none',
  'darwin-arm64': 'aarch64-macos.12.0-none',
  'linux-x64': 'x86_64-linux-gnu',
  'linux-arm64': 'aarch64-linux-gnu',
};

/** better-sqlite3's bundled SQLite headers (sqlite3.h, sqlite3ext.h). */
function sqliteIncludeDir() {
  const dir = join(dirname(require.resolve('better-sqlite3/package.json')), 'deps', 'sqlite3');
  if (!existsSync(join(dir, 'sqlite3ext.h'))) {
    fail(`sqlite3ext.h not found in ${dir}; is better-sqlite3 installed (npm install)?`);
  }
  return dir;
}

class BuildError extends Error {}

function fail(message) {
  throw new BuildError(message);
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** True when `output` is missing or older than any of `inputs`. */
function isStale(output, inputs) {
  const out = mtime(output);
  if (out === undefined) return true;
  return inputs.some((input) => {
    const t = mtime(input);
    if (t === undefined) fail(`missing input ${input}`);
    return t > out;
  });
}

/** Runs a command with inherited output; returns its exit status, or null if the program does not exist. */
function run(command, args, options = {}) {
  console.log(`build-native: $ ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: projectRoot, shell: false, ...options });
  if (result.error) {
    if (result.error.code === 'ENOENT') {
      console.log(`build-native: ${command} not found`);
      return null;
    }
    fail(`could not run ${command}: ${result.error.message}`);
  }
  return result.status;
}

/** GCC/Clang-style flags. -fvisibility=hidden: export only the entry points (marked in unicase.c), since SQLite loads extensions RTLD_GLOBAL. */
function commonFlags(includeDir) {
  return ['-O2', '-std=c99', '-Wall', '-Wextra', '-fvisibility=hidden', `-I${includeDir}`, `-I${buildDir}`];
}

/** The flags that make a loadable library on the target's system. */
function sharedLibraryFlags(platform) {
  // -dynamiclib works on macOS because the extension has no undefined SQLite symbols (all
  // calls go through sqlite3_api); SQLite dlopen()s it like any dylib.
  if (platform === 'darwin') return ['-dynamiclib', '-fPIC'];
  if (platform === 'win32') return ['-shared'];
  return ['-shared', '-fPIC'];
}

/** This machine's compilers, first one found wins. */
function systemCompileCommands(output, includeDir) {
  const cc = process.env.CC;
  const args = [...commonFlags(includeDir), ...sharedLibraryFlags(process.platform), '-o', output, source];
  if (process.platform === 'win32') {
    if (cc) return [/(^|[\\/])cl(\.exe)?$/i.test(cc) ? msvc(cc, output, includeDir) : { command: cc, args }];
    // MSVC needs a "Developer Command Prompt" (vcvars) environment to be on PATH.
    return [msvc('cl', output, includeDir), { command: 'gcc', args }, { command: 'clang', args }];
  }
  const compilers = cc ? [cc] : process.platform === 'darwin' ? ['cc', 'clang'] : ['cc', 'gcc', 'clang'];
  return compilers.map((command) => ({ command, args }));
}

function msvc(command, output, includeDir) {
  // /LD builds a DLL; /Fo keeps the .obj (and /Fe's .lib/.exp) inside native/build.
  return {
    command,
    args: ['/nologo', '/O2', '/W3', '/LD', `/I${includeDir}`, `/I${buildDir}`, `/Fo${buildDir}\\`, source, `/Fe${output}`],
  };
}

const zigHome = join(projectRoot, '.tools', 'zig');

/** The Python that can install `ziglang`: python3, or on Windows the `py` launcher. */
function python() {
  for (const command of process.platform === 'win32' ? ['py', 'python3', 'python'] : ['python3', 'python']) {
    if (spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0) return command;
  }
  return undefined;
}

/** Zig's compiler: ZIG, or the pinned `ziglang` from PyPI in .tools/zig (installed on first need). */
export function zigCompiler() {
  if (process.env.ZIG) return process.env.ZIG;
  const zig = join(zigHome, 'ziglang', process.platform === 'win32' ? 'zig.exe' : 'zig');
  const stamp = join(zigHome, `ziglang-${ZIG_VERSION}.dist-info`);
  if (existsSync(zig) && existsSync(stamp)) return zig;
  const py = python();
  if (!py)
    fail('building for another system needs Zig, installed from PyPI with Python 3, which was not found; install Python 3 or set ZIG');
  console.log(`build-native: installing Zig ${ZIG_VERSION} (PyPI ziglang) into ${zigHome}`);
  rmSync(zigHome, { recursive: true, force: true });
  const status = run(py, [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--disable-pip-version-check',
    '--target',
    zigHome,
    `ziglang==${ZIG_VERSION}`,
  ]);
  if (status !== 0 || !existsSync(zig)) fail(`could not install ziglang==${ZIG_VERSION} with pip`);
  return zig;
}

function zigCompileCommand(target, output, includeDir) {
  const args = ['cc', '-target', ZIG_TARGETS[targetName(target)], ...commonFlags(includeDir), ...sharedLibraryFlags(target.platform)];
  // -s: no symbol tables beyond the exports (Zig keeps debug info by default).
  return { command: zigCompiler(), args: [...args, '-s', '-o', output, source] };
}

function refreshCasefoldTable(force) {
  const generator = join(projectRoot, 'scripts', 'gen-casefold.mjs');
  if (force || isStale(TABLE_HEADER, [generator, ...casefoldSourceFiles()])) {
    const { written } = generateCasefoldTable(TABLE_HEADER);
    // Same content: still bump the mtime, or the header would stay "older than its inputs"
    // and be regenerated on every build.
    if (!written) utimesSync(TABLE_HEADER, new Date(), new Date());
    console.log(`build-native: ${written ? 'generated' : 'refreshed'} ${TABLE_HEADER}`);
  }
}

const isHost = (target) => target.platform === process.platform && target.arch === process.arch;

function buildTarget(target, includeDir, force) {
  const output = join(buildDir, unicaseFileName(target));
  const inputs = [source, TABLE_HEADER, scriptPath, targetsFile, join(includeDir, 'sqlite3ext.h'), join(includeDir, 'sqlite3.h')];
  if (!force && !isStale(output, inputs)) {
    console.log(`build-native: up to date: ${output}`);
    return output;
  }
  // Build next to the library, then rename it into place: a running server that has the old
  // library mapped keeps its copy, and nobody ever loads a half-written file.
  const partial = `${output}.${process.pid}.partial${extname(output)}`;
  const commands = isHost(target) && !process.env.ZIG ? systemCompileCommands(partial, includeDir) : [];
  const tried = [];
  for (const { command, args } of [...commands, { lazy: true }]) {
    const step = command ? { command, args } : zigCompileCommand(target, partial, includeDir);
    const status = run(step.command, step.args);
    if (status === null) {
      tried.push(step.command);
      continue;
    }
    if (status !== 0) {
      rmSync(partial, { force: true });
      fail(`${basename(step.command)} failed (exit status ${status}) compiling ${source} for ${targetName(target)}`);
    }
    renameSync(partial, output);
    // Zig also writes a Windows import library (unicase.lib), which nothing links against.
    if (target.platform === 'win32') rmSync(join(buildDir, 'unicase.lib'), { force: true });
    console.log(`build-native: built ${output}`);
    return output;
  }
  fail(`no C compiler found (tried: ${tried.join(', ')})`);
}

/** Builds unicase for each target (this machine's by default); returns the libraries' paths. */
export function buildNative({ targets = NATIVE_TARGETS.filter(isHost), force = false } = {}) {
  mkdirSync(buildDir, { recursive: true });
  refreshCasefoldTable(force);
  const includeDir = sqliteIncludeDir();
  return targets.map((target) => buildTarget(target, includeDir, force));
}

function parseArguments(argv) {
  const targets = [];
  let force = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--force') force = true;
    else if (arg === '--all') targets.push(...NATIVE_TARGETS);
    else if (arg === '--target' || arg.startsWith('--target=')) {
      const name = arg === '--target' ? argv[++i] : arg.slice('--target='.length);
      const target = parseTargetName(name ?? '');
      if (!target) fail(`unknown target ${name}; one of: ${NATIVE_TARGETS.map(targetName).join(', ')}`);
      targets.push(target);
    } else fail(`unknown argument ${arg}`);
  }
  return { targets: targets.length > 0 ? [...new Set(targets)] : undefined, force };
}

if (process.argv[1] && resolve(process.argv[1]) === scriptPath) {
  try {
    buildNative(parseArguments(process.argv.slice(2)));
  } catch (err) {
    if (!(err instanceof BuildError)) throw err;
    console.error(`build-native: ${err.message}`);
    process.exit(1);
  }
}
