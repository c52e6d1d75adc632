// The media-sync interop suite against Anki's own sync server (the reference).
// Run: source scripts/node-env.sh && node --test test/interop/media-sync.official.test.ts
import { mediaSyncSuite } from './media-sync-suite.ts';

mediaSyncSuite('official');
