/**
 * Makes a stand-in Electron distribution for electron-builder's `electronDist`: a folder with an
 * executable named `electron` (which electron-builder copies and renames to the app's name),
 * and the two bundles it runs (launcher.ts, and the stand-in `electron` module of
 * test/helpers/fake-electron). Self-contained: it needs only a Node on the machine, no
 * node_modules, so the packaged app runs outside the repository.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = fileURLToPath(new URL('.', import.meta.url));

export async function makeStandInElectronDist(dir: string, node: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const common = { bundle: true, platform: 'node', format: 'esm', target: 'node22', logLevel: 'warning' } as const;
  await build({
    ...common,
    entryPoints: [join(here, 'launcher.ts')],
    outfile: join(dir, 'stand-in-launcher.mjs'),
    // @electron/asar is CommonJS and require()s Node's modules; `original-fs` only inside Electron.
    external: ['original-fs'],
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  await build({ ...common, entryPoints: [join(here, '..', 'fake-electron', 'electron.ts')], outfile: join(dir, 'stand-in-electron.mjs') });
  await build({ ...common, entryPoints: [join(here, '..', 'fake-electron', 'bonjour.ts')], outfile: join(dir, 'stand-in-bonjour.mjs') });
  const launcher = join(dir, 'electron');
  // The Node that plays Electron's is named here, as Electron's own is part of its binary.
  writeFileSync(launcher, `#!/bin/sh\nhere="$(dirname "$(readlink -f "$0")")"\nexec "${node}" "$here/stand-in-launcher.mjs" "$@"\n`);
  chmodSync(launcher, 0o755);
  return dir;
}
