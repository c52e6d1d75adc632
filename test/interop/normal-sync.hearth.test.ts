// The normal-sync interop suite against Hearth's own server (started headless from src/headless/cli.ts).
// Run: source scripts/node-env.sh && node --test test/interop/normal-sync.hearth.test.ts
import { normalSyncSuite } from './normal-sync-suite.ts';

normalSyncSuite('hearth');
