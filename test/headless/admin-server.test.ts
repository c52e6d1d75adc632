// The headless admin page's HTTP server (src/headless/admin-server.ts): the Host check
// against DNS rebinding, the token on every API call, the contract's argument checks, and the
// window's files with their content types and the strict CSP.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_CSP, adminPageUrl, createAdminServer, isOwnHost, sameSecret } from '../../src/headless/admin-server.ts';
import type { AdminServer } from '../../src/headless/admin-server.ts';
import { adminConfigFromEnv } from '../../src/headless/admin-config.ts';
import { createHttpApi, AdminApiError, tokenFromFragment } from '../../src/shared/api-http.ts';
import type { ApiHandlers } from '../../src/shared/api.ts';
import { defaultSettings } from '../../src/shared/settings.ts';
import { silentLogger } from '../../src/server/logger.ts';

const TOKEN = 'test-token_0123456789abcdefABCDEF';

interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function raw(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: { host: `127.0.0.1:${port}`, ...opts.headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('admin server', () => {
  let dir = '';
  let server: AdminServer;
  let port = 0;
  const calls: string[] = [];
  const settings = defaultSettings('/data');
  const handlers = {
    getSettings: () => settings,
    addPerson: async (username: string) => (calls.push(`add:${username}`), { ok: true as const }),
    checkPort: (n: number) => (calls.push(`port:${n}`), { ok: false as const, problem: 'taken' }),
    quit: () => void calls.push('quit'),
    getRecentErrors: () => {
      throw new Error('secret internal detail /home/anna');
    },
  } as unknown as ApiHandlers;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hearth-admin-'));
    mkdirSync(join(dir, 'renderer'));
    writeFileSync(join(dir, 'renderer', 'index.html'), '<!doctype html><title>Hearth</title>');
    writeFileSync(join(dir, 'renderer', 'app.js'), 'console.log(1)');
    writeFileSync(join(dir, 'renderer', 'app.css'), 'body{}');
    writeFileSync(join(dir, 'renderer', 'notes.unknown'), 'x');
    writeFileSync(join(dir, 'secret.txt'), 'outside');
    server = createAdminServer({ handlers, staticDir: join(dir, 'renderer'), port: 0, token: TOKEN, logger: silentLogger });
    const listening = await server.listen();
    port = listening.port;
    assert.equal(listening.url, `http://127.0.0.1:${port}/#token=${TOKEN}`);
  });

  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = (method: string, body: string, headers: Record<string, string> = {}) =>
    raw(port, `/api/${method}`, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    });

  it('answers API calls that carry the token, with the contract’s results', async () => {
    const r = await api('getSettings', '[]');
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { result: settings });
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.deepEqual(JSON.parse((await api('addPerson', '["alice","long password"]')).body), { result: { ok: true } });
    assert.deepEqual(JSON.parse((await api('quit', '')).body), { result: null }, 'no result is null; an empty body is no arguments');
    assert.deepEqual(calls.slice(0, 2), ['add:alice', 'quit']);
  });

  it('refuses a call without the token, or with a wrong one (401)', async () => {
    const before = calls.length;
    const attempts: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: 'Bearer ' },
      { authorization: TOKEN },
      { authorization: `Basic ${TOKEN}` },
    ];
    for (const headers of attempts) {
      const r = await raw(port, '/api/addPerson', { method: 'POST', body: '["mallory","long password"]', headers });
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.match(JSON.parse(r.body).error, /token/);
    }
    assert.equal(calls.length, before, 'no handler ran');
  });

  it('refuses another host name (DNS rebinding) and another site’s origin (403), even with the token', async () => {
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1:${port + 1}`, `[::1]:${port}`]) {
      const r = await api('getSettings', '[]', { host });
      assert.equal(r.status, 403, host);
      assert.equal((await raw(port, '/', { headers: { host } })).status, 403, `page for ${host}`);
    }
    assert.equal((await api('getSettings', '[]', { host: `localhost:${port}` })).status, 200);
    assert.equal((await api('getSettings', '[]', { origin: 'http://evil.example' })).status, 403);
    assert.equal((await api('getSettings', '[]', { origin: `http://127.0.0.1:${port}` })).status, 200);
  });

  it('checks arguments with the contract’s checkers (400), and knows only the contract’s methods (404)', async () => {
    const before = calls.length;
    for (const body of ['["alice"]', '["alice", 5]', '{"0":"a","1":"b"}', 'not json', '[1,2,3]']) {
      const r = await api('addPerson', body);
      assert.equal(r.status, 400, body);
    }
    assert.equal((await api('checkPort', '["8080"]')).status, 400, 'a string is not a port');
    assert.equal((await api('checkPort', '[null]')).status, 400);
    assert.equal(calls.length, before);
    assert.equal((await api('constructor', '[]')).status, 404);
    assert.equal((await api('__proto__', '[]')).status, 404);
    assert.equal((await raw(port, '/api/getSettings', { headers: { authorization: `Bearer ${TOKEN}` } })).status, 405, 'GET');
    assert.equal((await api('addPerson', JSON.stringify(['a', 'x'.repeat(70_000)]))).status, 413);
  });

  it('a handler that fails answers 500 without its internals', async () => {
    const r = await api('getRecentErrors', '[]');
    assert.equal(r.status, 500);
    assert.doesNotMatch(r.body, /secret|home/);
  });

  it('serves the window’s files with their content types and the strict CSP', async () => {
    const page = await raw(port, '/');
    assert.equal(page.status, 200);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(page.headers['content-security-policy'], ADMIN_CSP);
    assert.match(ADMIN_CSP, /default-src 'none'/);
    assert.doesNotMatch(ADMIN_CSP, /unsafe/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal((await raw(port, '/app.js')).headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal((await raw(port, '/app.css')).headers['content-type'], 'text/css; charset=utf-8');
    assert.equal((await raw(port, '/index.html?x=1')).status, 200);
  });

  it('serves nothing outside the window’s folder, and no unknown kinds of file', async () => {
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e%5csecret.txt',
      '/notes.unknown',
      '/missing.js',
      '/%E0%A4%A',
    ]) {
      const r = await raw(port, path);
      assert.ok(r.status === 404 || r.status === 400, `${path}: ${r.status}`);
      assert.doesNotMatch(r.body, /outside/);
    }
    assert.equal((await raw(port, '/', { method: 'POST' })).status, 405);
  });

  it('the HTTP adapter of the contract talks to it', async () => {
    const hearth = createHttpApi({ baseUrl: `http://127.0.0.1:${port}/`, token: TOKEN, fetch: (url, init) => fetch(url, init) });
    assert.deepEqual(await hearth.getSettings(), settings);
    assert.deepEqual(await hearth.checkPort(8080), { ok: false, problem: 'taken' });
    const wrong = createHttpApi({ baseUrl: `http://127.0.0.1:${port}`, token: 'nope', fetch: (url, init) => fetch(url, init) });
    await assert.rejects(wrong.getSettings(), (e: unknown) => e instanceof AdminApiError && e.status === 401);
  });
});

