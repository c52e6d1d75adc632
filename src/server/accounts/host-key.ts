import { createHash } from 'node:crypto';

/**
 * The host key the official server hands out: lowercase hex SHA-1 of the whole `SYNC_USERn`
 * value, i.e. of `user:password` (or `user:<PHC hash>` with PASSWORDS_HASHED), docs/protocol/http.md §8.1.
 * Reproducing it keeps a phone that was logged into the official server logged in.
 */
export function hostKeyFor(userColonSecret: string): string {
  return createHash('sha1').update(userColonSecret, 'utf8').digest('hex');
}
