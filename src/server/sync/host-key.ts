/**
 * `hostKey` (docs/protocol/collection-sync.md §5.1): `{"u","p"}` → `{"key"}`, or 403. Each login
 * gets a key of its own (accounts/device-store.ts); `client` is the anki-sync header's `c`.
 * The body is read first (parseHostKeyRequest) so that the request handler can report the
 * username tried (the window says "use anna, not an email address"); the password goes no further.
 */
import { badRequest } from '../errors.ts';
import { expectObject, parseJsonBody } from '../wire/json-body.ts';
import type { Authenticator } from '../accounts/authenticator.ts';

/** A login as the device sent it: the wire's `u` and `p`. */
export interface LoginAttempt {
  readonly username: string;
  readonly password: string;
}

export function parseHostKeyRequest(body: Buffer): LoginAttempt {
  const { u, p } = expectObject(parseJsonBody(body), 'hostKey');
  if (typeof u !== 'string' || typeof p !== 'string') throw badRequest('hostKey: u and p must be strings');
  return { username: u, password: p };
}

export async function hostKey(attempt: LoginAttempt, auth: Authenticator, clientAddress: string, client: string): Promise<{ key: string }> {
  return { key: await auth.login(attempt.username, attempt.password, clientAddress, client) };
}
