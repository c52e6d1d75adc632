/**
 * Where things are, from the three roots Electron knows: the app's own folder (a checkout in
 * development, `app.asar` when packaged), the per-user app data folder, and the home folder.
 */
import { join } from 'node:path';

export interface AppPaths {
  /** The compiled server entry the utility process runs. */
  readonly serverEntry: string;
  /** The bundled preload (scripts/build.mjs). */
  readonly preload: string;
  readonly indexHtml: string;
  readonly assets: string;
  readonly logFile: string;
  readonly settingsFolder: string;
  /**
   * The official server's default data folder, which `npm run serve` and `npm run accounts` use
   * too: people added from the command line are the app's people, and moving between the
   * official server and Hearth needs no full sync.
   */
  readonly defaultStorageFolder: string;
}

export function appPaths(roots: { appRoot: string; userData: string; home: string }): AppPaths {
  return {
    serverEntry: join(roots.appRoot, 'dist', 'server', 'utility-entry.js'),
    preload: join(roots.appRoot, 'dist', 'preload', 'index.cjs'),
    // The built window (scripts/build-renderer.mjs): one bundled script beside the page.
    indexHtml: join(roots.appRoot, 'dist', 'renderer', 'index.html'),
    assets: join(roots.appRoot, 'assets'),
    logFile: join(roots.userData, 'logs', 'hearth.log'),
    settingsFolder: roots.userData,
    defaultStorageFolder: join(roots.home, '.syncserver'),
  };
}
