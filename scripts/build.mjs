// Builds the desktop app into dist/ (npm run build):
//   1. tsc -p tsconfig.build.json: src/main, src/preload, src/server, src/shared → dist/ as ES
//      modules, with relative imports rewritten from .ts to .js.
//   2. esbuild bundles the two server processes over tsc's copies of their entries:
//      dist/server/utility-entry.js (the app's) and dist/headless/cli.js, with chunks in
//      dist/server/chunks/; packages stay in node_modules.
//   3. esbuild bundles the preload into one CommonJS file, dist/preload/index.cjs: a sandboxed
//      preload cannot load ES modules, nor any file but `electron`, so the shared contract it
//      uses has to be inside it.
//   4. the window: dist/renderer/ (app.js, index.html, app.css), see scripts/build-renderer.mjs.
// native/build is used as it is.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildRenderer } from './build-renderer.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

rmSync(join(root, 'dist'), { recursive: true, force: true });

const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
  cwd: root,
});
if (tsc.status !== 0) {
  console.error('Build failed: TypeScript reported errors (above).');
  process.exit(1);
}

const esbuild = await import('esbuild');
// The two server processes, each bundled from the sources over tsc's copy of its entry: the
// server as the app's utility process runs it (dist/server/utility-entry.js) and the headless
// server (dist/headless/cli.js). One file and a few chunks instead of ~120 modules: Node's module
// loader, resolving each of them at start, became hot enough for V8's optimising compilers, whose
// code then stayed resident (docs/memory.md). The sync engine, argon2 and the .colpkg writer stay
// separate chunks, loaded when first needed (src/server/sync-engine.ts); the packages in
// node_modules are imported as they are (native libraries are found relative to their own files).
await esbuild.build({
  entryPoints: {
    'server/utility-entry': join(root, 'src', 'server', 'utility-entry.ts'),
    'headless/cli': join(root, 'src', 'headless', 'cli.ts'),
  },
  outdir: join(root, 'dist'),
  chunkNames: 'server/chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  packages: 'external',
  legalComments: 'none',
  logLevel: 'warning',
});

await esbuild.build({
  entryPoints: [join(root, 'src', 'preload', 'index.ts')],
  outfile: join(root, 'dist', 'preload', 'index.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'browser',
  target: 'chrome130',
  external: ['electron'],
  logLevel: 'warning',
});
// tsc's ES-module copy of the preload is not used (the window loads index.cjs).
rmSync(join(root, 'dist', 'preload', 'index.js'), { force: true });
rmSync(join(root, 'dist', 'preload', 'bridge.js'), { force: true });
await buildRenderer();
console.log('Built dist/ (main, preload, server, shared, renderer).');
