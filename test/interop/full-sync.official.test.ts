// The full-sync interop suite against Anki's own sync server (the reference).
// Run: source scripts/node-env.sh && node --test test/interop/full-sync.official.test.ts
import { fullSyncSuite } from './full-sync-suite.ts';

fullSyncSuite('official');
