// Stopping the server (src/server/http/graceful-close.ts through SyncServer.close()): a request in
// flight is answered in full first; connections carrying no request do not hold the stop.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { syncHeader, zstdStreamed } from '../helpers/sync-client.ts';
import { startTestServer } from '../helpers/test-server.ts';

/**
 * Far below the two minutes after which the server drops a silent connection by itself, so a
 * stop that waited for one fails here rather than passing late.
 */
const PROMPT_MS = 10_000;

function within<T>(promise: Promise<T>, what: string, ms = PROMPT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function openSocket(endpoint: string): Promise<Socket> {
  const { hostname, port } = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), hostname);
    sock.once('connect', () => resolve(sock));
    sock.once('error', reject);
  });
}

function closedBy(sock: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (sock.destroyed) return resolve();
    sock.once('close', () => resolve());
  });
}

describe('stopping the server', () => {
  test('a connection that never sent a request (Anki’s HTTP client leaves such ones in its pool) does not hold the stop', async () => {
    const srv = await startTestServer();
    const unused = await openSocket(srv.endpoint);
    unused.on('error', () => {});
    const gone = closedBy(unused);
    await within(srv.stop(), 'the stop');
    await within(gone, 'the unused connection closed');
  });

  test('a connection kept alive after its request is closed by the stop', async () => {
    const srv = await startTestServer();
    const agent = new Agent({ keepAlive: true });
    try {
      const socket = await new Promise<Socket>((resolve, reject) => {
        const req = request(new URL('health', srv.endpoint), { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(req.socket as Socket));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(socket.destroyed, false, 'the client keeps the connection for its next request');
      const gone = closedBy(socket);
      await within(srv.stop(), 'the stop');
      await within(gone, 'the kept-alive connection closed');
    } finally {
      agent.destroy();
    }
  });

  test('a request in flight is answered in full before the stop ends, with Connection: close', async () => {
    const srv = await startTestServer();
    const body = await zstdStreamed(JSON.stringify({ v: 11, cv: '26.9.3,hearth-test,linux' }));
    // A meta request whose body arrives slowly, like a phone on weak Wi-Fi.
    const req = request(new URL('sync/meta', srv.endpoint), {
      method: 'POST',
      agent: new Agent({ keepAlive: true }),
      headers: { 'anki-sync': JSON.stringify(syncHeader(srv.hkey())), 'content-type': 'application/octet-stream' },
    });
    const response = new Promise<{ res: IncomingMessage; body: Buffer }>((resolve, reject) => {
      req.on('response', (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ res, body: Buffer.concat(parts) }));
      });
      req.on('error', reject);
    });
    req.write(body.subarray(0, 4));
    await sleep(200); // the request has reached the handler

    let stopped = false;
    const stop = srv.stop().then(() => (stopped = true));
    await sleep(500);
    assert.equal(stopped, false, 'the stop waits for the request in flight');

    req.end(body.subarray(4));
    const { res, body: answer } = await within(response, 'the answer');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers.connection, 'close', 'the answer tells the client not to reuse the connection');
    assert.ok(answer.length > 0, 'the answer has its body');
    await within(stop, 'the stop after the answer');
  });
});
