/**
 * What the server cannot work without, checked before it starts: the `unicase` collation (every
 * collection's name indexes use it) and zstd in `node:zlib` (every request and reply of protocol
 * 11 is zstd-compressed). Either missing means a broken installation, and a server started
 * anyway would accept logins and then fail every sync with a 500. So it does not start, and the
 * app and the headless server say why (`incomplete-install` in src/shared/errors.ts).
 *
 * zstd: Electron 45 runs Node 24, and its build of Node compiles Chromium's zstd into
 * `node:zlib` (docs/electron-node.md has the evidence); this check keeps it that way for any
 * later Electron or Node.
 */
import Database from 'better-sqlite3';
import { zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { loadUnicase } from './collection/unicase.ts';

export class IncompleteInstallError extends Error {
  /** The part that is missing, for the log. */
  readonly part: 'unicase' | 'zstd';
  constructor(part: 'unicase' | 'zstd', detail: string) {
    super(detail);
    this.name = 'IncompleteInstallError';
    this.part = part;
  }
}

function checkUnicase(): void {
  let db: Database.Database | undefined;
  try {
    db = new Database(':memory:');
    loadUnicase(db);
    // Full case folding, as Anki's: ß folds to ss.
    const equal = db.prepare(`SELECT 'Straße' = 'STRASSE' COLLATE unicase`).pluck().get();
    if (equal !== 1) throw new Error('the unicase collation does not fold case as Anki does');
  } catch (err) {
    throw new IncompleteInstallError(
      'unicase',
      `the unicase SQLite extension cannot be used: ${err instanceof Error ? err.message : String(err)}`,
    );
  } finally {
    db?.close();
  }
}

function checkZstd(): void {
  try {
    const sample = Buffer.from('Hearth checks zstd. '.repeat(8));
    if (!zstdDecompressSync(zstdCompressSync(sample)).equals(sample)) throw new Error('a round trip changed the data');
  } catch (err) {
    throw new IncompleteInstallError(
      'zstd',
      `this Node.js has no working zstd in node:zlib: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** Throws IncompleteInstallError when the server could not sync. Takes about a millisecond. */
export function checkRuntime(): void {
  checkUnicase();
  checkZstd();
}
