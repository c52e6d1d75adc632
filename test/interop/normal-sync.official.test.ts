// The normal-sync interop suite against Anki's own sync server (the reference, and the judge).
// Run: source scripts/node-env.sh && node --test test/interop/normal-sync.official.test.ts
import { normalSyncSuite } from './normal-sync-suite.ts';

normalSyncSuite('official');
