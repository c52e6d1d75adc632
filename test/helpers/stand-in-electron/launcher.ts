/**
 * The stand-in Electron's program (bundled with its `electron` module into one folder by
 * make-dist.ts). electron-builder copies that folder as the Electron distribution and renames
 * its `electron` launcher to the app's name; running that launcher runs this with Node.
 *
 * What it does as Electron would: finds `resources/app.asar` next to itself, and runs the app's
 * main module from inside the archive, with `electron` resolved to the stand-in module. Node
 * cannot read an asar archive, so it is first unpacked into a folder that has the archive's
 * name (`…/resources/app.asar/`); a file the archive marks as unpacked is only a link to its
 * copy in the package's own `app.asar.unpacked`, which is where Electron reads those from (the
 * OS loader opens native libraries there), and a `resources/app.asar.unpacked` link beside it
 * points at the package's folder. So every file comes from the package and nothing else:
 * missing or misplaced files fail here as in the installed app.
 */
import { getRawHeader, extractFile } from '@electron/asar';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface AsarEntry {
  files?: Record<string, AsarEntry>;
  unpacked?: boolean;
  link?: string;
  size?: number;
}

const installDir = dirname(process.argv[1]!);
const resources = join(installDir, 'resources');
const archive = join(resources, 'app.asar');
const unpackedDir = join(resources, 'app.asar.unpacked');

const runRoot = mkdtempSync(join(process.env.HEARTH_STAND_IN_TMP ?? tmpdir(), 'hearth-stand-in-'));
const appDir = join(runRoot, 'resources', 'app.asar');
mkdirSync(appDir, { recursive: true });
symlinkSync(unpackedDir, join(runRoot, 'resources', 'app.asar.unpacked'));

function unpack(entry: AsarEntry, relative: string): void {
  for (const [name, child] of Object.entries(entry.files ?? {})) {
    const path = relative ? `${relative}/${name}` : name;
    const target = join(appDir, path);
    if (child.files) {
      mkdirSync(target, { recursive: true });
      unpack(child, path);
    } else if (child.link !== undefined) {
      symlinkSync(join(appDir, child.link), target);
    } else if (child.unpacked) {
      symlinkSync(join(unpackedDir, path), target);
    } else {
      writeFileSync(target, extractFile(archive, path));
    }
  }
}
unpack(getRawHeader(archive).header as AsarEntry, '');

process.env.HEARTH_FAKE_ELECTRON_APP = appDir;
const fakeElectron = pathToFileURL(join(installDir, 'stand-in-electron.mjs')).href;
registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === 'electron') return { url: fakeElectron, shortCircuit: true };
    if (specifier === 'bonjour-service') {
      // It must be in the package (resolved there first), but nothing is sent on the network.
      nextResolve(specifier, context);
      return { url: fakeElectron.replace(/stand-in-electron\.mjs$/, 'stand-in-bonjour.mjs'), shortCircuit: true };
    }
    return nextResolve(specifier, context);
  },
});

const manifest = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')) as { main?: string };
await import(pathToFileURL(join(appDir, manifest.main ?? 'index.js')).href);
