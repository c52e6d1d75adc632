// hearth_release_memory() (native/unicase.c, sqlite3_releasememory_init), through which the server
// gives freed C-heap memory back after a sync (src/server/util/release-c-heap.ts): registered only
// by its own entry point, so a collection's connection never has it; glibc's malloc_trim on
// Linux, where freed memory is then really returned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { loadReleaseMemory, loadUnicase } from '../../src/server/collection/unicase.ts';
import { releaseFreedCMemory } from '../../src/server/util/release-c-heap.ts';

test('a connection with the unicase collation has no hearth_release_memory(); its own entry point adds it', () => {
  const collection = new Database(':memory:');
  loadUnicase(collection);
  assert.throws(() => collection.prepare('select hearth_release_memory()').get(), /no such function/);
  collection.close();
  const db = new Database(':memory:');
  loadReleaseMemory(db);
  assert.ok([0, 1].includes(db.prepare('select hearth_release_memory()').pluck().get() as number));
  db.close();
});

test('on Linux, memory freed by C code is given back to the system', { skip: process.platform !== 'linux' }, () => {
  const rssKiB = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
  // SQLite's page cache fills the C heap (malloc), then lets go of it: the freed pages stay in
  // the process until they are trimmed.
  const db = new Database(':memory:');
  db.pragma('cache_size = -200000');
  db.exec('create table t(x blob)');
  const insert = db.prepare('insert into t values (randomblob(4000))');
  db.transaction(() => {
    for (let i = 0; i < 20_000; i++) insert.run();
  })();
  // A small allocation made last, which a plain free() of what lies below it cannot pass.
  const keep = new Database(':memory:');
  db.close();
  const before = rssKiB();
  releaseFreedCMemory();
  const after = rssKiB();
  keep.close();
  assert.ok(before - after > 10_000, `RSS went from ${before} to ${after} KiB`);
});
