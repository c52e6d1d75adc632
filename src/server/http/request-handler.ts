/**
 * The HTTP front door: routing, the anki-sync header, body decoding, authentication, the
 * per-user lock, and the one place where errors become responses. Which methods exist, how each
 * body is read and which function handles it is the table in methods.ts; the method logic lives
 * in ../sync/*.ts and ../media/*.ts, one file per wire method.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Authenticator } from '../accounts/authenticator.ts';
import type { Clock } from '../clock.ts';
import type { ServerConfig } from '../config.ts';
import { SyncHttpError, asSyncHttpError, badRequest } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { RequestObserver } from '../activity.ts';
import type { MethodCall, MethodContext } from '../user/context.ts';
import { runStep } from '../sync/normal-sync.ts';
import type { UserState } from '../user/user-state.ts';
import { COPY_SCRIPT, landingPage } from './landing-page.ts';
import { createHash } from 'node:crypto';
import { METHODS, bodyLimits, methodFor } from './methods.ts';
import type { MethodName, MethodSpec } from './methods.ts';
import type { MethodHandlers } from './method-handlers.ts';
import { Readable } from 'node:stream';
import { framingOf, parseSyncHeader } from '../wire/sync-header.ts';
import type { SyncHeader } from '../wire/sync-header.ts';
import { BodyTooLargeError, payloadLimits, readRequestBody } from '../wire/request-body.ts';
import type { BodyCodec } from '../wire/request-body.ts';
import { isLegacyForm, legacyBeginFromQuery, readLegacyForm } from '../wire/legacy-form.ts';
import type { LegacyRequest } from '../wire/legacy-form.ts';
import { sendError, sendJson, sendReply, sendText } from '../wire/respond.ts';
import type { Reply } from '../wire/respond.ts';

export interface HandlerDeps {
  readonly config: ServerConfig;
  readonly auth: Authenticator;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly userState: (username: string) => UserState;
  /** The address people should paste into Anki (for the landing page). */
  readonly publicUrl: (req: IncomingMessage) => string;
  /** Told when a person's request is authenticated and how each sync/media request ended. */
  readonly observer?: RequestObserver;
  /** The methods' handlers: the sync engine, loaded on the first sync request (sync-engine.ts). */
  readonly handlers: () => Promise<MethodHandlers>;
}

export type Route =
  | { kind: 'method'; name: MethodName; spec: MethodSpec }
  /** `GET /msync/begin?k=…&v=…` of protocols 8–10 (wire/legacy-form.ts). */
  | { kind: 'legacy-begin'; name: MethodName; spec: MethodSpec }
  | { kind: 'health' }
  | { kind: 'landing' };

/** Routing (docs/protocol/http.md §1): unknown path 404, wrong HTTP verb 405, unknown method name 400. */
export function route(method: string, url: string): Route {
  const path = url.split('?', 1)[0] ?? '/';
  const isGet = method === 'GET' || method === 'HEAD';
  // Made only when needed: building an Error (and its stack) on every request is measurable.
  const notAllowed = (): SyncHttpError => new SyncHttpError('method-not-allowed', `${method} ${path}`);
  if (path === '/health') {
    if (!isGet) throw notAllowed();
    return { kind: 'health' };
  }
  if (path === '/' || path === '/setup' || path === '/setup/') {
    if (!isGet) throw notAllowed();
    return { kind: 'landing' };
  }
  const m = /^\/(sync|msync)\/([^/]*)$/.exec(path);
  if (!m) throw new SyncHttpError('not-found', `no route for ${path}`);
  const name = m[2]!;
  if (m[1] === 'sync') {
    if (method !== 'POST') throw notAllowed();
    const known = methodFor('collection', name);
    if (!known) throw badRequest(`unknown sync method "${name.slice(0, 40)}"`);
    return { kind: 'method', name: known, spec: METHODS[known] };
  }
  const known = methodFor('media', name);
  if (!known) throw badRequest(`unknown media method "${name.slice(0, 40)}"`);
  const spec = METHODS[known];
  if (method !== 'POST') {
    if (isGet && known === 'begin') return { kind: 'legacy-begin', name: known, spec };
    throw notAllowed();
  }
  return { kind: 'method', name: known, spec };
}

