// The media-sync interop suite against Hearth's headless server run by Windows Node under Wine, on a
// data folder whose path has a space and non-ASCII letters (the Windows lane: scripts/setup-wine.sh,
// which scripts/test.sh runs; where the lane cannot be set up outside CI, it is skipped and says so).
import { test } from 'node:test';
import { mediaSyncSuite } from '../interop/media-sync-suite.ts';
import { windowsLane } from '../interop/servers.ts';

if (windowsLane || process.env['CI']) mediaSyncSuite('hearth-windows');
else test.skip('the Windows lane is not set up here (bash scripts/setup-wine.sh)');
