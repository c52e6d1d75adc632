/**
 * The admin page's environment variables: HEARTH_ADMIN=off turns it off; HEARTH_ADMIN_PORT is its
 * port (default: the sync port + 1; 0 picks a free one). It always listens on 127.0.0.1.
 */
import { ConfigError } from '../server/index.ts';

export interface AdminConfig {
  readonly enabled: boolean;
  readonly port: number;
}

const OFF = new Set(['off', '0', 'false', 'no']);

export function adminConfigFromEnv(env: NodeJS.ProcessEnv, syncPort: number): AdminConfig {
  const enabled = !OFF.has((env.HEARTH_ADMIN ?? '').trim().toLowerCase());
  const raw = env.HEARTH_ADMIN_PORT;
  if (raw === undefined || raw.trim() === '') return { enabled, port: syncPort === 0 || syncPort >= 65535 ? 0 : syncPort + 1 };
  if (!/^\d+$/.test(raw.trim()) || Number(raw) > 65535)
    throw new ConfigError(`HEARTH_ADMIN_PORT must be a port number (0-65535), got "${raw}"`);
  return { enabled, port: Number(raw) };
}
