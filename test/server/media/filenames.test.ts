// Filename rules (docs/protocol/media-sync.md §6, src/server/media/filenames.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import {
  canBeFileHere,
  caseFoldKey,
  deletionFilenameProblem,
  mediaFilePath,
  pathSafetyProblem,
  uploadFilenameProblem,
} from '../../../src/server/media/filenames.ts';

test('names current clients produce are accepted', () => {
  for (const name of ['a.jpg', '猫.jpg', 'café.gif', 'emoji 🦊.txt', 'a [1] (2).png', '.hidden', 'x'.repeat(255), 'é'.repeat(127)]) {
    assert.equal(uploadFilenameProblem(name), undefined, name);
  }
});

test('names that could leave the folder, or be another file on some host, are refused with a reason', () => {
  const refused: Record<string, RegExp> = {
    '': /empty/,
    '.': /folder/,
    '..': /folder/,
    '../x': /separator/,
    'a/b': /separator/,
    'a\\b': /separator/,
    'a\0b': /NUL/,
    'a\ud800': /Unicode/,
    ['x'.repeat(256)]: /255 bytes/,
    ['é'.repeat(128)]: /255 bytes/,
    'cafe\u0301': /NFC/,
    'tab\there': /control/,
    'a:b': /Windows/,
    'what?.jpg': /Windows/,
    CON: /device/,
    'lpt1.txt': /device/,
    'dot.': /space or dot/,
    'space ': /space or dot/,
  };
  for (const [name, reason] of Object.entries(refused)) {
    assert.match(uploadFilenameProblem(name) ?? 'accepted', reason, JSON.stringify(name));
  }
  // Device names only count on their own or before an extension.
  assert.equal(uploadFilenameProblem('console.mp3'), undefined);
});

test('paths are built only for names that stay directly in the media folder', () => {
  const dir = resolve('/srv/hearth/user/media');
  assert.equal(mediaFilePath(dir, '猫.jpg'), join(dir, '猫.jpg'));
  for (const name of ['../media.db', '..', '.', 'a/b', 'a\\b', '', 'a\0']) {
    assert.throws(() => mediaFilePath(dir, name), /media filename/, JSON.stringify(name));
  }
  assert.equal(pathSafetyProblem('a:b'), undefined, 'download lookups only need path safety');
});

test('case folding matches names a case-insensitive disk treats as one file', () => {
  assert.equal(caseFoldKey('Photo.JPG'), caseFoldKey('photo.jpg'));
  assert.equal(caseFoldKey('ÄRGER.png'), caseFoldKey('ärger.png'));
  assert.equal(caseFoldKey('ΟΔΟΣ'), caseFoldKey('οδοσ'));
  assert.notEqual(caseFoldKey('straße'), caseFoldKey('strasse'));
});

test('a deletion needs only the reference’s checks; on Windows a name it cannot store is never a file', () => {
  for (const name of ['CON.mp3', 'aux', 'a.', 'b ', 'what?.jpg', 'a:b']) {
    assert.equal(deletionFilenameProblem(name), undefined, name);
    assert.equal(canBeFileHere(name, 'linux'), true, name);
    assert.equal(canBeFileHere(name, 'win32'), false, name);
  }
  for (const name of ['../x', 'a/b', '', 'cafe\u0301', 'x'.repeat(256)]) assert.notEqual(deletionFilenameProblem(name), undefined, name);
  assert.equal(canBeFileHere('photo.jpg', 'win32'), true);
});
