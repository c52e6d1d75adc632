/**
 * The headless server's admin page: the same window as the desktop app (the built files in
 * dist/renderer), and the HearthApi as JSON over HTTP (src/shared/api-http.ts), for a NAS or any
 * machine without a screen. It listens on 127.0.0.1 only; a person reaches it from the machine
 * itself or through an SSH tunnel.
 *
 * Three checks guard it:
 *   - the Host header must name this listener (127.0.0.1:PORT or localhost:PORT): a page on
 *     another site that rebinds its DNS name to 127.0.0.1 still sends its own name (403);
 *   - every /api call carries `Authorization: Bearer <token>`, a random token printed once at
 *     start-up in the page's address (`#token=…`, a fragment, so it never reaches a server log),
 *     compared in constant time (401);
 *   - an Origin header, when present, must be this listener's own origin (403).
 * Arguments are checked with the contract's own checkers (HEARTH_API[method].parseArgs).
 *
 * One more route: `GET /download/<offer>`, a person's collection package, under an address the
 * API gave out once (download-offers.ts says why a download is not an API call).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { API_METHODS, HEARTH_API } from '../shared/api.ts';
import type { ApiHandlers, ApiMethod } from '../shared/api.ts';
import { ADMIN_API_PREFIX, ADMIN_MAX_BODY_BYTES, ADMIN_TOKEN_FRAGMENT } from '../shared/api-http.ts';
import { WINDOW_CSP } from '../shared/window-csp.ts';
import { createHttpServer } from '../server/index.ts';
import type { Logger } from '../server/index.ts';
import { DOWNLOAD_PATH_PREFIX } from './download-offers.ts';
import type { DownloadOffers } from './download-offers.ts';

export const ADMIN_HOST = '127.0.0.1';

export interface AdminServerOptions {
  readonly handlers: ApiHandlers;
  /** Folder with the built window (dist/renderer); missing files are 404s. */
  readonly staticDir: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** The secret for /api calls; make one with newAdminToken(). */
  readonly token: string;
  readonly logger: Logger;
  /** The packages offered for download (download-offers.ts); without it every download address is a 404. */
  readonly downloads?: Pick<DownloadOffers, 'take'>;
}

export interface AdminServer {
  listen(): Promise<{ port: number; url: string }>;
  close(): Promise<void>;
}

/** 32 random bytes, URL-safe. */
export function newAdminToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The address to open in a browser: the token travels in the fragment. */
export function adminPageUrl(port: number, token: string): string {
  return `http://${ADMIN_HOST}:${port}/#${ADMIN_TOKEN_FRAGMENT}=${token}`;
}

/** Compares two secrets in constant time (hashing first makes the lengths equal). */
export function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/** Whether a Host header names this listener; anything else may be a DNS-rebinding page. */
export function isOwnHost(host: string | undefined, port: number): boolean {
  return host === `${ADMIN_HOST}:${port}` || host === `localhost:${port}`;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** The window's own policy (also in its meta tag): only the page's own files, no inline script, no other site, no frames. */
export const ADMIN_CSP = WINDOW_CSP;

const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

function sendJsonReply(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, {
    ...COMMON_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
  });
  res.end(text);
}

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > ADMIN_MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function isApiMethod(name: string): name is ApiMethod {
  return (API_METHODS as readonly string[]).includes(name);
}

