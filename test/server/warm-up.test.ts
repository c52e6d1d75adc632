// The warm-up (src/server/sync/warm-up.ts) runs the real normal-sync codecs on a stock collection
// in memory. In the server a failure is only logged (syncs still work), so this test is where a
// codec change that breaks it shows up. It gives way to requests: a busy server stops it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { warmUpSyncCodecs } from '../../src/server/sync/warm-up.ts';

const clock = { nowMs: () => 1_763_700_000_000 };

test('the warm-up converts a stock collection through the legacy codecs and the row checks without an error', async () => {
  assert.equal(await warmUpSyncCodecs(clock, { rounds: 2 }), true);
});

test('the warm-up stops when a request is being answered, and says it did not finish', async () => {
  let rounds = 0;
  const busy = (): boolean => ++rounds > 1;
  assert.equal(await warmUpSyncCodecs(clock, { rounds: 20, busy }), false);
  assert.equal(rounds, 2, 'it stopped at the first round the server was busy');
});
