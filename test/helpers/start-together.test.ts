import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTogether } from './start-together.ts';

test('startTogether gives every started thing back in order when all start', async () => {
  const a = { stop: async () => {} };
  const b = { close: async () => {} };
  const [x, y] = await startTogether(Promise.resolve(a), Promise.resolve(b));
  assert.equal(x, a);
  assert.equal(y, b);
});

test('startTogether stops (or closes) what started when another fails, then throws that failure', async () => {
  const stopped: string[] = [];
  const server = { stop: async () => void stopped.push('server') };
  const browser = { close: async () => void stopped.push('browser') };
  const failing = new Promise<{ stop(): Promise<void> }>((_, reject) => setTimeout(() => reject(new Error('driver failed')), 10));
  await assert.rejects(startTogether(Promise.resolve(server), failing, Promise.resolve(browser)), /driver failed/);
  assert.deepEqual(stopped.sort(), ['browser', 'server']);
});
