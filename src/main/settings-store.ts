/**
 * The settings file, owned by the main process. On open it is migrated to the current version,
 * each field validated (a bad one falls back to its default and is reported, the rest are
 * kept), and written back when that changed anything. Updates are validated whole before they
 * are saved; listeners (the server control, the tray, autostart) hear every saved change.
 *
 * The file itself is behind SettingsBackend: electron-store in the app (it writes atomically,
 * temp file + rename), a plain JSON file with the same temp + rename for tests and tools.
 */
import { readFileSync, renameSync } from 'node:fs';
import { applySettingsPatch, settingsFromStored } from '../shared/settings.ts';
import type { Settings, SettingsProblem, Validated } from '../shared/settings.ts';
import type { Logger } from '../server/logger.ts';
import { writeFileAtomically } from '../server/util/atomic-file.ts';

export interface SettingsBackend {
  readonly path: string;
  /** The stored data as parsed JSON, or undefined when there is no (readable) file. */
  read(): unknown;
  write(settings: Settings): void;
}

export interface SettingsStore {
  readonly path: string;
  get(): Settings;
  /** Problems found when the file was loaded (fields reset to defaults), for the window to show. */
  readonly loadProblems: readonly SettingsProblem[];
  /** Validates and saves; on problems nothing changes. */
  update(patch: unknown): Validated;
  onChange(listener: (next: Settings, previous: Settings) => void): () => void;
}

function sameSettings(a: Settings, b: Settings): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function openSettingsStore(backend: SettingsBackend, defaults: Settings, logger: Logger): SettingsStore {
  const log = logger.child('settings');
  const loaded = settingsFromStored(backend.read(), defaults);
  for (const p of loaded.problems) log.warn('a stored setting was invalid; using the default', { field: p.field, why: p.message });
  if (loaded.fromVersion !== null && loaded.fromVersion !== loaded.settings.version) {
    log.info('settings migrated', { from: loaded.fromVersion, to: loaded.settings.version });
  }
  if (loaded.rewrite) backend.write(loaded.settings);

  let current = loaded.settings;
  const listeners = new Set<(next: Settings, previous: Settings) => void>();

  return {
    path: backend.path,
    get: () => current,
    loadProblems: loaded.problems,
    update(patch) {
      const result = applySettingsPatch(current, patch);
      if (!result.ok || sameSettings(result.settings, current)) return result;
      backend.write(result.settings);
      const previous = current;
      current = result.settings;
      for (const listener of [...listeners]) {
        try {
          listener(current, previous);
        } catch (err) {
          log.error('a settings listener failed', { why: err instanceof Error ? err.message : String(err) });
        }
      }
      return result;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** A JSON file written atomically: temp file, fsync, rename over the old one. */
export function fileSettingsBackend(path: string): SettingsBackend {
  return {
    path,
    read() {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
      try {
        return JSON.parse(text) as unknown;
      } catch {
        moveAside(path);
        return undefined;
      }
    },
    write(settings) {
      // Flushed through a handle with write access: Windows refuses to flush a read-only one.
      writeFileAtomically(path, JSON.stringify(settings, null, 2) + '\n');
    },
  };
}

/** A file that is not JSON is kept next to the new one, for whoever wants to look at it. */
function moveAside(path: string): string {
  const aside = `${path}.unreadable-${Date.now()}`;
  try {
    renameSync(path, aside);
  } catch {
    // Nothing to keep.
  }
  return aside;
}

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
