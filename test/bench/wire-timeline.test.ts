/** The wire timeline of the normal-sync benchmark (bench/lib/wire-timeline.ts), from tcpdump's text. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseWireTimeline } from '../../bench/lib/wire-timeline.ts';

// Two exchanges on one connection to port 8080, as `tcpdump -i lo -l -n -q -tt` prints them:
// request 1 in two segments, its response, ACKs, request 2, its response in two segments.
const CAPTURE = `
1000.000000 IP 127.0.0.1.50000 > 127.0.0.1.8080: tcp 200
1000.000500 IP 127.0.0.1.50000 > 127.0.0.1.8080: tcp 76
1000.000600 IP 127.0.0.1.8080 > 127.0.0.1.50000: tcp 0
1000.002500 IP 127.0.0.1.8080 > 127.0.0.1.50000: tcp 3300
1000.002600 IP 127.0.0.1.50000 > 127.0.0.1.8080: tcp 0
1000.007500 IP 127.0.0.1.50000 > 127.0.0.1.8080: tcp 276
1000.008500 IP 127.0.0.1.8080 > 127.0.0.1.50000: tcp 2000
1000.009000 IP 127.0.0.1.8080 > 127.0.0.1.50000: tcp 1300
1000.009100 IP 127.0.0.1.9999 > 127.0.0.1.50001: tcp 500
reading from file -, link-type EN10MB
`;

test('the wire timeline splits exchanges into server time and client time between requests, ignoring ACKs and other ports', () => {
  const t = parseWireTimeline(CAPTURE, 8080);
  assert.equal(t.exchanges, 2);
  // Server: 1000.000500 → 1000.002500 and 1000.007500 → 1000.008500.
  assert.ok(Math.abs(t.serverMs - 3.0) < 1e-6, `server ${t.serverMs}`);
  // Client: 1000.002500 → 1000.007500 (after the last response nothing follows).
  assert.ok(Math.abs(t.clientMs - 5.0) < 1e-6, `client ${t.clientMs}`);
});

test('a capture without exchanges gives zeros', () => {
  assert.deepEqual(parseWireTimeline('', 8080), { exchanges: 0, serverMs: 0, clientMs: 0 });
});
