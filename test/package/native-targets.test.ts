// For each of the six targets an installer is made for (Windows, macOS, Linux; x64 and arm64),
// the native libraries its package carries (scripts/target-natives.mjs: built with Zig or
// fetched at the version package-lock.json records, as the packaging hook does) are for that
// system and CPU, by their own headers, and export the entry point their loader calls. The Linux
// packages themselves are checked file by file in packaged-app.test.ts; the others cannot be
// packed on this machine (electron-builder needs each system's own tools).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTargetNatives, nativeFilePatterns, nativeFilesFor } from '../../scripts/target-natives.mjs';
import { NATIVE_TARGETS, targetName } from '../../src/server/collection/native-targets.ts';
import { readNativeBinary } from '../helpers/native-binary.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Installing Zig the first time (about 45 MB from PyPI) and compiling six libraries. */
const BUILD_TIMEOUT_MS = 600_000;

for (const target of NATIVE_TARGETS) {
  test(
    `${targetName(target)}: unicase, better-sqlite3 and argon2 are built for ${targetName(target)} and export their entry points`,
    { timeout: BUILD_TIMEOUT_MS },
    () => {
      const files = ensureTargetNatives(target);
      assert.equal(files.length, 3);
      for (const file of files) {
        assert.ok(file.startsWith(ROOT), file);
        const binary = readNativeBinary(file);
        assert.equal(binary.platform, target.platform, `${basename(file)} is for ${binary.platform}`);
        assert.equal(binary.arch, target.arch, `${basename(file)} is for ${binary.arch}`);
        const entry = basename(file).startsWith('unicase') ? 'sqlite3_unicase_init' : 'napi_register_module_v1';
        assert.ok(binary.exports.includes(entry), `${basename(file)} exports ${entry} (exports: ${binary.exports.join(', ')})`);
      }
    },
  );
}

test('each system’s electron-builder patterns keep the target’s files and exclude every other target’s', () => {
  for (const platform of ['win32', 'darwin', 'linux'] as const) {
    const [unicase, sqlite, argon2] = nativeFilePatterns(platform);
    assert.equal(unicase, nativeFilesFor({ platform, arch: '${arch}' as 'x64' })[0]);
    assert.match(sqlite!, new RegExp(`^!node_modules/better-sqlite3/prebuilds/!\\(${platform}-\\$\\{arch\\}\\.node\\)$`));
    assert.match(argon2!, /^!node_modules\/@node-rs\/!\(argon2\|argon2-.*\$\{arch\}.*\)\/\*\*$/);
  }
});