describe('admin helpers', () => {
  it('compares tokens in constant time and exactly', () => {
    assert.equal(sameSecret('abc', 'abc'), true);
    assert.equal(sameSecret('abc', 'abd'), false);
    assert.equal(sameSecret('abc', 'abcd'), false);
    assert.equal(sameSecret('', ''), true);
  });

  it('accepts only this listener’s own host names', () => {
    assert.equal(isOwnHost('127.0.0.1:8081', 8081), true);
    assert.equal(isOwnHost('localhost:8081', 8081), true);
    for (const h of [undefined, '127.0.0.1', '127.0.0.1:8080', 'LOCALHOST:8081x', 'attacker.example:8081'])
      assert.equal(isOwnHost(h, 8081), false, h);
  });

  it('puts the token in the fragment, and reads it back', () => {
    const url = adminPageUrl(8081, 'abc_-1');
    assert.equal(url, 'http://127.0.0.1:8081/#token=abc_-1');
    assert.equal(tokenFromFragment(new URL(url).hash), 'abc_-1');
    assert.equal(tokenFromFragment(''), undefined);
  });

  it('reads HEARTH_ADMIN and HEARTH_ADMIN_PORT', () => {
    assert.deepEqual(adminConfigFromEnv({}, 8080), { enabled: true, port: 8081 });
    assert.deepEqual(adminConfigFromEnv({}, 0), { enabled: true, port: 0 });
    assert.deepEqual(adminConfigFromEnv({ HEARTH_ADMIN: 'off' }, 8080), { enabled: false, port: 8081 });
    assert.deepEqual(adminConfigFromEnv({ HEARTH_ADMIN_PORT: '9000' }, 8080), { enabled: true, port: 9000 });
    assert.throws(() => adminConfigFromEnv({ HEARTH_ADMIN_PORT: 'x' }, 8080), /HEARTH_ADMIN_PORT/);
    assert.throws(() => adminConfigFromEnv({ HEARTH_ADMIN_PORT: '70000' }, 8080), /HEARTH_ADMIN_PORT/);
  });
});
