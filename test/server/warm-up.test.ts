// The warm-up (src/server/sync/warm-up.ts) runs the real normal-sync codecs on a stock
// collection in memory. In the server a failure is only logged (syncs still work), so this test
// is where a codec change that breaks it shows up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { warmUpSyncCodecs } from '../../src/server/sync/warm-up.ts';

test('the warm-up converts a stock collection through the legacy codecs and the row checks without an error', async () => {
  await assert.doesNotReject(warmUpSyncCodecs({ nowMs: () => 1_763_700_000_000 }, 2));
});
