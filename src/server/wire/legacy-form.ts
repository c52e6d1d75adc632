/**
 * The framing of sync protocols 8–10 (Anki 2.1.50–2.1.56, AnkiDroid 2.15 and older;
 * docs/protocol/http.md §7): no `anki-sync` header; the request is a multipart form whose
 * `data` field is the body, gzip-compressed unless `c` is absent or "0", and whose `k` (or `sk`)
 * and `s` fields are the host key and the session key. Media `begin` may come as
 * `GET /msync/begin?k=…&v=…` or carry its `v` as a field. Everything is turned into what a
 * protocol-11 request gives the handlers: a SyncHeader (version 10, which makes the replies plain,
 * sync-header.ts) and a body with its codec.
 *
 * These clients send `data` first and the key after it, so the whole form is read before anyone
 * is known, as the official server does, with a cap on its size. The form is parsed by the web
 * platform's own parser (undici's `Response.formData()`, part of Node).
 */
import type { IncomingMessage } from 'node:http';
import { SyncHttpError, badRequest } from '../errors.ts';
import type { BodyCodec } from './request-body.ts';
import { BodyTooLargeError } from './request-body.ts';
import type { SyncHeader } from './sync-header.ts';
import { LEGACY_PROTOCOL_VERSION } from './sync-header.ts';

/** A request of the older protocols, as the handlers of protocol 11 take it. */
export interface LegacyRequest {
  readonly header: SyncHeader;
  /** The body, still encoded with `codec` ('{}' when the client sent none). */
  readonly data: Buffer;
  readonly codec: BodyCodec;
}

const EMPTY_JSON = Buffer.from('{}');

/** Whether a POST without the anki-sync header is such a form. */
export function isLegacyForm(contentType: string | undefined): boolean {
  return /^multipart\/form-data\b/i.test(contentType ?? '');
}

/** Reads the request whole, failing once it passes `max` bytes. */
function readAtMost(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) {
        cleanup();
        req.pause();
        reject(new BodyTooLargeError('compressed', max));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onClose = (): void => {
      cleanup();
      reject(badRequest('client closed the request early'));
    };
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('close', onClose);
  });
}

/**
 * Reads a multipart sync request of at most `maxBytes` on the wire. A body past it is refused
 * with 400 (the official server's body limit gives the same), a form that does not parse too.
 */
export async function readLegacyForm(req: IncomingMessage, maxBytes: number, isMediaBegin: boolean): Promise<LegacyRequest> {
  let raw: Buffer;
  try {
    raw = await readAtMost(req, maxBytes);
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw badRequest(`multipart body: ${err.message}`);
    throw err;
  }
  let form: FormData;
  try {
    const bytes = new Uint8Array(raw.buffer as ArrayBuffer, raw.byteOffset, raw.length);
    form = await new Response(bytes, { headers: { 'content-type': String(req.headers['content-type']) } }).formData();
  } catch {
    throw badRequest('invalid multipart');
  }
  const text = (name: string): string | undefined => {
    const value = form.getAll(name).at(-1);
    if (value === undefined) return undefined;
    return typeof value === 'string' ? value : undefined;
  };
  const part = form.getAll('data').at(-1);
  let data =
    part === undefined ? Buffer.alloc(0) : typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(await part.arrayBuffer());
  const c = text('c');
  let codec: BodyCodec = c === undefined || c === '0' ? 'identity' : 'gzip';
  // "AnkiDroid omits 'data' when downloading": an empty body is an empty JSON object.
  if (data.length === 0) {
    data = EMPTY_JSON;
    codec = 'identity';
  }
  // Media `begin` may carry the client's version as a field; the body is then just that.
  const v = text('v');
  if (isMediaBegin && v !== undefined) {
    data = Buffer.from(JSON.stringify({ v }), 'utf8');
    codec = 'identity';
  }
  const header: SyncHeader = { v: LEGACY_PROTOCOL_VERSION, k: text('k') ?? text('sk') ?? '', c: '', s: text('s') ?? '' };
  return { header, data, codec };
}

/**
 * `GET /msync/begin?k=<host key>&v=<client version>`, the media begin of Anki 2.1.50–2.1.56.
 * Both parameters are required (400 otherwise, before the key is looked at, as the official
 * server does).
 */
export function legacyBeginFromQuery(url: string): LegacyRequest {
  const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
  const k = query.get('k');
  const v = query.get('v');
  if (k === null || v === null) throw new SyncHttpError('bad-request', 'begin: k and v are required in the query');
  return {
    header: { v: LEGACY_PROTOCOL_VERSION, k, c: '', s: '' },
    data: Buffer.from(JSON.stringify({ v }), 'utf8'),
    codec: 'identity',
  };
}
