// The full-sync interop suite against Hearth's own server (started headless from src/headless/cli.ts).
// Run: source scripts/node-env.sh && node --test test/interop/full-sync.hearth.test.ts
import { fullSyncSuite } from './full-sync-suite.ts';

fullSyncSuite('hearth');
