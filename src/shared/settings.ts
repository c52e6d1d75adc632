/**
 * Hearth's settings: the schema, the defaults, validation with sentences a person can act on,
 * and versioned migrations. Pure: the main process stores the file (src/main/settings-store.ts),
 * the window edits through the API (src/shared/api.ts), both validate with these functions.
 *
 * To change the schema: bump SETTINGS_VERSION, add one function to SETTINGS_MIGRATIONS that turns
 * a file of the previous version into the new one, and update the field rules below.
 */

export const SETTINGS_VERSION = 2;

/** Who can reach the server: every device on the home network, or only this PC (for trying it out). */
export type ListenScope = 'lan' | 'this-pc';
export const LISTEN_SCOPES: readonly ListenScope[] = ['lan', 'this-pc'];

export interface Settings {
  readonly version: typeof SETTINGS_VERSION;
  readonly port: number;
  /** The data folder; each person's data is in `<storageFolder>/<username>/` (the official server's layout). */
  readonly storageFolder: string;
  readonly listen: ListenScope;
  /** Start Hearth when this person logs in to the PC. */
  readonly startAtLogin: boolean;
  /** Start in the tray without opening the window. */
  readonly startHidden: boolean;
  /** Whether the sync server should run (the tray's on/off switch). */
  readonly serverEnabled: boolean;
  /** The first-run guide was completed or skipped (the window shows it until then). */
  readonly firstRunDone: boolean;
}

/** What the window may change; `version` belongs to the file. */
export type SettingsPatch = Partial<Omit<Settings, 'version'>>;
export type SettingsField = keyof Omit<Settings, 'version'>;
export const SETTINGS_FIELDS: readonly SettingsField[] = [
  'port',
  'storageFolder',
  'listen',
  'startAtLogin',
  'startHidden',
  'serverEnabled',
  'firstRunDone',
];

/** The official server's default port; Anki's documentation uses it too. */
export const DEFAULT_PORT = 8080;
/** Ports below 1024 need administrator rights on Linux and macOS. */
export const MIN_PORT = 1024;
export const MAX_PORT = 65535;

/** The default folder depends on the machine (the main process knows the home folder), so it is passed in. */
export function defaultSettings(storageFolder: string): Settings {
  return {
    version: SETTINGS_VERSION,
    port: DEFAULT_PORT,
    storageFolder,
    listen: 'lan',
    startAtLogin: true,
    startHidden: false,
    serverEnabled: true,
    firstRunDone: false,
  };
}

export interface SettingsProblem {
  readonly field: SettingsField;
  readonly message: string;
}

/** An absolute path on Windows (C:\…, \\server\share) or on macOS/Linux (/…); src/shared cannot use node:path. */
export function isAbsoluteFolder(path: string): boolean {
  return path.startsWith('/') || /^[A-Za-z]:[\\/]/.test(path) || /^\\\\[^\\]+\\[^\\]+/.test(path);
}

const FIELD_RULES: { readonly [F in SettingsField]: (value: unknown) => string | undefined } = {
  port: (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= MIN_PORT && v <= MAX_PORT
      ? undefined
      : `The port must be a whole number from ${MIN_PORT} to ${MAX_PORT} (Hearth normally uses ${DEFAULT_PORT}).`,
  storageFolder: (v) => {
    if (typeof v !== 'string' || v.trim() === '') return 'Please choose a folder for the sync data.';
    if (!isAbsoluteFolder(v)) return 'The sync folder must be a full path, such as C:\\Users\\Anna\\Hearth or /home/anna/Hearth.';
    if (/[\u0000-\u001f]/.test(v)) return 'The sync folder’s name contains invisible control characters.';
    return undefined;
  },
  listen: (v) =>
    typeof v === 'string' && (LISTEN_SCOPES as readonly string[]).includes(v)
      ? undefined
      : 'Choose whether other devices on the home network can sync, or only this PC.',
  startAtLogin: (v) => (typeof v === 'boolean' ? undefined : '“Start at login” must be on or off.'),
  startHidden: (v) => (typeof v === 'boolean' ? undefined : '“Start in the tray” must be on or off.'),
  serverEnabled: (v) => (typeof v === 'boolean' ? undefined : 'The sync server must be on or off.'),
  firstRunDone: (v) => (typeof v === 'boolean' ? undefined : 'Whether the first-run guide was done must be yes or no.'),
};

/** The sentence for one field's value, or undefined when it is fine (e.g. to check a port before applying it). */
export function settingProblem(field: SettingsField, value: unknown): string | undefined {
  return FIELD_RULES[field](value);
}

export type Validated =
  { readonly ok: true; readonly settings: Settings } | { readonly ok: false; readonly problems: readonly SettingsProblem[] };

/** Checks a complete settings object (of the current version); every problem is reported, not just the first. */
export function validateSettings(value: unknown): Validated {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problems: SETTINGS_FIELDS.map((field) => ({ field, message: FIELD_RULES[field](undefined) ?? '' })) };
  }
  const obj = value as Record<string, unknown>;
  const problems: SettingsProblem[] = [];
  for (const field of SETTINGS_FIELDS) {
    const message = FIELD_RULES[field](obj[field]);
    if (message !== undefined) problems.push({ field, message });
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    settings: {
      version: SETTINGS_VERSION,
      port: obj.port as number,
      storageFolder: obj.storageFolder as string,
      listen: obj.listen as ListenScope,
      startAtLogin: obj.startAtLogin as boolean,
      startHidden: obj.startHidden as boolean,
      serverEnabled: obj.serverEnabled as boolean,
      firstRunDone: obj.firstRunDone as boolean,
    },
  };
}

