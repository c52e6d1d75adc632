// "Can the server listen on this port?" (src/host/port-check.ts), with real sockets.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { checkPort, tryBind } from '../../src/host/port-check.ts';

function listen(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}
const portOf = (s: Server): number => (s.address() as AddressInfo).port;
const close = (s: Server): Promise<void> => new Promise((r) => s.close(() => r()));

describe('port check', () => {
  const deps = { host: () => '127.0.0.1', ownPort: () => null };

  it('refuses ports out of range with the settings sentence', async () => {
    for (const port of [0, 80, 1023, 65536, 8080.5, -1]) {
      const r = await checkPort(port, deps);
      assert.equal(r.ok, false, String(port));
      assert.match(r.ok ? '' : r.problem, /whole number from 1024 to 65535/);
    }
  });

  it('accepts a free port (a real bind that is closed again)', async () => {
    const probe = await listen();
    const port = portOf(probe);
    await close(probe);
    assert.deepEqual(await checkPort(port, deps), { ok: true });
    assert.equal(await tryBind('127.0.0.1', port), 'free', 'the test bind did not keep the port');
  });

  it('names a port another program holds, and suggests a free one', async (t) => {
    const other = await listen();
    t.after(() => close(other));
    const port = portOf(other);
    if (port < 1024 || port > 65500) return t.skip('the system picked a port outside the settings range');
    const r = await checkPort(port, deps);
    assert.equal(r.ok, false);
    const problem = r.ok ? '' : r.problem;
    assert.match(
      problem,
      new RegExp(`^Port ${port} is already used by another program on this computer\\. Choose another, for example \\d+\\.$`),
    );
    const suggested = Number(/example (\d+)\./.exec(problem)![1]);
    assert.notEqual(suggested, port);
    assert.equal(await tryBind('127.0.0.1', suggested), 'free');
  });

  it('counts the running server’s own port as available', async (t) => {
    const ours = await listen();
    t.after(() => close(ours));
    const port = portOf(ours);
    if (port < 1024) return t.skip('port below 1024');
    assert.deepEqual(await checkPort(port, { host: () => '127.0.0.1', ownPort: () => port }), { ok: true });
  });

  it('tests the address the server listens on', async () => {
    const seen: string[] = [];
    await checkPort(8123, { host: () => '0.0.0.0', ownPort: () => null, bind: async (host) => (seen.push(host), 'free') });
    assert.deepEqual(seen, ['0.0.0.0']);
  });

  it('says a port the host uses itself (the admin page’s) is that, not another program’s, and suggests past it', async () => {
    const bound: number[] = [];
    const r = await checkPort(8081, {
      host: () => '0.0.0.0',
      ownPort: () => 8080,
      otherOwnPorts: () => [{ port: 8081, use: 'the admin page’s own port (the page you are using now)' }],
      bind: async (_host, port) => (bound.push(port), 'free'),
    });
    assert.equal(
      r.ok ? '' : r.problem,
      'Port 8081 is the admin page’s own port (the page you are using now), so the sync server cannot use it too. Choose another, for example 8082.',
    );
    assert.deepEqual(bound, [8082], 'no bind on the admin page’s port itself');
    const next = await checkPort(8082, {
      host: () => '0.0.0.0',
      ownPort: () => null,
      otherOwnPorts: () => [{ port: 8083, use: 'x' }],
      bind: async (_host, port) => (port === 8082 ? 'in-use' : 'free'),
    });
    assert.match(next.ok ? '' : next.problem, /another program.*for example 8084\.$/, 'the suggestion skips the admin page’s port');
  });

  it('explains a port the system does not allow', async () => {
    const r = await checkPort(8123, { host: () => '127.0.0.1', ownPort: () => null, bind: async () => 'not-allowed' });
    assert.match(r.ok ? '' : r.problem, /not allowed to use port 8123/);
  });
});
