/**
 * Gives freed C-heap memory back to the system after a sync: glibc keeps memory that was freed
 * below memory still in use (SQLite's pages, zstd's buffers, V8's compiler zones), and asked with
 * malloc_trim it returns it. Measured on a server idle after a full upload, a full download and a
 * normal sync of the 20k-note collection: RSS 97.6 → 83.0 MB (docs/memory.md). Called through the
 * native extension (`hearth_release_memory()`, native/unicase.c) on a small in-memory connection
 * of its own, so no collection's connection gets a function Anki does not have. Where malloc is
 * not glibc's (Windows, macOS, Chromium's allocator in the app) it does nothing.
 */
import Database from 'better-sqlite3';
import { loadReleaseMemory } from '../collection/unicase.ts';

let connection: Database.Database | undefined;

/** True when memory was given back. */
export function releaseFreedCMemory(): boolean {
  if (connection === undefined) {
    const db = new Database(':memory:');
    try {
      loadReleaseMemory(db);
    } catch (err) {
      db.close();
      throw err;
    }
    connection = db;
  }
  return connection.prepare('select hearth_release_memory()').pluck().get() === 1;
}