/** Reads a body as its method's row says (methods.ts BodyRule). */
async function readBody(source: Readable, rule: 'login' | 'payload' | 'media', config: ServerConfig, codec: BodyCodec): Promise<Buffer> {
  try {
    return await readRequestBody(source, bodyLimits(rule, config), codec);
  } catch (err) {
    // Status codes the client understands are 400/403/409/500 (docs/protocol/http.md §4), not 413.
    if (rule === 'media' && err instanceof BodyTooLargeError) throw badRequest(`media request: ${err.message}`);
    throw err;
  }
}

/** Most characters of a username tried at login that are kept for the log and the window. */
const MAX_TRIED_USERNAME = 100;

/** The body of a method that reads its own (`stream`): nothing has been read for it. */
const NO_BODY = Buffer.alloc(0);

/** Room for a multipart form's own bytes (boundaries, part headers, the small fields). */
const FORM_OVERHEAD = 64 * 1024;

/** Most bytes a multipart request of this method may have on the wire (the official server caps them all at the payload limit). */
function legacyFormLimit(spec: MethodSpec, config: ServerConfig): number {
  const rule = spec.body === 'stream' ? 'payload' : spec.body;
  return (rule === 'payload' ? payloadLimits(config).maxCompressed : bodyLimits(rule, config).maxCompressed) + FORM_OVERHEAD;
}

/**
 * When a reply goes out before the request's body has all arrived (an upload refused while the
 * device is still sending), the connection cannot carry another request: the rest of the body
 * would be read as one. Anki reuses its connections, so without this its next request waited on
 * it until it gave up (30-60 s). The reply says `Connection: close`, and the connection is closed
 * once the reply has left, as the official server does; the device opens a new one at once.
 */
function closeIfBodyUnread(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete || res.headersSent) return;
  res.setHeader('connection', 'close');
  // Taken now: the response lets go of its socket once it has finished.
  const socket = res.socket ?? req.socket;
  if (!socket) return;
  res.once('finish', () => {
    socket.end();
    // A device that keeps sending after our FIN would hold the socket; it has its reply.
    setTimeout(() => socket.destroy(), 2_000).unref();
  });
}

/** After an early error, read (and drop) what the client is still sending, so it sees our reply. */
function drain(req: IncomingMessage): Promise<void> {
  if (req.complete || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let dropped = 0;
    const done = (): void => {
      clearTimeout(timer);
      req.off('data', onData);
      resolve();
    };
    const onData = (chunk: Buffer): void => {
      dropped += chunk.length;
      if (dropped > 16 * 1024 * 1024) done();
    };
    const timer = setTimeout(done, 2000);
    req.on('data', onData);
    req.once('end', done);
    req.once('error', done);
    req.resume();
  });
}

/** The page may run only its own copy script; nothing else loads (no network, no frames). */
const SETUP_PAGE_CSP = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${createHash('sha256').update(COPY_SCRIPT).digest('base64')}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

function sendSetupPage(res: ServerResponse, html: string): void {
  res.setHeader('content-security-policy', SETUP_PAGE_CSP);
  res.setHeader('x-content-type-options', 'nosniff');
  sendText(res, 200, 'text/html; charset=utf-8', html);
}

