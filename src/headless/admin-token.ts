/**
 * The admin page's token, kept across restarts: `<SYNC_BASE>/.hearth/admin-token`, readable by
 * its owner only (0600, written atomically). So the link printed at start-up, and a page
 * bookmarked from it, keep working after the server restarts; the page itself remembers the
 * token for its own origin (src/renderer/api-client.ts).
 *
 * A new token (and with it a new link; every page opened with the old one is refused) is made
 * when the file is missing or damaged, when others than its owner could read it, or when asked
 * (`npm run serve -- --new-admin-link`). The token is never logged.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from '../server/index.ts';
import { newAdminToken } from './admin-server.ts';

/** The command-line flag that makes a new token. */
export const NEW_ADMIN_LINK_FLAG = '--new-admin-link';

/** The shape of a token this file holds (newAdminToken makes 43 characters). */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{32,512}$/;

export function adminTokenPath(envBase: string): string {
  return join(envBase, '.hearth', 'admin-token');
}

export type AdminTokenOrigin = 'kept' | 'new' | 'renewed';

export interface AdminToken {
  readonly token: string;
  /** kept: the one from before; new: there was none (or it was damaged or readable by others); renewed: asked for. */
  readonly origin: AdminTokenOrigin;
}

/** The stored token, or undefined when there is none Hearth should use. */
function readStored(path: string, platform: NodeJS.Platform): string | undefined {
  let text: string;
  try {
    // Group or others could read it: whoever did may hold the link, so it is not used again.
    if (platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) return undefined;
    text = readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
  return TOKEN_SHAPE.test(text) ? text : undefined;
}

/** The token for this start: the stored one, or a new one written first. */
export function loadAdminToken(
  envBase: string,
  options: { readonly renew?: boolean; readonly platform?: NodeJS.Platform; readonly make?: () => string } = {},
): AdminToken {
  const path = adminTokenPath(envBase);
  const stored = options.renew ? undefined : readStored(path, options.platform ?? process.platform);
  if (stored !== undefined) return { token: stored, origin: 'kept' };
  const token = (options.make ?? newAdminToken)();
  writeFileAtomically(path, `${token}\n`, { mode: 0o600, dirMode: 0o700 });
  return { token, origin: options.renew ? 'renewed' : 'new' };
}
