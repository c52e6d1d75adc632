/**
 * Writing replies. For protocol 11, success bodies are one zstd frame with `anki-original-size`
 * (the client fails without it, docs/protocol/http.md §3); for the older protocols they are the
 * bytes as they are (`plain`, sync-header.ts Framing). Errors are a bare status with a short
 * plain-text body and are never compressed. This file is the only place that turns an error into
 * bytes on the wire.
 */
import { createReadStream, rmSync } from 'node:fs';
import { STATUS_CODES } from '../util/node-http.ts';
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { constants, createZstdCompress, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import type { SyncHttpError } from '../errors.ts';
import type { Framing } from './sync-header.ts';
import { zstdRawFrame } from './zstd-raw-frame.ts';

const PLAIN_TYPE = 'application/octet-stream';

/** A whole body as it is, for the clients of protocols 8–10 (what the official server sends them). */
export function sendPlain(res: ServerResponse, body: Buffer | string): void {
  const raw = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(200, { 'content-type': PLAIN_TYPE, 'content-length': String(raw.length) });
  res.end(raw);
}

/** A body in the request's framing; `level` is zstd's. */
export function sendBody(res: ServerResponse, body: Buffer | string, framing: Framing, level = ZSTD_DEFAULT_LEVEL): void {
  if (framing === 'plain') sendPlain(res, body);
  else sendZstd(res, body, level);
}

/** A frame made ahead by zstdFrame(), in the request's framing (decoded again for a plain reply). */
export function sendFrame(res: ServerResponse, frame: Buffer, originalSize: number, framing: Framing): void {
  if (framing === 'plain') sendPlain(res, zstdDecompressSync(frame, { maxOutputLength: Math.max(1, originalSize) }));
  else sendZstdFrame(res, frame, originalSize);
}

/** zstd's default level, what the reference's replies use. */
export const ZSTD_DEFAULT_LEVEL = 3;
/**
 * For media download zips: pictures and sounds are compressed already (JPEG, PNG, MP3, OGG), so
 * level 3 spends its time finding nothing to gain; level 1 gives up on such data sooner, and a
 * family's network carries the few percent it may lose on the rest.
 */
export const ZSTD_MEDIA_LEVEL = 1;

/**
 * Replies up to this size go out as a raw (stored) zstd frame: compressing a few hundred bytes of
 * JSON saves a few dozen, while creating the compressor was ~7 % of the server's time for a small
 * request (CPU profile of 300 mediaSanity requests).
 */
export const RAW_REPLY_MAX = 2048;

/** Sends a whole in-memory body as one zstd frame. */
export function sendZstd(res: ServerResponse, body: Buffer | string, level = ZSTD_DEFAULT_LEVEL): void {
  const raw = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  sendZstdFrame(res, zstdFrame(raw, level), raw.length);
}

/**
 * A whole body as one zstd frame (raw when it is small, see RAW_REPLY_MAX), to send now or later.
 * The output buffer is sized for the whole frame: with the default 16 KiB output chunks a 2.5 MiB
 * media zip took ~160 native calls and a concatenation, twice the time (and garbage). (Pledging
 * the size was measured slower: zstd then picks a larger window for big inputs.)
 */
export function zstdFrame(raw: Buffer, level = ZSTD_DEFAULT_LEVEL): Buffer {
  return raw.length <= RAW_REPLY_MAX
    ? zstdRawFrame(raw)
    : zstdCompressSync(raw, {
        chunkSize: Math.max(1024, raw.length + (raw.length >> 7) + 1024),
        params: { [constants.ZSTD_c_compressionLevel]: level },
      });
}

/** Sends a frame made by zstdFrame(); `originalSize` is the length of what it holds. */
export function sendZstdFrame(res: ServerResponse, frame: Buffer, originalSize: number): void {
  res.writeHead(200, {
    'anki-original-size': String(originalSize),
    'content-length': String(frame.length),
  });
  res.end(frame);
}

/** JSON text produced elsewhere, e.g. by the lossless serializer for replies with 64-bit ids. */
export class RawJson {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** A JSON reply compressed ahead of its request (e.g. a chunk built while the client was busy). */
export class CompressedJson {
  readonly frame: Buffer;
  readonly originalSize: number;
  constructor(json: RawJson) {
    const raw = Buffer.from(json.text, 'utf8');
    this.frame = zstdFrame(raw);
    this.originalSize = raw.length;
  }
}

export function sendJson(res: ServerResponse, value: unknown, framing: Framing = 'zstd'): void {
  if (value instanceof CompressedJson) sendFrame(res, value.frame, value.originalSize, framing);
  else sendBody(res, value instanceof RawJson ? value.text : JSON.stringify(value ?? null), framing);
}

/**
 * What a wire method's handler hands back (http/methods.ts), for http/request-handler.ts to send
 * with sendReply():
 * - `json`: a value sent as JSON (sendJson: RawJson and CompressedJson as they are);
 * - `text`: plain text (`upload`'s "OK" or the reason it refused, which `refusedBecause`
 *   explains for the log);
 * - `file`: a file's bytes streamed (`download`); `removeAfter`: a copy made for this reply;
 * - `sent`: the handler has written its reply itself (`downloadFiles`, whose zip may stream).
 */
export type Reply =
  | { readonly json: unknown }
  | { readonly text: string; readonly refusedBecause?: string }
  | { readonly file: string; readonly size: number; readonly removeAfter?: boolean }
  | { readonly sent: true };

/** The Reply of a handler that has written its reply itself. */
export const SENT: Reply = { sent: true };

export async function sendReply(res: ServerResponse, reply: Reply, framing: Framing = 'zstd'): Promise<void> {
  if ('json' in reply) sendJson(res, reply.json, framing);
  else if ('text' in reply) sendBody(res, reply.text, framing);
  else if ('file' in reply) {
    try {
      if (framing === 'plain') await sendPlainFile(res, reply.file, reply.size);
      else await sendZstdFile(res, reply.file, reply.size);
    } finally {
      if (reply.removeAfter) rmSync(reply.file, { force: true });
    }
  }
}

/** Streams a file as it is, with its length (Anki 2.1.50 shows a progress bar from it). */
export async function sendPlainFile(res: ServerResponse, path: string, size: number): Promise<void> {
  res.writeHead(200, { 'content-type': PLAIN_TYPE, 'content-length': String(size) });
  await pipeline(createReadStream(path, { highWaterMark: DOWNLOAD_READ_BYTES }), res);
}

/** A full download's read size and compressed chunk size. */
const DOWNLOAD_READ_BYTES = 4 * 1024 * 1024;
const DOWNLOAD_CHUNK_BYTES = 1024 * 1024;

/**
 * Streams a file as one zstd frame (one compression context, finished once), so a 300 MB
 * collection is never held in memory. The caller guarantees the file does not change meanwhile.
 */
export async function sendZstdFile(res: ServerResponse, path: string, size: number): Promise<void> {
  res.writeHead(200, { 'anki-original-size': String(size) });
  // Big reads and output chunks: with Node's defaults (64 KiB / 16 KiB) a 100 MB download is
  // thousands of thread hand-offs and the main thread waited 72–80 % of the time
  // (docs/lab-notes/2026-11-21-full-sync.md). 4 MiB reads took ~15 % less CPU than 1 MiB ones on a
  // 100 MiB collection (1,590–1,660 against 1,870–2,000 ms; no change on 12 MiB), for ~30 MiB more
  // peak memory while it streams (docs/lab-notes/2026-11-22-jit-disk-and-download-reads.md).
  await pipeline(
    createReadStream(path, { highWaterMark: DOWNLOAD_READ_BYTES }),
    createZstdCompress({ chunkSize: DOWNLOAD_CHUNK_BYTES }),
    res,
  );
}

/** Status and a short text; the details stay in the log. */
export function sendError(res: ServerResponse, err: SyncHttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = `${err.status} ${err.reason ?? STATUS_CODES[err.status] ?? 'Error'}\n`;
  res.writeHead(err.status, err.reason ?? STATUS_CODES[err.status] ?? 'Error', {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...err.headers,
  });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
  });
  res.end(body);
}
