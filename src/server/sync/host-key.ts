/**
 * `hostKey` (docs/protocol/collection-sync.md §5.1): `{"u","p"}` → `{"key"}`, or 403. Each login
 * gets a key of its own (accounts/device-store.ts); `client` is the anki-sync header's `c`.
 */
import { badRequest } from '../errors.ts';
import { expectObject, parseJsonBody } from '../wire/json-body.ts';
import type { Authenticator } from '../accounts/authenticator.ts';

export interface HostKeyRequest {
  readonly u: string;
  readonly p: string;
}

export function parseHostKeyRequest(body: Buffer): HostKeyRequest {
  const { u, p } = expectObject(parseJsonBody(body), 'hostKey');
  if (typeof u !== 'string' || typeof p !== 'string') throw badRequest('hostKey: u and p must be strings');
  return { u, p };
}

export async function hostKey(body: Buffer, auth: Authenticator, clientAddress: string, client: string): Promise<{ key: string }> {
  const { u, p } = parseHostKeyRequest(body);
  return { key: await auth.login(u, p, clientAddress, client) };
}
