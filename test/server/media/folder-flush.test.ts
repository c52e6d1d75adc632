// The background flush of a media folder's new names (src/server/media/folder-flush.ts): never
// fails the caller, coalesces, and leaves nothing running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../src/server/logger.ts';
import { flushFolderSoon, foldersBeingFlushed } from '../../../src/server/media/folder-flush.ts';

function capturingLogger() {
  const lines: string[] = [];
  return { lines, logger: createLogger((line) => lines.push(line), 'debug') };
}

test('calls made while a flush runs share it, and nothing is left running afterwards', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-flush-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { lines, logger } = capturingLogger();
  writeFileSync(join(dir, 'a.jpg'), 'a');
  const first = flushFolderSoon(dir, logger);
  writeFileSync(join(dir, 'b.jpg'), 'b');
  const second = flushFolderSoon(dir, logger);
  const third = flushFolderSoon(dir, logger);
  assert.equal(second, first, 'a call during a flush joins it');
  assert.equal(third, first);
  assert.equal(foldersBeingFlushed(), 1);
  await first;
  assert.equal(foldersBeingFlushed(), 0);
  assert.deepEqual(lines, [], 'no failure logged');
});

test('a folder that cannot be flushed is logged at debug and does not fail the caller', async () => {
  const { lines, logger } = capturingLogger();
  await flushFolderSoon(join(tmpdir(), 'hearth-no-such-folder-' + process.pid), logger);
  assert.equal(foldersBeingFlushed(), 0);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /DEBUG .*media folder flush failed why=ENOENT/);
});
