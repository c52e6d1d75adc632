/**
 * Server configuration, and how the official server's environment variables map onto it
 * (docs/protocol/http.md §9). The headless CLI and the desktop app both end up with a ServerConfig.
 */
import { homedir } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { DEFAULT_PORT } from '../shared/settings.ts';

export interface EnvUserEntry {
  /** The whole `SYNC_USERn` value, `username:password` or `username:<PHC hash>`. */
  readonly raw: string;
  readonly index: number;
}

export interface ServerConfig {
  /** Data root; each user's folder is `<base>/<username>`. */
  readonly base: string;
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** MAX_SYNC_PAYLOAD_MEGS: uploads must decode to less than 3 × this many MiB. */
  readonly maxPayloadMegs: number;
  readonly envUsers: readonly EnvUserEntry[];
  /** PASSWORDS_HASHED: env user passwords are PBKDF2 PHC strings. */
  readonly passwordsHashed: boolean;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export { DEFAULT_PORT };
export const DEFAULT_MAX_PAYLOAD_MEGS = 100;

/** Bytes an upload (or any decoded request body) may reach: 3 × MAX_SYNC_PAYLOAD_MEGS MiB. */
export function decodedBodyLimit(config: Pick<ServerConfig, 'maxPayloadMegs'>): number {
  return 3 * config.maxPayloadMegs * 1024 * 1024;
}

function parseIntStrict(name: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value.trim())) throw new ConfigError(`${name} must be a whole number, got "${value}"`);
  const n = Number(value.trim());
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/**
 * Reads the official server's variables. Like the reference, SYNC_USERn are read from 1 until the
 * first gap. Unlike the reference, an empty user list is allowed here because Hearth also has
 * its own account store; the CLI decides whether "no users at all" is fatal.
 */
export function configFromEnv(env: NodeJS.ProcessEnv): ServerConfig {
  const envUsers: EnvUserEntry[] = [];
  for (let i = 1; ; i++) {
    const raw = env[`SYNC_USER${i}`];
    if (raw === undefined) break;
    envUsers.push({ raw, index: i });
  }
  const host = env.SYNC_HOST ?? '0.0.0.0';
  if (isIP(host) === 0) throw new ConfigError(`SYNC_HOST must be an IP address such as 0.0.0.0 or 127.0.0.1, got "${host}"`);
  let base = env.SYNC_BASE;
  if (base === undefined || base === '') {
    const home = homedir();
    if (!home) throw new ConfigError('SYNC_BASE is not set and there is no home folder to default to');
    base = join(home, '.syncserver');
  }
  return {
    base,
    host,
    port: env.SYNC_PORT === undefined ? DEFAULT_PORT : parseIntStrict('SYNC_PORT', env.SYNC_PORT, 0, 65535),
    maxPayloadMegs:
      env.MAX_SYNC_PAYLOAD_MEGS === undefined
        ? DEFAULT_MAX_PAYLOAD_MEGS
        : parseIntStrict('MAX_SYNC_PAYLOAD_MEGS', env.MAX_SYNC_PAYLOAD_MEGS, 1, 100_000),
    envUsers,
    // The reference treats the mere presence of the variable (even empty) as "hashed".
    passwordsHashed: env.PASSWORDS_HASHED !== undefined,
  };
}