/** Applies a change from the window: unknown keys and `version` are refused, the result is validated whole. */
export function applySettingsPatch(current: Settings, patch: unknown): Validated {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    return { ok: false, problems: [{ field: 'port', message: 'The change could not be read.' }] };
  }
  const unknownKeys = Object.keys(patch).filter((k) => !(SETTINGS_FIELDS as readonly string[]).includes(k));
  if (unknownKeys.length > 0) {
    return { ok: false, problems: [{ field: 'port', message: `Unknown setting: ${unknownKeys.join(', ')}.` }] };
  }
  return validateSettings({ ...current, ...(patch as SettingsPatch), version: SETTINGS_VERSION });
}

/**
 * One function per version step: SETTINGS_MIGRATIONS[n] turns a version-n file into version n+1.
 * Each works on plain data (the file may have been edited by hand), and the result is validated
 * after the last step.
 */
type Migration = (old: Readonly<Record<string, unknown>>) => Record<string, unknown>;

export const SETTINGS_MIGRATIONS: readonly Migration[] = [
  // 0 → 1: files written before settings were versioned (by hand, or by pre-release builds) have
  // no `version` key. Their field names are the current ones; fields they lack get defaults
  // when the result is repaired, so only the version is added here.
  (old) => ({ ...old, version: 1 }),
  // 1 → 2: the first-run guide. Whoever already has a settings file has set Hearth up before
  // (the guide did not exist yet), so it is not shown to them again.
  (old) => ({ ...old, firstRunDone: true, version: 2 }),
];

export type Migrated =
  | { readonly ok: true; readonly data: Record<string, unknown>; readonly fromVersion: number }
  | { readonly ok: false; readonly reason: 'not-an-object' | 'newer-version' | 'bad-version'; readonly fromVersion?: number };

/** Brings a stored file up to SETTINGS_VERSION. A file from a newer Hearth is reported, not guessed at. */
export function migrateSettings(raw: unknown): Migrated {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'not-an-object' };
  let data = { ...(raw as Record<string, unknown>) };
  const stored = data.version ?? 0;
  if (typeof stored !== 'number' || !Number.isInteger(stored) || stored < 0) return { ok: false, reason: 'bad-version' };
  if (stored > SETTINGS_VERSION) return { ok: false, reason: 'newer-version', fromVersion: stored };
  for (let v = stored; v < SETTINGS_VERSION; v++) {
    const step = SETTINGS_MIGRATIONS[v];
    if (!step) return { ok: false, reason: 'bad-version', fromVersion: stored };
    data = step(data);
  }
  return { ok: true, data, fromVersion: stored };
}

/**
 * Loads whatever was stored into valid settings: migrated, then each field that fails its rule
 * (or is missing) is replaced by its default and reported, so one bad value never loses the rest.
 * Unknown keys are dropped. A file from a newer Hearth keeps the fields this version understands.
 */
export function settingsFromStored(
  raw: unknown,
  defaults: Settings,
): {
  readonly settings: Settings;
  readonly problems: readonly SettingsProblem[];
  readonly fromVersion: number | null;
  readonly rewrite: boolean;
} {
  if (raw === undefined) return { settings: defaults, problems: [], fromVersion: null, rewrite: true };
  const migrated = migrateSettings(raw);
  const data: Record<string, unknown> = migrated.ok
    ? migrated.data
    : typeof raw === 'object' && raw !== null && !Array.isArray(raw)
      ? (raw as Record<string, unknown>)
      : {};
  const merged: Record<string, unknown> = { version: SETTINGS_VERSION };
  const problems: SettingsProblem[] = [];
  for (const field of SETTINGS_FIELDS) {
    const message = FIELD_RULES[field](data[field]);
    if (message === undefined) merged[field] = data[field];
    else {
      merged[field] = defaults[field];
      if (field in data) problems.push({ field, message });
    }
  }
  const result = validateSettings(merged);
  // Defaults are valid by construction; this only guards against a broken default.
  const settings = result.ok ? result.settings : defaults;
  const fromVersion = migrated.ok ? migrated.fromVersion : (migrated.fromVersion ?? null);
  const complete = SETTINGS_FIELDS.every((f) => f in data);
  return {
    settings,
    problems,
    fromVersion,
    // A newer Hearth's file is left as it is until the person changes a setting.
    rewrite:
      !(!migrated.ok && migrated.reason === 'newer-version') && (problems.length > 0 || fromVersion !== SETTINGS_VERSION || !complete),
  };
}
