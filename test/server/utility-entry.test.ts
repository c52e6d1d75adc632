// The server process entry (src/server/utility-entry.ts), run the way the app runs it: a child
// process that gets `start{config}`, answers `ready`/`failed`, reports `status`, and on `stop`
// finishes requests in flight before `stopped` and exit 0. Here the child is started with
// child_process.fork (the entry's fallback when Electron's process.parentPort is absent), and
// the real Anki client syncs with it. Also run through the supervisor (src/main/server-host.ts).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AnkiClient, AnkiClientError } from '../interop/anki-client.ts';
import { syncHeader, zstdStreamed } from '../helpers/sync-client.ts';
import { openAccountStore } from '../../src/server/accounts/account-store.ts';
import { openDeviceStore } from '../../src/server/accounts/device-store.ts';
import { serverLockPath } from '../../src/server/server-lock.ts';
import { createServerHost } from '../../src/main/server-host.ts';
import { nodeChildFork } from '../../src/main/fork.ts';
import { parseServerToMain } from '../../src/shared/server-process.ts';
import type { ServerStartConfig, ServerToMain } from '../../src/shared/server-process.ts';
import { silentLogger } from '../../src/server/logger.ts';

const ENTRY = fileURLToPath(new URL('../../src/server/utility-entry.ts', import.meta.url));
/** Longest the entry may take to answer `start` (argon2 and SQLite setup included). */
const READY_WAIT_MS = 20_000;
/** Longest to wait for any other message, or for the process to exit. */
const MESSAGE_WAIT_MS = 20_000;
/** A sync counts as finished this long after its last request (SYNC_QUIET_MS in the entry), plus slack. */
const QUIET_WAIT_MS = 15_000;
const TEST_TIMEOUT_MS = 180_000;
/** A stop must not wait for an idle keep-alive connection to time out (Node's agent: 5 s). */
const PROMPT_STOP_MS = 3_000;

const USERNAME = 'alice';
const PASSWORD = 'correct-horse-battery';

type MessageOf<T extends ServerToMain['type']> = Extract<ServerToMain, { type: T }>;

/** One server process, with its messages collected and waitable. */
class Entry {
  readonly child: ChildProcess;
  readonly messages: ServerToMain[] = [];
  output = '';
  readonly exited: Promise<number | null>;
  readonly #waiters = new Set<() => void>();

