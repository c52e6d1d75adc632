/**
 * argon2id, the hash of Hearth's own accounts (account-store.ts), from @node-rs/argon2.
 *
 * Why this library: it publishes a build for all six targets the app ships for (Windows, macOS
 * and Linux on x64 and arm64), each as its own package, where `argon2` 0.45 had none for Intel
 * Macs and Windows on ARM. It is also faster here (17-23 ms per check against 30-43 ms, same
 * parameters), and it runs off the event loop, which a WebAssembly build (hash-wasm: 110 ms, on
 * the main thread) would not. Hashes are standard PHC strings, so those written by `argon2` keep
 * verifying (tested in test/server/accounts/accounts.test.ts).
 */
import { lazyModule } from '../util/lazy-module.ts';

/** Imported at the first hash or check, not at start: ~3 MB a server nobody logs in to does not need. */
const argon2 = lazyModule(() => import('@node-rs/argon2'));

/** OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane. */
const OPTIONS = {
  // Algorithm.Argon2id; the package declares it as a const enum, which type stripping cannot read.
  algorithm: 2,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

/** A new argon2id PHC string for `plain`, with a random salt. */
export async function hashArgon2id(plain: string): Promise<string> {
  return (await argon2.load()).hash(plain, OPTIONS);
}

/** True when `plain` matches the PHC string; false for a mismatch or a malformed string. */
export async function verifyArgon2id(phc: string, plain: string): Promise<boolean> {
  return (await argon2.load()).verify(phc, plain).catch(() => false);
}
