// Log file with size-based rotation (src/main/log-file.ts), in a temp folder.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createLogFile, needsRotation, pipeLines, rotationPlan } from '../../src/main/log-file.ts';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('log rotation decisions', () => {
  it('rotates only a non-empty file that the write would take past the limit', () => {
    assert.equal(needsRotation(0, 500, 100), false, 'one long line still goes into an empty file');
    assert.equal(needsRotation(90, 10, 100), false);
    assert.equal(needsRotation(91, 10, 100), true);
  });

  it('plans: delete the oldest, shift the others up by one', () => {
    assert.deepEqual(rotationPlan('/logs/hearth.log', 3), {
      remove: '/logs/hearth.log.3',
      renames: [
        ['/logs/hearth.log.2', '/logs/hearth.log.3'],
        ['/logs/hearth.log.1', '/logs/hearth.log.2'],
        ['/logs/hearth.log', '/logs/hearth.log.1'],
      ],
    });
  });
});

describe('log file', () => {
  it('creates its folder, appends lines, and rotates by size keeping `keep` old files', (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'logs', 'hearth.log');
    const log = createLogFile({ path, maxBytes: 100, keep: 2 });
    for (let i = 0; i < 20; i++) log.writeLine(`line ${String(i).padStart(2, '0')} ${'x'.repeat(20)}`); // 29 bytes each
    const files = readdirSync(join(dir, 'logs')).sort();
    assert.deepEqual(files, ['hearth.log', 'hearth.log.1', 'hearth.log.2']);
    for (const f of files) assert.ok(statSync(join(dir, 'logs', f)).size <= 100, f);
    const current = readFileSync(path, 'utf8').trim().split('\n');
    assert.equal(current.at(-1), `line 19 ${'x'.repeat(20)}`);
    const older = readFileSync(`${path}.1`, 'utf8').trim().split('\n');
    assert.equal(Number(older.at(-1)!.slice(5, 7)) + 1, Number(current[0]!.slice(5, 7)), 'no line lost at a rotation');
  });

  it('continues an existing file and counts its size', (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'hearth.log');
    writeFileSync(path, 'a'.repeat(95) + '\n');
    const log = createLogFile({ path, maxBytes: 100, keep: 1 });
    log.writeLine('next');
    assert.equal(readFileSync(`${path}.1`, 'utf8').length, 96);
    assert.equal(readFileSync(path, 'utf8'), 'next\n');
  });

  it('never throws when the log cannot be written, and says so once', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'file'), '');
    const errors: unknown[] = [];
    const log = createLogFile({ path: join(dir, 'file', 'hearth.log'), onError: (e) => errors.push(e) });
    log.writeLine('a');
    log.writeLine('b');
    assert.equal(errors.length, 1);
  });

  it('splits a stream into lines', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    pipeLines(stream, (l) => lines.push(l));
    stream.write('one\ntw');
    stream.write('o\r\nthree');
    stream.end('\n');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(lines, ['one', 'two', 'three']);
  });
});
