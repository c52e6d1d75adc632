/**
 * The app's settings backend: electron-store (conf), which writes the file atomically (temp file
 * + rename). The store itself is src/host/settings-store.ts.
 */
import type { Logger } from '../server/index.ts';
import { moveAside } from '../host/settings-store.ts';
import type { SettingsBackend } from '../host/settings-store.ts';

/** The part of electron-store (conf) used here: the whole object, read and written at once. */
export interface ElectronStoreLike {
  readonly path: string;
  store: Record<string, unknown>;
}

/**
 * electron-store as the backend. `create` constructs the store (index.ts passes
 * `() => new Store({ name: 'settings', clearInvalidConfig: false })`); a file that is not JSON
 * makes it throw a SyntaxError, and is then moved aside and replaced by defaults.
 */
export function electronStoreBackend(path: string, create: () => ElectronStoreLike, logger: Logger): SettingsBackend {
  let store: ElectronStoreLike | undefined;
  const open = (): ElectronStoreLike => {
    if (store) return store;
    try {
      store = create();
      void store.store; // conf reads lazily in some versions; read now so a broken file shows here
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      const aside = moveAside(path);
      logger.child('settings').warn('the settings file was not readable; starting from defaults', { keptAs: aside });
      store = create();
    }
    return store;
  };
  return {
    path,
    read: () => {
      const data = open().store;
      return Object.keys(data).length === 0 ? undefined : data;
    },
    write(settings) {
      open().store = { ...settings };
    },
  };
}
