// How the app starts its server process (src/main/fork.ts utilityProcessFork): with the V8 flags
// that keep its young generation small, in the one form Electron's utility process applies
// before its heap is made (docs/lab-notes/2026-12-07-electron-v8-flags.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { UtilityProcess } from 'electron';
import { utilityProcessFork } from '../../src/main/fork.ts';
import type { UtilityProcessModule } from '../../src/main/fork.ts';

test('the server process is forked with --js-flags=--max-semi-space-size=1 in execArgv', () => {
  const calls: Parameters<UtilityProcessModule['fork']>[] = [];
  const fake: UtilityProcessModule = {
    fork(...args) {
      calls.push(args);
      return Object.assign(new EventEmitter(), {
        pid: 1,
        stdout: new PassThrough(),
        stderr: new PassThrough(),
      }) as unknown as UtilityProcess;
    },
  };
  utilityProcessFork(fake, '/app/dist/server/utility-entry.js', () => {})();
  assert.equal(calls.length, 1);
  const [entry, , options] = calls[0]!;
  assert.equal(entry, '/app/dist/server/utility-entry.js');
  assert.deepEqual(options?.execArgv, ['--js-flags=--max-semi-space-size=1']);
});
