/**
 * The benchmarks' data disk (bench/lib/data-disk.ts): a fresh journaled ext4 when the machine
 * allows it (Linux, root, a loop device), the temp folder otherwise; released without a trace.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { prepareDataDisk } from '../../bench/lib/data-disk.ts';

const mounts = (): string => readFileSync('/proc/mounts', 'utf8');

test('the data disk holds files, says what it is, and leaves nothing mounted or on disk when released', () => {
  const lines: string[] = [];
  const disk = prepareDataDisk((l) => lines.push(l));
  try {
    assert.equal(lines.length, 1, 'one log line says where the data folders are');
    const file = path.join(disk.root, 'probe.txt');
    writeFileSync(file, 'hello');
    assert.equal(readFileSync(file, 'utf8'), 'hello');
    if (disk.root === tmpdir()) {
      // Not root, or no loop device: the fallback says why.
      assert.match(disk.description, /^the system temp folder \(.+\)$/);
    } else {
      assert.match(disk.description, /journaled ext4/);
      const entry = mounts()
        .split('\n')
        .find((l) => l.split(' ')[1] === disk.root);
      assert.ok(entry, `${disk.root} is a mount point`);
      assert.equal(entry.split(' ')[2], 'ext4');
      // A journaled ext4 registers a jbd2 journal for its device.
      const device = path.basename(entry.split(' ')[0]!);
      assert.ok(existsSync(`/proc/fs/jbd2/${device}-8`), `ext4 on ${device} has a journal`);
    }
  } finally {
    disk.release();
  }
  if (disk.root !== tmpdir()) {
    assert.ok(!mounts().includes(disk.root), 'unmounted');
    assert.ok(!existsSync(path.dirname(disk.root)), 'image and mount point removed');
  }
});

test('preparing a disk removes what a killed run left behind (its image and folder), as root on Linux', (t) => {
  const leftover = mkdtempSync(path.join(tmpdir(), 'hearth-bench-disk-'));
  writeFileSync(path.join(leftover, 'disk.img'), 'old image');
  const disk = prepareDataDisk(() => {});
  t.after(() => disk.release());
  if (disk.root === tmpdir()) {
    // Not root or not Linux: no disk is made, and nothing of another user's runs is touched.
    assert.ok(existsSync(leftover), 'left alone without a disk of its own');
    rmSync(leftover, { recursive: true, force: true });
    return;
  }
  assert.ok(!existsSync(leftover), 'the leftover folder is gone');
  assert.ok(existsSync(disk.root), "the new run's own disk is there");
});

test('a disk another benchmark is still using is left alone', (t) => {
  const first = prepareDataDisk(() => {});
  t.after(() => first.release());
  if (first.root === tmpdir()) {
    assert.match(first.description, /^the system temp folder/);
    return;
  }
  // The first disk's owner (this process) is alive, so it is not a leftover; a second disk made by
  // another process must not remove it. Simulated by pretending the first one belongs to our parent.
  writeFileSync(path.join(path.dirname(first.root), 'owner.pid'), String(process.ppid));
  const second = prepareDataDisk(() => {});
  t.after(() => second.release());
  writeFileSync(path.join(first.root, 'still-here'), 'x');
  assert.ok(existsSync(path.join(first.root, 'still-here')), 'the first disk is still mounted and usable');
  assert.notEqual(second.root, first.root);
});
