// The Anki app behind a sync, from the anki-sync header's `c` (src/shared/client-names.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clientDisplayName } from '../../src/shared/client-names.ts';

describe('client names', () => {
  it('names Anki on a computer with its version and system', () => {
    assert.equal(clientDisplayName('25.09.2,3890e12,linux'), 'Anki 25.09.2 (Linux)');
    assert.equal(clientDisplayName('25.09,abc1234,windows'), 'Anki 25.09 (Windows)');
    assert.equal(clientDisplayName('24.11,abc1234,macos'), 'Anki 24.11 (Mac)');
    assert.equal(clientDisplayName('2.1.66,abc1234,linux'), 'Anki 2.1.66 (Linux)');
    assert.equal(clientDisplayName('25.02b3,dev,linux'), 'Anki 25.02b3 (Linux)');
  });

  it('recognises AnkiDroid by its Anki core (AnkiDroid sends the core version, "dev" and "android")', () => {
    assert.equal(clientDisplayName('25.09.2,dev,android'), 'AnkiDroid 2.23 or 2.24');
    assert.equal(clientDisplayName('24.11,dev,android'), 'AnkiDroid 2.20');
    assert.equal(clientDisplayName('25.07.5,dev,android'), 'AnkiDroid 2.22');
    assert.equal(clientDisplayName('2.1.61,dev,android'), 'AnkiDroid 2.16');
    assert.equal(clientDisplayName('26.01,dev,android'), 'AnkiDroid (Anki 26.01)', 'a core not in the table yet');
  });

  it('recognises AnkiMobile', () => {
    assert.equal(clientDisplayName('25.09,abc,ios'), 'AnkiMobile (Anki 25.09)');
  });

  it('shows anything else as sent, shortened and without control characters', () => {
    assert.equal(clientDisplayName(''), null);
    assert.equal(clientDisplayName('   '), null);
    assert.equal(clientDisplayName('my-client 1.0'), 'my-client 1.0');
    assert.equal(clientDisplayName('x\u0000y\n'.repeat(40))?.length, 60);
    assert.equal(clientDisplayName('25.09,abc,plan9'), 'Anki 25.09');
  });
});
