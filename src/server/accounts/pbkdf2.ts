/**
 * Passwords of SYNC_USERn entries, verified exactly like the official server (docs/protocol/http.md §8.1):
 * plaintext entries are hashed at startup with PBKDF2-HMAC-SHA256, 600,000 rounds, 32 bytes and
 * the reference's fixed salt; with PASSWORDS_HASHED the entry already is a PHC string
 * `$pbkdf2-sha256$i=<rounds>,l=<len>$<salt b64>$<hash b64>` (sha512 also accepted).
 */
import { pbkdf2 as pbkdf2Callback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2 = promisify(pbkdf2Callback);

export interface Pbkdf2Hash {
  readonly digest: 'sha256' | 'sha512';
  readonly rounds: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

const REFERENCE_SALT = 'tonuvYGpksNFQBlEmm3lxg';
const REFERENCE_ROUNDS = 600_000;
const MAX_ROUNDS = 10_000_000;

/** PHC "B64": standard alphabet, no padding. */
function b64decode(text: string): Buffer {
  if (!/^[A-Za-z0-9+/]*$/.test(text)) throw new Error('invalid base64');
  return Buffer.from(text, 'base64');
}

/** Parses a PHC PBKDF2 string; throws a readable Error (checked at startup, not at login). */
export function parsePbkdf2Phc(phc: string): Pbkdf2Hash {
  const m = /^\$pbkdf2-(sha256|sha512)\$([^$]*)\$([^$]+)\$([^$]+)$/.exec(phc);
  if (!m) throw new Error('not a $pbkdf2-sha256$ or $pbkdf2-sha512$ PHC string');
  const params = new Map(
    m[2]!
      .split(',')
      .filter(Boolean)
      .map((p) => p.split('=') as [string, string]),
  );
  const rounds = Number(params.get('i'));
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > MAX_ROUNDS) throw new Error('bad or missing i= (rounds)');
  const hash = b64decode(m[4]!);
  const l = params.get('l');
  if (l !== undefined && Number(l) !== hash.length) throw new Error('l= does not match the hash length');
  if (hash.length < 16) throw new Error('hash too short');
  return { digest: m[1] as 'sha256' | 'sha512', rounds, salt: b64decode(m[3]!), hash };
}

export async function hashPlaintextLikeReference(password: string): Promise<Pbkdf2Hash> {
  const salt = b64decode(REFERENCE_SALT);
  const hash = await pbkdf2(password, salt, REFERENCE_ROUNDS, 32, 'sha256');
  return { digest: 'sha256', rounds: REFERENCE_ROUNDS, salt, hash };
}

export async function verifyPbkdf2(stored: Pbkdf2Hash, password: string): Promise<boolean> {
  const candidate = await pbkdf2(password, stored.salt, stored.rounds, stored.hash.length, stored.digest);
  return timingSafeEqual(candidate, stored.hash);
}
