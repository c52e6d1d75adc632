/**
 * The headless server's settings. Its configuration comes from the official environment
 * variables (SYNC_PORT, SYNC_HOST, SYNC_BASE, …); what a person changes on the admin page is kept
 * in `<SYNC_BASE>/.hearth/headless-settings.json` (written atomically) and wins over the
 * environment at the next start, so a change made in the window survives a restart. Only the
 * fields that were changed are stored. If the data was moved, `storageFolder` says where to:
 * the file stays in SYNC_BASE, where the next start looks for it.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { LISTEN_SCOPES, SETTINGS_VERSION, settingProblem } from '../shared/settings.ts';
import type { ListenScope, Settings } from '../shared/settings.ts';
import type { ServerConfig } from '../server/config.ts';
import type { Logger } from '../server/logger.ts';
import { replaceFileAtomically } from '../server/util/atomic-file.ts';

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

export function writeHeadlessSettings(path: string, file: HeadlessSettingsFile): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, JSON.stringify(file, null, 2) + '\n');
  replaceFileAtomically(tmp, path);
}

export function isLoopbackHost(host: string): boolean {
  return host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** The settings the window shows, and the address to listen on: the stored changes over the environment. */
export function effectiveHeadlessSettings(config: ServerConfig, file: HeadlessSettingsFile): { settings: Settings; host: string } {
  const listen: ListenScope = file.listen ?? (isLoopbackHost(config.host) ? 'this-pc' : 'lan');
  // SYNC_HOST may name one address (e.g. 192.168.1.5); it is kept until the window changes the scope.
  const host = file.listen === undefined ? config.host : file.listen === 'lan' ? '0.0.0.0' : '127.0.0.1';
  return {
    host,
    settings: {
      version: SETTINGS_VERSION,
      port: file.port ?? config.port,
      storageFolder: file.storageFolder ?? config.base,
      listen: (LISTEN_SCOPES as readonly string[]).includes(listen) ? listen : 'lan',
      // Not the headless server's business: it is started by whatever runs it (systemd, Docker, a NAS).
      startAtLogin: false,
      startHidden: false,
      serverEnabled: file.serverEnabled ?? true,
      firstRunDone: file.firstRunDone ?? false,
    },
  };
}
