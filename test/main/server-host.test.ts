// The supervisor (src/main/server-host.ts) with a fake server process and a fake clock.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  createServerHost,
  backoffDelay,
  CREDENTIALS_TIMEOUT_MS,
  EXIT_TIMEOUT_MS,
  READY_TIMEOUT_MS,
  RESTART_BACKOFF,
  STABLE_RUN_MS,
} from '../../src/main/server-host.ts';
import { IDLE_WAIT_TIMEOUT_MS } from '../../src/host/server-runner.ts';
import type { ServerStartConfig } from '../../src/shared/server-process.ts';
import type { ServerState } from '../../src/shared/server-state.ts';
import { silentLogger } from '../../src/server/logger.ts';
import { fakeTimers, settle } from '../helpers/fake-timers.ts';
import { fakeFork } from '../helpers/fake-server-child.ts';
import type { FakeBehaviour } from '../helpers/fake-server-child.ts';

const CONFIG: ServerStartConfig = { storageFolder: '/data', createFolder: true, host: '0.0.0.0', port: 8080, maxPayloadMegs: 100 };

const crashesWhileStarting: FakeBehaviour = { onStart: (c) => c.exit(1) };
const syncing = (username = 'alice') => ({ syncing: true, activeRequests: 1, users: [{ username, lastSyncAt: 1 }] });

function setup(behaviours: FakeBehaviour[] | FakeBehaviour = {}) {
  const timers = fakeTimers();
  const { fork, children } = fakeFork(behaviours);
  const host = createServerHost({ fork, logger: silentLogger, timers });
  const states: ServerState['kind'][] = [];
  host.onChange((s) => states.push(s.kind));
  return { host, timers, children, states };
}

