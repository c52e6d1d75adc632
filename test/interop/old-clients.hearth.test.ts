// The full, normal and media interop suites with the old clients 2.1.50 and 2.1.56 (sync protocol
// 10, from .venv-2.1.50 and .venv-2.1.56) against Hearth's own server (started headless from
// src/headless/cli.ts), which must serve them as the official server does
// (old-clients.official.test.ts); and one account shared by a current and an old client.
// Run: source scripts/node-env.sh && node --test test/interop/old-clients.hearth.test.ts
import { OLD_CLIENT_VERSIONS } from './anki-client.ts';
import { fullSyncSuite } from './full-sync-suite.ts';
import { mediaSyncSuite } from './media-sync-suite.ts';
import { mixedClientsSuite } from './mixed-clients-suite.ts';
import { normalSyncSuite } from './normal-sync-suite.ts';

for (const client of OLD_CLIENT_VERSIONS) {
  fullSyncSuite('hearth', { client });
  normalSyncSuite('hearth', { client });
  mediaSyncSuite('hearth', { client });
}

mixedClientsSuite('hearth', '2.1.50');