  constructor() {
    this.child = fork(ENTRY, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => (this.output += chunk));
    }
    this.child.on('message', (raw) => {
      const message = parseServerToMain(raw);
      assert.ok(message, `the entry sent a message outside the protocol: ${JSON.stringify(raw)}`);
      this.messages.push(message);
      for (const w of [...this.#waiters]) w();
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  send(message: unknown): void {
    this.child.send(message as object);
  }

  start(config: ServerStartConfig): void {
    this.send({ type: 'start', config });
  }

  /** The first message (from `from` on) of this type matching `match`, within `ms`. */
  next<T extends ServerToMain['type']>(
    type: T,
    ms: number,
    match: (m: MessageOf<T>) => boolean = () => true,
    from = 0,
  ): Promise<MessageOf<T>> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.messages.slice(from).find((m): m is MessageOf<T> => m.type === type && match(m as MessageOf<T>));
        if (!found) return false;
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve(found);
        return true;
      };
      const waiter = (): void => void check();
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`no ${type} message within ${ms} ms; got ${JSON.stringify(this.messages)}\n--- output ---\n${this.output}`));
      }, ms);
      this.#waiters.add(waiter);
      check();
    });
  }

  async exitCode(ms = MESSAGE_WAIT_MS): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the entry did not exit within ${ms} ms\n${this.output}`)), ms);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

function config(storageFolder: string, overrides: Partial<ServerStartConfig> = {}): ServerStartConfig {
  return { storageFolder, createFolder: false, host: '127.0.0.1', port: 0, maxPayloadMegs: 100, ...overrides };
}

async function expectFailure(cfg: ServerStartConfig, code: string): Promise<string> {
  const entry = new Entry();
  try {
    entry.start(cfg);
    const failed = await entry.next('failed', READY_WAIT_MS);
    assert.equal(failed.code, code, failed.detail);
    assert.equal(await entry.exitCode(), 1);
    return failed.detail;
  } finally {
    entry.kill();
  }
}

/** Holds a port the way another program would. */
function occupyPort(): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

describe('server process entry', { timeout: 10 * TEST_TIMEOUT_MS }, () => {
  let tmp = '';
  let base = '';
  let entry: Entry | undefined;
  let endpoint = '';
  let anki: AnkiClient | undefined;
  let hkey = '';

  before(
    async () => {
      tmp = mkdtempSync(join(tmpdir(), 'hearth-utility-entry-'));
      base = join(tmp, 'data');
      // The app's people are Hearth's own accounts, added before the server starts.
      await openAccountStore(base).add(USERNAME, PASSWORD);
      anki = await AnkiClient.start();
    },
    { timeout: TEST_TIMEOUT_MS },
  );

  after(
    async () => {
      entry?.kill();
      await anki?.stop();
      rmSync(tmp, { recursive: true, force: true });
    },
    { timeout: TEST_TIMEOUT_MS },
  );

  it('answers start with ready on a free port and holds the folder lock', { timeout: TEST_TIMEOUT_MS }, async () => {
    entry = new Entry();
    entry.start(config(base));
    const ready = await entry.next('ready', READY_WAIT_MS);
    assert.equal(ready.host, '127.0.0.1');
    assert.ok(ready.port > 0);
    endpoint = `http://127.0.0.1:${ready.port}/`;
    const health = await fetch(`${endpoint}health`);
    assert.equal(health.status, 200);
    const lock = JSON.parse(readFileSync(serverLockPath(base), 'utf8')) as { pid: number };
    assert.equal(lock.pid, entry.child.pid);
  });

  it('syncs with the real Anki client (login, full upload, then nothing to do)', { timeout: TEST_TIMEOUT_MS }, async () => {
    const device = join(tmp, 'device-a', 'collection.anki2');
    const login = await anki!.login(device, endpoint, USERNAME, PASSWORD);
    hkey = login.hkey;
    const counts = await anki!.populate(device, { notes: 30, decks: ['Words'] });
    assert.equal(counts.notes, 30);
    const first = await anki!.sync(device);
    assert.equal(first.required, 'FULL_UPLOAD');
    await anki!.fullUpload(device);
    const again = await anki!.sync(device);
    assert.equal(again.required, 'NO_CHANGES');

    const other = join(tmp, 'device-b', 'collection.anki2');
    await anki!.login(other, endpoint, USERNAME, PASSWORD);
    assert.equal((await anki!.sync(other)).required, 'FULL_DOWNLOAD');
    await anki!.fullDownload(other);
    assert.equal((await anki!.dump(other)).notes.length, 30);
  });

  it('reported the sync in status messages: syncing, then idle, with the person and time', { timeout: TEST_TIMEOUT_MS }, async () => {
    const busy = await entry!.next('status', MESSAGE_WAIT_MS, (m) => m.activity.syncing);
    assert.ok(busy.activity.activeRequests >= 0);
    const idle = await entry!.next(
      'status',
      QUIET_WAIT_MS,
      (m) => !m.activity.syncing && m.activity.users.some((u) => u.username === USERNAME),
      entry!.messages.indexOf(busy),
    );
    assert.equal(idle.activity.activeRequests, 0);
    const alice = idle.activity.users.find((u) => u.username === USERNAME)!;
    assert.ok(Math.abs(Date.now() - alice.lastSyncAt) < 120_000, 'a recent time');
  });

  it(
    'check-credentials: a device signed out by the app is confirmed with credentials-checked, then refused; the other syncs',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      // The app's main process signs out through its own connection to the device list.
      const devices = openDeviceStore(base, Date.now());
      const listed = devices.list(USERNAME);
      assert.equal(listed.length, 2, 'two devices logged in');
      const second = listed.reduce((a, b) => ((a.signedInAt ?? 0) > (b.signedInAt ?? 0) ? a : b));
      assert.equal(devices.signOut(USERNAME, second.id, Date.now()), true);
      devices.close();
      const from = entry!.messages.length;
      entry!.send({ type: 'check-credentials' });
      await entry!.next('credentials-checked', MESSAGE_WAIT_MS, () => true, from);
      await assert.rejects(
        anki!.sync(join(tmp, 'device-b', 'collection.anki2')),
        (e: unknown) => e instanceof AnkiClientError && e.kind === 'auth',
      );
      assert.equal((await anki!.sync(join(tmp, 'device-a', 'collection.anki2'))).required, 'NO_CHANGES');
    },
  );

  it('a second server on the same folder fails with folder-in-use', { timeout: TEST_TIMEOUT_MS }, async () => {
    const detail = await expectFailure(config(base), 'folder-in-use');
    assert.match(detail, new RegExp(`process ${entry!.child.pid}`));
  });

  it('a port another program holds fails with port-in-use', { timeout: TEST_TIMEOUT_MS }, async () => {
    const holder = await occupyPort();
    try {
      const folder = join(tmp, 'other-folder');
      const port = (holder.address() as AddressInfo).port;
      await expectFailure(config(folder, { port, createFolder: true }), 'port-in-use');
      assert.equal(existsSync(serverLockPath(folder)), false, 'the lock is released after a failed start');
    } finally {
      holder.close();
    }
  });

  it('stop waits for a request in flight, then says stopped, releases the lock and exits 0', { timeout: TEST_TIMEOUT_MS }, async () => {
    const e = entry!;
    try {
      await stopWithRequestInFlight(e);
    } finally {
      e.kill(); // a stop that hung must not hold the folder for the tests after this one
    }
  });

  /** The stop test's body: a slow request in flight and a connection with no request at all. */
  async function stopWithRequestInFlight(e: Entry): Promise<void> {
    // A connection that never sends a request, as Anki's HTTP client leaves in its pool: it must
    // not hold the stop up (it did, in CI, until the server's two-minute idle timeout).
    const { port } = new URL(endpoint);
    const unused = connect(Number(port), '127.0.0.1');
    unused.on('error', () => {});
    unused.resume();
    const unusedClosed = new Promise((resolve) => unused.once('close', resolve));
    await new Promise((resolve) => unused.once('connect', resolve));
    const body = await zstdStreamed(JSON.stringify({ v: 11, cv: '26.9.3,hearth-test,linux' }));
    // A meta request whose body arrives slowly, like an upload over weak Wi-Fi.
    let responseStatus = 0;
    const req = request(new URL('sync/meta', endpoint), {
      method: 'POST',
      headers: { 'anki-sync': JSON.stringify(syncHeader(hkey)), 'content-type': 'application/octet-stream' },
    });
    const answered = new Promise<void>((resolve, reject) => {
      req.on('response', (res) => {
        responseStatus = res.statusCode ?? 0;
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
    });
    req.write(body.subarray(0, 4));
    const from = e.messages.length;
    await e.next('status', MESSAGE_WAIT_MS, (m) => m.activity.activeRequests === 1, from);

    e.send({ type: 'stop' });
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(
      e.messages.some((m) => m.type === 'stopped'),
      false,
      'stopped must wait for the request in flight',
    );
    assert.equal(e.child.exitCode, null);

    const answeredAt = Date.now();
    req.end(body.subarray(4));
    await answered;
    assert.equal(responseStatus, 200, 'the request in flight completed normally');
    await e.next('stopped', MESSAGE_WAIT_MS);
    // The client's keep-alive connection (Node's agent keeps one 5 s, Anki's ~90 s) must not
    // hold the stop up: the answer closes it.
    assert.ok(Date.now() - answeredAt < PROMPT_STOP_MS, `stopped ${Date.now() - answeredAt} ms after the last answer`);
    assert.equal(await e.exitCode(), 0);
    assert.equal(existsSync(serverLockPath(base)), false);
    await assert.rejects(fetch(`${endpoint}health`));
    await unusedClosed; // the server closed it
  }

  it('a missing folder fails with folder-missing unless the config allows creating it', { timeout: TEST_TIMEOUT_MS }, async () => {
    const missing = join(tmp, 'unplugged-drive', 'anki');
    await expectFailure(config(missing), 'folder-missing');
    assert.equal(existsSync(missing), false, 'never created when not allowed');
    const file = join(tmp, 'a-file');
    writeFileSync(file, '');
    await expectFailure(config(file), 'folder-missing');

    const e = new Entry();
    try {
      e.start(config(missing, { createFolder: true }));
      await e.next('ready', READY_WAIT_MS);
      assert.equal(existsSync(missing), true);
      e.send({ type: 'stop' });
      await e.next('stopped', MESSAGE_WAIT_MS);
      assert.equal(await e.exitCode(), 0);
    } finally {
      e.kill();
    }
  });

  it('a folder it may not write in fails with folder-not-writable', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    // Root may write anywhere a mode allows; /sys refuses even root.
    let folder: string;
    if (process.getuid?.() === 0) {
      if (!existsSync('/sys/kernel')) return t.skip('running as root without /sys');
      folder = '/sys/kernel';
    } else {
      const { chmodSync, mkdirSync } = await import('node:fs');
      folder = join(tmp, 'read-only');
      mkdirSync(folder);
      chmodSync(folder, 0o555);
    }
    await expectFailure(config(folder), 'folder-not-writable');
  });

  it('takes over a stale lock left by a process that died', { timeout: TEST_TIMEOUT_MS }, async () => {
    const { hostname } = await import('node:os');
    // A pid far above any live one here; the lock's owner is "dead".
    writeFileSync(serverLockPath(base), JSON.stringify({ pid: 2 ** 22 - 7, hostname: hostname(), startedAt: 'then' }));
    const e = new Entry();
    try {
      e.start(config(base));
      await e.next('ready', READY_WAIT_MS);
      e.send({ type: 'stop' });
      await e.next('stopped', MESSAGE_WAIT_MS);
      assert.equal(await e.exitCode(), 0);
    } finally {
      e.kill();
    }
  });

  it('ignores messages outside the protocol, and stops when the app goes away', { timeout: TEST_TIMEOUT_MS }, async () => {
    const e = new Entry();
    try {
      e.send({ type: 'rm -rf' });
      e.start(config(base));
      await e.next('ready', READY_WAIT_MS);
      e.child.disconnect(); // the main process crashed
      assert.equal(await e.exitCode(), 0);
      assert.equal(existsSync(serverLockPath(base)), false, 'the lock is released');
      assert.match(e.output, /ignored a message that is not part of the protocol/);
    } finally {
      e.kill();
    }
  });

  it('runs under the supervisor: start → running, stop → stopped, and a crash is restarted', { timeout: TEST_TIMEOUT_MS }, async () => {
    const lines: string[] = [];
    const host = createServerHost({ fork: nodeChildFork(ENTRY, { onOutput: (line) => lines.push(line) }), logger: silentLogger });
    const running = await host.start(config(base));
    assert.equal(running.kind, 'running', lines.join('\n'));
    const port = running.kind === 'running' ? running.port : 0;
    assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
    assert.ok(
      lines.some((l) => l.includes('[server:process] ready')),
      'the server’s log lines reach the sink',
    );

    // Kill the process behind the supervisor's back: it is restarted after the first backoff.
    const lock = JSON.parse(readFileSync(serverLockPath(base), 'utf8')) as { pid: number };
    process.kill(lock.pid, 'SIGKILL');
    const restarted = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('not restarted within 20 s')), 20_000);
      host.onChange((s) => {
        if (s.kind === 'running') {
          clearTimeout(timer);
          resolve(s.kind);
        }
      });
    });
    assert.equal(restarted, 'running', 'the stale lock of the killed process was taken over');
    await host.stop();
    assert.equal(host.state().kind, 'stopped');
    assert.equal(existsSync(serverLockPath(base)), false);
  });
});