describe('server host', () => {
  it('starts the process, sends the config, and is running once the process says ready', async () => {
    const { host, children, states } = setup();
    const state = await host.start(CONFIG);
    assert.equal(state.kind, 'running');
    assert.deepEqual(state.kind === 'running' && { host: state.host, port: state.port }, { host: '127.0.0.1', port: 8080 });
    assert.equal(children.length, 1);
    assert.deepEqual(children[0]!.sent, [{ type: 'start', config: CONFIG }]);
    assert.deepEqual(states, ['starting', 'running']);
  });

  it('tells the server process of signed-out devices and waits for it to confirm, at most CREDENTIALS_TIMEOUT_MS', async () => {
    const { host, timers, children } = setup([{}, { onCheckCredentials: () => {} }]);
    await host.credentialsChanged(); // nothing runs: nothing to tell
    assert.equal(children.length, 0);
    await host.start(CONFIG);
    await host.credentialsChanged();
    assert.deepEqual(children[0]!.sent.at(-1), { type: 'check-credentials' });
    children[0]!.exit(1);
    await timers.advance(RESTART_BACKOFF.initialMs); // a new process, which never confirms
    assert.equal(host.state().kind, 'running');
    let done = false;
    const told = host.credentialsChanged().then(() => (done = true));
    await settle();
    assert.equal(done, false, 'waits for the confirmation');
    await timers.advance(CREDENTIALS_TIMEOUT_MS);
    await told;
    assert.equal(done, true, 'and gives up waiting after the timeout');
  });

  it('crashes with server-start-timeout when ready does not come within READY_TIMEOUT_MS, and kills the process', async () => {
    const { host, timers, children } = setup([{ onStart: () => {} }, { onStart: () => {} }]);
    const started = host.start(CONFIG);
    await timers.advance(READY_TIMEOUT_MS - 1);
    assert.equal(host.state().kind, 'starting');
    await timers.advance(1);
    const state = await started;
    assert.equal(state.kind, 'crashed');
    assert.equal(state.kind === 'crashed' && state.error.code, 'server-start-timeout');
    assert.equal(children[0]!.killed, true);
    // A timeout is worth retrying: the first retry is due after the initial backoff.
    assert.equal(state.kind === 'crashed' && state.retryAt! - timers.now(), RESTART_BACKOFF.initialMs);
  });

  it('restarts a crashed server with exponential backoff (1 s, 2 s, 4 s) until it runs', async () => {
    const { host, timers, children } = setup([{}, crashesWhileStarting, crashesWhileStarting, {}]);
    await host.start(CONFIG);
    const delays: number[] = [];
    host.onChange((s) => {
      if (s.kind === 'crashed' && s.retryAt !== null) delays.push(s.retryAt - timers.now());
    });
    children[0]!.exit(1); // crash while running
    assert.equal(host.state().kind, 'crashed');
    const s = host.state();
    assert.equal(s.kind === 'crashed' && s.error.code, 'server-crashed');

    await timers.advance(999);
    assert.equal(children.length, 1, 'no restart before the delay');
    await timers.advance(1); // → child 2, crashes while starting
    assert.equal(children.length, 2);
    await timers.advance(2000); // → child 3, crashes
    assert.equal(children.length, 3);
    await timers.advance(4000); // → child 4, runs
    assert.equal(children.length, 4);
    assert.equal(host.state().kind, 'running');
    assert.deepEqual(delays, [1000, 2000, 4000]);
    // Every restart used the last config.
    for (const c of children) assert.deepEqual(c.sent[0], { type: 'start', config: CONFIG });
  });

  it('gives up after RESTART_BACKOFF.maxAttempts restarts that all failed', async () => {
    const { host, timers, children } = setup(crashesWhileStarting);
    await host.start(CONFIG);
    for (let i = 1; i < RESTART_BACKOFF.maxAttempts; i++) await timers.advance(backoffDelay(i));
    await timers.advance(backoffDelay(RESTART_BACKOFF.maxAttempts));
    const s = host.state();
    assert.equal(s.kind, 'crashed');
    assert.equal(s.kind === 'crashed' && s.retryAt, null);
    const count = children.length;
    await timers.advance(10 * RESTART_BACKOFF.maxMs);
    assert.equal(children.length, count, 'no more restarts');
    assert.equal(count, 1 + RESTART_BACKOFF.maxAttempts, 'the first start and maxAttempts restarts');
  });

  it('starts the backoff over after a process that ran for STABLE_RUN_MS', async () => {
    const { host, timers, children } = setup([{}, {}, {}]);
    await host.start(CONFIG);
    children[0]!.exit(1);
    await timers.advance(1000); // child 2 runs
    await timers.advance(STABLE_RUN_MS);
    children[1]!.exit(1);
    const s = host.state();
    assert.equal(s.kind === 'crashed' && s.retryAt! - timers.now(), 1000);
  });

  it('does not retry problems a person must fix (port in use), and reports the code and detail', async () => {
    const { host, timers, children } = setup({
      onStart: (c) => {
        c.emit({ type: 'failed', code: 'port-in-use', detail: 'port 8080 on 0.0.0.0' });
        c.exit(1);
      },
    });
    const state = await host.start(CONFIG);
    assert.deepEqual(state, { kind: 'crashed', error: { code: 'port-in-use', detail: 'port 8080 on 0.0.0.0' }, retryAt: null });
    await timers.advance(10 * RESTART_BACKOFF.maxMs);
    assert.equal(children.length, 1);
  });

  it('ignores the exit of an earlier process: no crash, no restart', async () => {
    // The first process says stopped but hangs instead of exiting, even when killed.
    const { host, timers, children } = setup([{ onStop: (c) => c.emit({ type: 'stopped' }), exitsOnKill: false }, {}]);
    await host.start(CONFIG);
    const stopped = host.stop();
    await timers.advance(EXIT_TIMEOUT_MS); // waits for the exit, kills, waits again
    await timers.advance(EXIT_TIMEOUT_MS);
    await stopped;
    assert.equal(host.state().kind, 'stopped');
    assert.equal(children[0]!.killed, true);

    await host.start(CONFIG);
    assert.equal(host.state().kind, 'running');
    children[0]!.exit(1); // the old process finally goes
    await timers.advance(60_000);
    assert.equal(host.state().kind, 'running');
    assert.equal(children.length, 2);
  });

  it('stop during a sync waits for the process to say stopped (in-flight requests finished)', async () => {
    const { host, timers, children } = setup({ onStop: () => {} }); // answers later, by hand
    await host.start(CONFIG);
    const child = children[0]!;
    child.emit({ type: 'status', activity: syncing() });
    const s = host.state();
    assert.equal(s.kind === 'running' && s.activity.syncing, true);

    let done = false;
    const stopping = host.stop().then(() => {
      done = true;
    });
    await settle();
    assert.deepEqual(child.sent.at(-1), { type: 'stop' });
    const during = host.state();
    assert.equal(during.kind, 'stopping');
    assert.equal(during.kind === 'stopping' && during.activity.syncing, true, 'the stopping state says a sync is finishing');
    await timers.advance(60_000); // a long upload
    assert.equal(done, false, 'stop() must not resolve before the server stopped');
    assert.equal(child.killed, false);

    child.emit({ type: 'stopped' });
    child.exit(0);
    await stopping;
    assert.equal(host.state().kind, 'stopped');
    assert.equal(child.killed, false);
  });

  it('restart() waits until nobody is syncing, then stops gracefully and starts with the new config', async () => {
    const { host, timers, children } = setup();
    await host.start(CONFIG);
    children[0]!.emit({ type: 'status', activity: syncing() });
    const next = { ...CONFIG, port: 9090 };
    const restarted = host.restart(next);
    await timers.advance(30_000);
    assert.equal(
      children[0]!.sent.some((m) => m.type === 'stop'),
      false,
      'no stop while syncing',
    );
    children[0]!.emit({ type: 'status', activity: { syncing: false, activeRequests: 0, users: [] } });
    const state = await restarted;
    assert.equal(state.kind, 'running');
    assert.deepEqual(children[0]!.sent.at(-1), { type: 'stop' });
    assert.deepEqual(children[1]!.sent[0], { type: 'start', config: next });
  });

  it('restart() goes ahead after IDLE_WAIT_TIMEOUT_MS even if a sync never ends', async () => {
    const { host, timers, children } = setup();
    await host.start(CONFIG);
    children[0]!.emit({ type: 'status', activity: syncing() });
    const restarted = host.restart(CONFIG);
    await timers.advance(IDLE_WAIT_TIMEOUT_MS);
    assert.equal((await restarted).kind, 'running');
    assert.equal(children.length, 2);
  });

  it('stop() while a restart is pending cancels it', async () => {
    const { host, timers, children } = setup();
    await host.start(CONFIG);
    children[0]!.exit(1);
    assert.equal(host.state().kind, 'crashed');
    await host.stop();
    assert.equal(host.state().kind, 'stopped');
    await timers.advance(10 * RESTART_BACKOFF.maxMs);
    assert.equal(children.length, 1);
  });

  it('ignores messages that are not part of the protocol', async () => {
    const { host, children } = setup();
    await host.start(CONFIG);
    children[0]!.emit({ type: 'status', activity: { syncing: 'yes' } });
    children[0]!.emit({ type: 'hello' });
    const s = host.state();
    assert.equal(s.kind, 'running');
    assert.equal(s.kind === 'running' && s.activity.syncing, false);
  });

  it('a process that cannot even be created is an internal problem, retried with backoff', async () => {
    const timers = fakeTimers();
    let attempts = 0;
    const host = createServerHost({
      fork: () => {
        attempts++;
        throw new Error('ENOENT: utility-entry.js');
      },
      logger: silentLogger,
      timers,
    });
    const state = await host.start(CONFIG);
    assert.equal(state.kind, 'crashed');
    assert.equal(state.kind === 'crashed' && state.error.code, 'internal');
    assert.match(state.kind === 'crashed' ? (state.error.detail ?? '') : '', /ENOENT/);
    await timers.advance(1000);
    assert.equal(attempts, 2);
  });

  it('backoffDelay doubles from the initial delay and is capped', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n)),
      [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000],
    );
  });
});
