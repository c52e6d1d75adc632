// The media-sync interop suite against Hearth's own server (started headless from src/headless/cli.ts).
// Run: source scripts/node-env.sh && node --test test/interop/media-sync.hearth.test.ts
import { mediaSyncSuite } from './media-sync-suite.ts';

mediaSyncSuite('hearth');
