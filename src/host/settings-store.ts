/**
 * The settings, one store for both hosts over two backends: electron-store in the app
 * (src/main/settings-backend.ts) and, for the headless host, the official environment variables
 * plus the changes made on the admin page (src/headless/headless-settings.ts). On open they are
 * migrated to the current version,
 * each field validated (a bad one falls back to its default and is reported, the rest are
 * kept), and written back when that changed anything. Updates are validated whole before they
 * are saved; listeners (the server control, the tray, autostart) hear every saved change.
 *
 * Each backend writes atomically (temp file + rename); fileSettingsBackend is a plain JSON file
 * for tests and tools.
 */
import { readFileSync, renameSync } from 'node:fs';
import { applySettingsPatch, settingsFromStored } from '../shared/settings.ts';
import type { Settings, SettingsProblem, Validated } from '../shared/settings.ts';
import { listenerSet, writeFileAtomically } from '../server/index.ts';
import type { Logger } from '../server/index.ts';

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

/**
 * A host's own refusals, checked after the shared validation: the headless host refuses the
 * settings that do not apply to it (start at login). Returns no problems when the change is fine.
 */
export type SettingsRule = (next: Settings, previous: Settings) => SettingsProblem[];

export function openSettingsStore(backend: SettingsBackend, defaults: Settings, logger: Logger, rule?: SettingsRule): SettingsStore {
  const log = logger.child('settings');
  const loaded = settingsFromStored(backend.read(), defaults);
  for (const p of loaded.problems) log.warn('a stored setting was invalid; using the default', { field: p.field, why: p.message });
  if (loaded.fromVersion !== null && loaded.fromVersion !== loaded.settings.version) {
    log.info('settings migrated', { from: loaded.fromVersion, to: loaded.settings.version });
  }
  if (loaded.rewrite) backend.write(loaded.settings);

  let current = loaded.settings;
  const listeners = listenerSet<[next: Settings, previous: Settings]>(log, 'a settings listener');

  return {
    path: backend.path,
    get: () => current,
    loadProblems: loaded.problems,
    update(patch) {
      const result = applySettingsPatch(current, patch);
      if (!result.ok || sameSettings(result.settings, current)) return result;
      const refused = rule?.(result.settings, current) ?? [];
      if (refused.length > 0) return { ok: false, problems: refused };
      backend.write(result.settings);
      const previous = current;
      current = result.settings;
      listeners.emit(current, previous);
      return result;
    },
    onChange: (listener) => listeners.add(listener),
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
export function moveAside(path: string): string {
  const aside = `${path}.unreadable-${Date.now()}`;
  try {
    renameSync(path, aside);
  } catch {
    // Nothing to keep.
  }
  return aside;
}