export function createRequestHandler(deps: HandlerDeps) {
  const { config, auth, clock, logger } = deps;
  const log = logger.child('http');

  /** Every method but hostKey, media included, is authorised by the host key (docs/protocol/http.md §8.3). */
  async function authenticate(header: SyncHeader, req: IncomingMessage, fields: Record<string, string>): Promise<MethodContext> {
    const { username, device } = await auth.userForHostKey(header.k, req.socket.remoteAddress ?? 'unknown');
    fields.user = username;
    fields.device = device;
    deps.observer?.authenticated(username);
    return { user: deps.userState(username), device, header, framing: framingOf(header), config, clock, logger, logFields: fields };
  }

  /**
   * The one dispatch: the body, the person, the lock and the reply, as the method's row says
   * (methods.ts). `legacy`: a request of protocols 8–10, already read whole (wire/legacy-form.ts).
   */
  async function runMethod(
    name: MethodName,
    spec: MethodSpec,
    header: SyncHeader,
    req: IncomingMessage,
    res: ServerResponse,
    fields: Record<string, string>,
    legacy?: LegacyRequest,
  ): Promise<void> {
    const source: Readable = legacy ? Readable.from([legacy.data]) : req;
    const codec: BodyCodec = legacy ? legacy.codec : 'zstd';
    const handler = (await deps.handlers())[name];
    if ('login' in handler) {
      const clientAddress = req.socket.remoteAddress ?? 'unknown';
      const attempt = handler.parse(await readBody(source, 'login', config, codec));
      // The name tried goes to the log line and the window's recent problems ("use anna, not an
      // email address"); the password goes nowhere but the check.
      fields.tried = attempt.username.slice(0, MAX_TRIED_USERNAME);
      sendJson(res, await handler.login(attempt, auth, clientAddress, header.c), framingOf(header));
      return;
    }
    const ctx = await authenticate(header, req, fields);
    const run = (body: Buffer): Reply | Promise<Reply> => {
      if ('step' in handler) return { json: runStep(handler.step, body, ctx) };
      const call: MethodCall = { body, request: source, codec, response: res, ctx };
      return handler.run(call);
    };
    if (spec.body === 'stream') {
      // The handler reads the body as it arrives and takes the lock itself once it has it.
      const reply = await run(NO_BODY);
      if ('refusedBecause' in reply && reply.refusedBecause !== undefined) {
        log.info('upload refused', { user: ctx.user.username, why: reply.refusedBecause });
        fields.refused = reply.text;
        closeIfBodyUnread(req, res);
      }
      await sendReply(res, reply, ctx.framing);
      return;
    }
    if (spec.body === 'login') throw new Error(`${name}: a login row without a login handler`);
    const body = await readBody(source, spec.body, config, codec);
    await ctx.user.lock.run(async () => sendReply(res, await run(body), ctx.framing));
  }

  /** Reports a sync or media request's end (not /health or the setup page) to the observer. */
  const report = (req: IncomingMessage, fields: Record<string, string>, status: number, why?: string): void => {
    const m = /^(?:POST|GET) \/(m?sync)\/(.*)$/.exec(fields.method ?? '');
    if (!m || !deps.observer) return;
    try {
      deps.observer.finished({
        kind: m[1] === 'msync' ? 'media' : 'sync',
        method: m[2]!.slice(0, 40),
        user: fields.user,
        ...(fields.tried !== undefined ? { triedUser: fields.tried } : {}),
        ...(fields.device !== undefined ? { device: fields.device, address: req.socket.remoteAddress ?? '' } : {}),
        client: fields.client,
        status,
        ...(fields.refused !== undefined ? { refused: fields.refused } : {}),
        ...(why !== undefined ? { why } : {}),
      });
    } catch (err) {
      // Only a record: the request itself is answered already.
      log.error('the request observer failed', { why: err instanceof Error ? err.message : String(err) });
    }
  };

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = clock.nowMs();
    const fields: Record<string, string> = { method: `${req.method ?? '?'} ${(req.url ?? '').split('?', 1)[0]}` };
    try {
      const r = route(req.method ?? 'GET', req.url ?? '/');
      switch (r.kind) {
        case 'health':
          res.writeHead(200, { 'content-length': '0' });
          res.end();
          return;
        case 'landing':
          sendSetupPage(res, landingPage(deps.publicUrl(req), String(req.headers['user-agent'] ?? '')));
          return;
        case 'method':
        case 'legacy-begin': {
          let header = parseSyncHeader(req.headers['anki-sync']);
          let legacy: LegacyRequest | undefined;
          if (r.kind === 'legacy-begin') {
            legacy = legacyBeginFromQuery(req.url ?? '');
          } else if (header === undefined) {
            // Protocols 8-10: a multipart form (docs/protocol/http.md §7); anything else is a bad request, as with the official server.
            if (!isLegacyForm(req.headers['content-type'])) throw badRequest('request without anki-sync header');
            legacy = await readLegacyForm(req, legacyFormLimit(r.spec, config), r.name === 'begin');
          }
          header = legacy?.header ?? header!;
          fields.client = header.c.slice(0, 60);
          if (legacy) fields.framing = 'legacy';
          await runMethod(r.name, r.spec, header, req, res, fields, legacy);
          log.info('ok', { ...fields, status: 200, ms: clock.nowMs() - started });
          report(req, fields, 200);
          return;
        }
      }
    } catch (err) {
      const e = asSyncHttpError(err);
      await drain(req);
      closeIfBodyUnread(req, res);
      sendError(res, e);
      const line = { ...fields, status: e.status, ms: clock.nowMs() - started, why: e.message };
      // 501 is a device too old for this server, not a fault of the server's.
      if (e.status >= 500 && e.status !== 501) log.error('failed', line);
      else log.info('refused', line);
      report(req, fields, e.status, e.message);
    }
  };
}
