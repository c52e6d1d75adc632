#!/usr/bin/env node
// Builds the `unicase` SQLite extension (native/unicase.c) into
// native/build/unicase.{so,dylib,dll} with the system C compiler.
//
// Why a plain compiler call and not node-gyp: the result is not a Node addon
// but a SQLite loadable extension. It links against nothing — every SQLite
// call goes through the sqlite3_api table SQLite passes at load time — so it
// needs only sqlite3ext.h, which we take from better-sqlite3's bundled SQLite
// so the headers match the SQLite that will load it.
//
// Steps: (1) regenerate native/build/casefold_table.h (scripts/gen-casefold.mjs)
// when the Unicode data or the generator changed; (2) compile when any input is
// newer than the library. `--force` rebuilds regardless.
// Environment: CC overrides the compiler (e.g. CC=clang, or CC=gcc on Windows).

import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, renameSync, statSync, rmSync, utimesSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_OUTPUT as TABLE_HEADER, casefoldSourceFiles, generateCasefoldTable } from './gen-casefold.mjs';

const require = createRequire(import.meta.url);
const scriptPath = fileURLToPath(import.meta.url);
const projectRoot = resolve(dirname(scriptPath), '..');
const nativeDir = join(projectRoot, 'native');
const buildDir = join(nativeDir, 'build');
const source = join(nativeDir, 'unicase.c');
const force = process.argv.includes('--force');

/** File name SQLite/Hearth expect on each platform (must match src/server/collection/unicase.ts). */
function libraryFileName(platform = process.platform) {
  if (platform === 'win32') return 'unicase.dll';
  if (platform === 'darwin') return 'unicase.dylib';
  return 'unicase.so';
}

/** better-sqlite3's bundled SQLite headers (sqlite3.h, sqlite3ext.h). */
function sqliteIncludeDir() {
  const dir = join(dirname(require.resolve('better-sqlite3/package.json')), 'deps', 'sqlite3');
  if (!existsSync(join(dir, 'sqlite3ext.h'))) {
    fail(`sqlite3ext.h not found in ${dir}; is better-sqlite3 installed (npm install)?`);
  }
  return dir;
}

function fail(message) {
  console.error(`build-native: ${message}`);
  process.exit(1);
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
function run(command, args) {
  console.log(`build-native: $ ${[command, ...args].join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: projectRoot, shell: false });
  if (result.error) {
    if (result.error.code === 'ENOENT') {
      console.log(`build-native: ${command} not found`);
      return null;
    }
    fail(`could not run ${command}: ${result.error.message}`);
  }
  return result.status;
}

/** Compiler command lines for this platform, first one wins. */
function compileCommands(output, includeDir) {
  const cc = process.env.CC;
  // GCC/Clang-style flags. -fvisibility=hidden: export only the entry points
  // (marked in unicase.c), since SQLite loads extensions RTLD_GLOBAL.
  const common = ['-O2', '-std=c99', '-Wall', '-Wextra', '-fvisibility=hidden', `-I${includeDir}`, `-I${buildDir}`];
  if (process.platform === 'win32') {
    const gnuStyle = (compiler) => ({ command: compiler, args: [...common, '-shared', '-o', output, source] });
    if (cc) return [/(^|[\\/])cl(\.exe)?$/i.test(cc) ? msvc(cc, output, includeDir) : gnuStyle(cc)];
    // MSVC needs a "Developer Command Prompt" (vcvars) environment to be on PATH.
    return [msvc('cl', output, includeDir), gnuStyle('gcc'), gnuStyle('clang')];
  }
  if (process.platform === 'darwin') {
    // -dynamiclib works because the extension has no undefined SQLite symbols
    // (all calls go through sqlite3_api); SQLite dlopen()s it like any dylib.
    const args = [...common, '-dynamiclib', '-fPIC', '-o', output, source];
    return (cc ? [cc] : ['cc', 'clang']).map((command) => ({ command, args }));
  }
  const args = [...common, '-shared', '-fPIC', '-o', output, source];
  return (cc ? [cc] : ['cc', 'gcc', 'clang']).map((command) => ({ command, args }));
}

function msvc(command, output, includeDir) {
  // /LD builds a DLL; /Fo keeps the .obj (and /Fe's .lib/.exp) inside native/build.
  return {
    command,
    args: ['/nologo', '/O2', '/W3', '/LD', `/I${includeDir}`, `/I${buildDir}`, `/Fo${buildDir}\\`, source, `/Fe${output}`],
  };
}

function main() {
  mkdirSync(buildDir, { recursive: true });

  const generator = join(projectRoot, 'scripts', 'gen-casefold.mjs');
  if (force || isStale(TABLE_HEADER, [generator, ...casefoldSourceFiles()])) {
    const { written } = generateCasefoldTable(TABLE_HEADER);
    // Same content: still bump the mtime, or the header would stay "older than its inputs"
    // and be regenerated on every build.
    if (!written) utimesSync(TABLE_HEADER, new Date(), new Date());
    console.log(`build-native: ${written ? 'generated' : 'refreshed'} ${TABLE_HEADER}`);
  }

  const includeDir = sqliteIncludeDir();
  const output = join(buildDir, libraryFileName());
  const inputs = [source, TABLE_HEADER, scriptPath, join(includeDir, 'sqlite3ext.h'), join(includeDir, 'sqlite3.h')];
  if (!force && !isStale(output, inputs)) {
    console.log(`build-native: up to date: ${output}`);
    return;
  }

  // Build next to the library, then rename it into place: a running server that has the old
  // library mapped keeps its copy, and nobody ever loads a half-written file.
  const partial = `${output}.${process.pid}.partial${extname(output)}`;
  const tried = [];
  for (const { command, args } of compileCommands(partial, includeDir)) {
    const status = run(command, args);
    if (status === null) {
      tried.push(command);
      continue;
    }
    if (status !== 0) {
      rmSync(partial, { force: true });
      fail(`${basename(command)} failed (exit status ${status}) compiling ${source}`);
    }
    renameSync(partial, output);
    console.log(`build-native: built ${output}`);
    return;
  }
  const hint =
    process.platform === 'win32'
      ? 'install "Visual Studio Build Tools" (C++ workload) and run from a Developer Command Prompt, or set CC to gcc/clang'
      : process.platform === 'darwin'
        ? 'install the Xcode Command Line Tools: xcode-select --install'
        : 'install a C compiler, e.g. sudo apt-get install build-essential (Debian/Ubuntu) or sudo dnf install gcc';
  fail(`no C compiler found (tried: ${tried.join(', ')}). To build the unicase SQLite extension, ${hint}.`);
}

main();
