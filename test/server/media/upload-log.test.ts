// What an upload leaves in the server log: one line per request, with the upload's outcome on it
// (src/server/media/upload-changes.ts adds it to MethodContext.logFields).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../../src/server/logger.ts';
import { startTestServer } from '../../helpers/test-server.ts';
import { MediaClient } from './support.ts';

test("an upload's outcome is on its request's one log line, and the password and host key are not", async (t) => {
  const lines: string[] = [];
  const server = await startTestServer({ users: ['log:secret-pass'], logger: createLogger((l) => lines.push(l)) });
  t.after(() => server.stop());
  const hkey = server.hkey('log:secret-pass');
  const c = new MediaClient(server.endpoint, hkey);
  await c.usn();
  lines.length = 0;

  assert.deepEqual(
    await c.upload([
      ['a.jpg', 'one'],
      ['b.jpg', 'two'],
    ]),
    [2, 2],
  );
  assert.deepEqual(
    await c.upload([
      ['a.jpg', 'one'],
      ['b.jpg', null],
      ['c.jpg', 'three'],
    ]),
    [3, 4],
  );

  const uploads = lines.filter((l) => l.includes('/msync/uploadChanges'));
  assert.equal(uploads.length, 2, `one line per request:\n${lines.join('\n')}`);
  assert.match(uploads[0]!, /\bok\b.*user=log .*added=2 replaced=0 removed=0 unchanged=0 usn=2 status=200/);
  assert.match(uploads[1]!, /added=1 replaced=0 removed=1 unchanged=1 usn=4 status=200/);
  assert.equal(lines.length, 2, `no other lines:\n${lines.join('\n')}`);
  for (const l of lines) {
    assert.ok(!l.includes('secret-pass') && !l.includes(hkey), 'no password or host key in the log');
  }
});