export function createAdminServer(options: AdminServerOptions): AdminServer {
  const log = options.logger.child('admin');
  const root = resolve(options.staticDir);
  let server: Server | undefined;
  let port = options.port;
  const sockets = new Set<Socket>();

  const serveStatic = async (path: string, res: ServerResponse, headOnly: boolean): Promise<void> => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return sendJsonReply(res, 400, { error: 'bad path' });
    }
    const relative = decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, '');
    const file = resolve(root, relative);
    if (!file.startsWith(root + sep) || decoded.includes('\0')) return sendJsonReply(res, 404, { error: 'not found' });
    const type = CONTENT_TYPES[extname(file).toLowerCase()];
    let body: Buffer;
    try {
      if (type === undefined || !(await stat(file)).isFile()) return sendJsonReply(res, 404, { error: 'not found' });
      body = await readFile(file);
    } catch {
      return sendJsonReply(res, 404, { error: 'not found' });
    }
    res.writeHead(200, {
      ...COMMON_HEADERS,
      'content-type': type,
      'content-length': String(body.length),
      'content-security-policy': ADMIN_CSP,
      'cache-control': 'no-cache',
    });
    res.end(headOnly ? undefined : body);
  };

  const callApi = async (name: string, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const auth = req.headers.authorization ?? '';
    const match = /^Bearer ([A-Za-z0-9_-]{1,512})$/.exec(auth);
    if (!match || !sameSecret(match[1]!, options.token)) {
      log.warn('refused an API call without the right token', { method: name.slice(0, 40) });
      return sendJsonReply(res, 401, { error: 'This page needs the address with the token that Hearth printed when it started.' });
    }
    if (!isApiMethod(name)) return sendJsonReply(res, 404, { error: `unknown method ${name.slice(0, 40)}` });
    let args: unknown;
    try {
      const text = await readBody(req);
      args = text.trim() === '' ? [] : JSON.parse(text);
    } catch (err) {
      if (err instanceof BodyTooLarge) return sendJsonReply(res, 413, { error: 'request too large' });
      return sendJsonReply(res, 400, { error: 'the body must be a JSON array of arguments' });
    }
    const parsed = Array.isArray(args) ? HEARTH_API[name].parseArgs(args) : undefined;
    if (!parsed) {
      log.warn('refused a call with invalid arguments', { method: name });
      return sendJsonReply(res, 400, { error: `invalid arguments for ${name}` });
    }
    // The contract ties each handler to its own arguments; the loop over names cannot show that.
    const handler = options.handlers[name] as (...a: readonly unknown[]) => unknown;
    try {
      const result = await handler(...parsed);
      sendJsonReply(res, 200, { result: result ?? null });
    } catch (err) {
      log.error('an API method failed', { method: name, why: err instanceof Error ? err.message : String(err) });
      sendJsonReply(res, 500, { error: 'Something went wrong; the server log has the details.' });
    }
  };

  /** A header parameter's value in RFC 5987's percent-encoding (encodeURIComponent leaves ' ( ) * as they are). */
  const rfc5987 = (text: string): string =>
    encodeURIComponent(text).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  /** The offered package, streamed as an attachment; an unknown or used address is a 404. */
  const serveDownload = async (offerId: string, res: ServerResponse): Promise<void> => {
    const prepared = options.downloads?.take(offerId);
    if (!prepared) return sendJsonReply(res, 404, { error: 'This download has expired. Ask for the copy again on the People page.' });
    // The name as typed, for browsers that read filename*; a plain-ASCII one for those that do not.
    const ascii = prepared.fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
    res.writeHead(200, {
      ...COMMON_HEADERS,
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${rfc5987(prepared.fileName)}`,
      'cache-control': 'no-store',
    });
    try {
      await prepared.write(res);
    } catch (err) {
      log.warn('a download did not complete', { user: prepared.username, why: err instanceof Error ? err.message : String(err) });
      res.destroy();
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!isOwnHost(req.headers.host, port)) {
      log.warn('refused a request for another host name', { host: String(req.headers.host ?? '').slice(0, 80) });
      return sendJsonReply(res, 403, { error: 'wrong host' });
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${ADMIN_HOST}:${port}` && origin !== `http://localhost:${port}`) {
      log.warn('refused a request from another site', { origin: origin.slice(0, 80) });
      return sendJsonReply(res, 403, { error: 'wrong origin' });
    }
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (path.startsWith(ADMIN_API_PREFIX)) {
      if (req.method !== 'POST') return sendJsonReply(res, 405, { error: 'use POST' });
      return callApi(path.slice(ADMIN_API_PREFIX.length), req, res);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJsonReply(res, 405, { error: 'use GET' });
    if (path.startsWith(DOWNLOAD_PATH_PREFIX)) {
      if (req.method !== 'GET') return sendJsonReply(res, 405, { error: 'use GET' });
      return serveDownload(path.slice(DOWNLOAD_PATH_PREFIX.length), res);
    }
    return serveStatic(path, res, req.method === 'HEAD');
  };

  return {
    listen() {
      return new Promise((resolvePromise, reject) => {
        const s = createHttpServer((req, res) => {
          handle(req, res).catch((err: unknown) => {
            log.error('request failed', { why: err instanceof Error ? err.message : String(err) });
            if (!res.headersSent) sendJsonReply(res, 500, { error: 'internal error' });
            else res.destroy();
          });
        });
        s.on('connection', (sock) => {
          sockets.add(sock);
          sock.once('close', () => sockets.delete(sock));
        });
        s.once('error', reject);
        s.listen(options.port, ADMIN_HOST, () => {
          server = s;
          port = (s.address() as AddressInfo).port;
          resolvePromise({ port, url: adminPageUrl(port, options.token) });
        });
      });
    },
    async close() {
      const s = server;
      server = undefined;
      if (!s) return;
      const closed = new Promise<void>((r) => s.close(() => r()));
      s.closeIdleConnections();
      for (const sock of sockets) sock.destroy();
      await closed;
    },
  };
}
