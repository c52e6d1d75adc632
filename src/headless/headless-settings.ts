/**
 * The headless host's settings backend (for src/host/settings-store.ts). Its configuration comes
 * from the official environment variables (SYNC_PORT, SYNC_HOST, SYNC_BASE, …); what a person
 * changes on the admin page is kept in `<SYNC_BASE>/.hearth/headless-settings.json` (written
 * atomically) and wins over the environment at the next start, so a change made in the window
 * survives a restart. Only the fields that differ from the environment are stored. If the data
 * was moved, `storageFolder` says where to: the file stays in SYNC_BASE, where the next start
 * looks for it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { LISTEN_SCOPES, SETTINGS_VERSION, settingProblem } from '../shared/settings.ts';
import type { ListenScope, Settings, SettingsField, SettingsProblem } from '../shared/settings.ts';
import { writeFileAtomically } from '../server/index.ts';
import type { Logger, ServerConfig } from '../server/index.ts';
import { listenHost } from '../host/server-control.ts';
import type { SettingsBackend, SettingsRule } from '../host/settings-store.ts';

export interface HeadlessSettingsFile {
  readonly version: 1;
  readonly port?: number;
  readonly listen?: ListenScope;
  readonly storageFolder?: string;
  readonly serverEnabled?: boolean;
  readonly firstRunDone?: boolean;
}

const STORED_FIELDS = ['port', 'listen', 'storageFolder', 'serverEnabled', 'firstRunDone'] as const;

export function headlessSettingsPath(envBase: string): string {
  return join(envBase, '.hearth', 'headless-settings.json');
}

/** The stored changes; a field that fails its rule is dropped (and logged), a damaged file reads as empty. */
export function readHeadlessSettings(path: string, logger: Logger): HeadlessSettingsFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      logger.warn('headless-settings.json is not readable; using the environment', { path });
    return { version: 1 };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { version: 1 };
  const data = raw as Record<string, unknown>;
  const out: Record<string, unknown> = { version: 1 };
  for (const field of STORED_FIELDS) {
    if (!(field in data)) continue;
    const problem = settingProblem(field, data[field]);
    if (problem === undefined) out[field] = data[field];
    else logger.warn('a stored headless setting is invalid; ignoring it', { field, why: problem });
  }
  return out as unknown as HeadlessSettingsFile;
}

export function isLoopbackHost(host: string): boolean {
  return host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** The network scope SYNC_HOST means: loopback is this PC only, anything else the home network. */
function envScope(config: ServerConfig): ListenScope {
  return isLoopbackHost(config.host) ? 'this-pc' : 'lan';
}

/** The settings the environment alone gives. */
export function envSettings(config: ServerConfig): Settings {
  return {
    version: SETTINGS_VERSION,
    port: config.port,
    // SYNC_BASE may be relative (to where the server was started); the window shows full paths.
    storageFolder: resolve(config.base),
    listen: envScope(config),
    // Not the headless server's business: it is started by whatever runs it (systemd, Docker, a NAS).
    startAtLogin: false,
    startHidden: false,
    serverEnabled: true,
    firstRunDone: false,
  };
}

/** The settings the window shows: the stored changes over the environment. */
export function effectiveHeadlessSettings(config: ServerConfig, file: HeadlessSettingsFile): Settings {
  const env = envSettings(config);
  const listen = file.listen ?? env.listen;
  return {
    ...env,
    port: file.port ?? env.port,
    storageFolder: file.storageFolder ?? env.storageFolder,
    listen: (LISTEN_SCOPES as readonly string[]).includes(listen) ? listen : 'lan',
    serverEnabled: file.serverEnabled ?? env.serverEnabled,
    firstRunDone: file.firstRunDone ?? env.firstRunDone,
  };
}

/**
 * The address to listen on: SYNC_HOST as long as the scope is the one it means (it may name one
 * address, e.g. 192.168.1.5), otherwise the scope's address.
 */
export function headlessListenAddress(config: ServerConfig): (settings: Settings) => string {
  return (settings) => (settings.listen === envScope(config) ? config.host : listenHost(settings.listen));
}

export function headlessSettingsBackend(config: ServerConfig, logger: Logger): SettingsBackend {
  const path = headlessSettingsPath(config.base);
  const env = envSettings(config);
  return {
    path,
    read() {
      const file = readHeadlessSettings(path, logger);
      if (Object.keys(file).length === 1) return undefined;
      const settings = effectiveHeadlessSettings(config, file);
      logger.info('using settings changed on the admin page', { file: path, port: settings.port, folder: settings.storageFolder });
      return settings;
    },
    write(settings) {
      const stored: Record<string, unknown> = { version: 1 };
      for (const field of STORED_FIELDS) {
        const same =
          field === 'storageFolder' ? resolve(settings.storageFolder) === resolve(env.storageFolder) : settings[field] === env[field];
        if (!same) stored[field] = settings[field];
      }
      // Nothing changed on the admin page yet: no file (SYNC_BASE may not even be writable; the
      // server's start says so in its own words).
      if (Object.keys(stored).length === 1 && !existsSync(path)) return;
      writeFileAtomically(path, JSON.stringify(stored, null, 2) + '\n');
    },
  };
}

const notHere = (field: SettingsField, what: string): SettingsProblem => ({
  field,
  message: `“${what}” does not apply to the headless server: it runs as long as the program or service that started it.`,
});

/** Start at login and start in the tray are the app's; the service manager starts the headless server. */
export const headlessSettingsRule: SettingsRule = (next, previous) => [
  ...(next.startAtLogin !== previous.startAtLogin ? [notHere('startAtLogin', 'Start Hearth when I log in')] : []),
  ...(next.startHidden !== previous.startHidden ? [notHere('startHidden', 'Start in the tray')] : []),
];
