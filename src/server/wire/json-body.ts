import { badRequest } from '../errors.ts';

/** Parses a decoded request body as JSON; any failure is the client's (400), docs/protocol/http.md §2.3. */
export function parseJsonBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('invalid json');
  }
}

export function expectObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest(`${what}: expected a JSON object`);
  return value as Record<string, unknown>;
}
