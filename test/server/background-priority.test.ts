// The server process runs below normal priority (src/server/util/background-priority.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { constants } from 'node:os';
import { runInBackgroundPriority } from '../../src/server/util/background-priority.ts';
import { startServer } from '../interop/servers.ts';

const BELOW = constants.priority.PRIORITY_BELOW_NORMAL;

test('on Linux every thread is lowered, and one that ended meanwhile does not stop the rest', () => {
  const calls: [number, number][] = [];
  const ok = runInBackgroundPriority({
    platform: 'linux',
    threadIds: () => [100, 101, 102],
    setPriority: (id, p) => {
      if (id === 101) throw Object.assign(new Error('no such thread'), { code: 'ESRCH' });
      calls.push([id, p]);
    },
  });
  assert.equal(ok, true);
  assert.deepEqual(calls, [
    [0, BELOW],
    [100, BELOW],
    [102, BELOW],
  ]);
});

test('on Windows and macOS the whole process is lowered at once; a refusal leaves it at normal priority', () => {
  for (const platform of ['win32', 'darwin'] as const) {
    const calls: number[] = [];
    const ok = runInBackgroundPriority({ platform, threadIds: () => [1, 2], setPriority: (id) => calls.push(id) });
    assert.equal(ok, true);
    assert.deepEqual(calls, [0], platform);
  }
  const refused = runInBackgroundPriority({
    platform: 'linux',
    threadIds: () => [1],
    setPriority: () => {
      throw Object.assign(new Error('not allowed'), { code: 'EACCES' });
    },
  });
  assert.equal(refused, false);
});

test('the headless server process runs every thread below normal priority (Linux, where CI runs)', async () => {
  const server = await startServer('hearth', { users: ['u:p'] });
  try {
    const nice = (tid: string): number => {
      const stat = readFileSync(`/proc/${server.pid}/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    };
    const tids = readdirSync(`/proc/${server.pid}/task`);
    assert.ok(tids.length > 1, 'the server has several threads');
    for (const tid of tids) assert.equal(nice(tid), BELOW, `thread ${tid}`);
  } finally {
    await server.stop();
  }
});
