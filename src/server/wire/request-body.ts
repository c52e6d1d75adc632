/**
 * Request bodies. Protocol 11 sends one zstd frame, streamed with chunked encoding and without a
 * content size (docs/protocol/http.md §2.2); the older protocols send the `data` field of a
 * multipart form, gzip-compressed or as it is (wire/legacy-form.ts, docs/protocol/http.md §7).
 * Whatever the codec, both the bytes on the wire and the decoded bytes are capped, so a small
 * "zstd bomb" (or gzip bomb) cannot make the server allocate or write more than the limit.
 */
import { PassThrough } from 'node:stream';
import type { Transform } from 'node:stream';
import { createGunzip, createZstdDecompress, gunzipSync, zstdDecompressSync } from 'node:zlib';
import { createWriteStream } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decodedBodyLimit } from '../config.ts';
import type { ServerConfig } from '../config.ts';
import { SyncHttpError, badRequest } from '../errors.ts';

/** Decoder output chunk: 256 KiB instead of 16 KiB makes large uploads decode ~2× faster. */
const DECODE_CHUNK = 256 * 1024;

/** How a body is encoded: zstd (protocol 11), gzip or nothing (older protocols' `c` field). */
export type BodyCodec = 'zstd' | 'gzip' | 'identity';

const streamingDecoder = (codec: BodyCodec): Transform =>
  codec === 'zstd'
    ? createZstdDecompress({ chunkSize: DECODE_CHUNK })
    : codec === 'gzip'
      ? createGunzip({ chunkSize: DECODE_CHUNK })
      : new PassThrough();

export interface BodyLimits {
  /** Most bytes accepted on the wire. */
  readonly maxCompressed: number;
  /** Most bytes the body may decode to. */
  readonly maxDecoded: number;
}

/**
 * The limits of every body that may be as large as a collection (the JSON of the collection
 * methods, `upload`, `uploadChanges`), from MAX_SYNC_PAYLOAD_MEGS: decoded, config.ts's
 * decodedBodyLimit (3 × that many MiB); on the wire, the same plus room for data zstd cannot shrink.
 */
export function payloadLimits(config: Pick<ServerConfig, 'maxPayloadMegs'>): BodyLimits {
  const limit = decodedBodyLimit(config);
  return { maxCompressed: limit + (limit >> 4) + 65_536, maxDecoded: limit };
}

/** Thrown when a body is over one of the limits; the caller picks the reply (upload answers 200 + text). */
export class BodyTooLargeError extends SyncHttpError {
  constructor(which: 'compressed' | 'decoded', limit: number) {
    super('payload-too-large', `request body over the ${which} limit of ${limit} bytes`);
  }
}

/** Counts bytes flowing through and fails once there are more than `limit`. */
function byteCap(limit: number, which: 'compressed' | 'decoded') {
  let seen = 0;
  return async function* cap(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      seen += chunk.length;
      if (seen > limit) throw new BodyTooLargeError(which, limit);
      yield chunk;
    }
  };
}

function asRequestError(err: unknown): unknown {
  if (err instanceof SyncHttpError) return err;
  const code = (err as { code?: string }).code ?? '';
  // zlib reports corrupt input with ERR_ZSTD_* / Z_DATA_ERROR-like codes.
  if (code.startsWith('ERR_ZSTD') || code.startsWith('Z_') || /zstd|unknown frame|corrupt|incorrect header|invalid/i.test(String(err))) {
    return badRequest(`body cannot be decoded (${code || 'decode error'})`);
  }
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE') return badRequest('client closed the request early');
  return err;
}

/** Bodies up to this size on the wire are decoded in one synchronous call (most JSON requests). */
const SYNC_DECODE_MAX_COMPRESSED = 1024 * 1024;

/**
 * Reads the compressed body until it ends or passes `inMemoryMax` wire bytes. `rest` is set when
 * it did not end: the chunks read so far followed by the remainder of the request.
 */
function gather(
  source: Readable,
  maxCompressed: number,
  inMemoryMax: number,
): Promise<{ readonly compressed: Buffer; readonly rest?: undefined } | { readonly rest: Readable }> {
  // Plain events rather than an async iterator: most bodies are one or two chunks, and the
  // iterator's promises and end-of-stream bookkeeping cost more than reading them (every request).
  return new Promise((resolve, reject) => {
    const compressed: Buffer[] = [];
    let size = 0;
    const stop = (): void => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      source.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxCompressed) {
        stop();
        source.pause();
        reject(new BodyTooLargeError('compressed', maxCompressed));
        return;
      }
      compressed.push(chunk);
      if (size > inMemoryMax) {
        // The rest is read later by whoever consumes `rest`; nothing is lost while paused.
        stop();
        source.pause();
        resolve({ rest: Readable.from(concatThen(compressed, source)) });
      }
    };
    const onEnd = (): void => {
      stop();
      resolve({ compressed: compressed.length === 1 ? compressed[0]! : Buffer.concat(compressed) });
    };
    const onError = (err: Error): void => {
      stop();
      reject(err);
    };
    const onClose = (): void => {
      stop();
      reject(Object.assign(new Error('request closed before its end'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    };
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', onError);
    source.once('close', onClose);
  });
}

/** One-call decode; `undefined` when the output would pass `max` bytes. */
function decodeAtMost(compressed: Buffer, max: number, codec: BodyCodec): Buffer | undefined {
  if (codec === 'identity') return compressed.length <= max ? compressed : undefined;
  try {
    return codec === 'zstd' ? zstdDecompressSync(compressed, { maxOutputLength: max }) : gunzipSync(compressed, { maxOutputLength: max });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return undefined;
    throw err;
  }
}

/**
 * Decodes a JSON body into memory. Small bodies — nearly every normal-sync and media request —
 * are gathered and decoded in one call, which saves the thread-pool round trips of a stream
 * (a few ms on each of a sync's many requests); larger ones stream through the decoder.
 * Either way both caps hold.
 */
export async function readRequestBody(source: Readable, limits: BodyLimits, codec: BodyCodec = 'zstd'): Promise<Buffer> {
  try {
    const gathered = await gather(source, limits.maxCompressed, SYNC_DECODE_MAX_COMPRESSED);
    if (gathered.rest) return await decodeStreaming(gathered.rest, limits, codec);
    const decoded = decodeAtMost(gathered.compressed, limits.maxDecoded, codec);
    if (!decoded) throw new BodyTooLargeError('decoded', limits.maxDecoded);
    return decoded;
  } catch (err) {
    throw asRequestError(err);
  }
}

/**
 * A body that is usually small but may be large (a media upload zip): decoded in memory when it
 * is at most `inMemoryMax` bytes both on the wire and decoded, else streamed into a new file at
 * `spillPath` (which the caller removes). Both caps hold either way.
 */
export async function readRequestBodyInMemoryOrFile(
  source: Readable,
  limits: BodyLimits,
  inMemoryMax: number,
  spillPath: string,
  codec: BodyCodec = 'zstd',
): Promise<{ readonly data: Buffer } | { readonly path: string }> {
  let rest: Readable;
  try {
    const gathered = await gather(source, limits.maxCompressed, inMemoryMax);
    if (gathered.rest) {
      rest = gathered.rest;
    } else {
      const decoded = decodeAtMost(gathered.compressed, Math.min(inMemoryMax, limits.maxDecoded), codec);
      if (decoded) return { data: decoded };
      if (inMemoryMax >= limits.maxDecoded) throw new BodyTooLargeError('decoded', limits.maxDecoded);
      // Small on the wire but large decoded: decode it again, into the file.
      rest = Readable.from([gathered.compressed]);
    }
  } catch (err) {
    throw asRequestError(err);
  }
  await writeRequestBodyToFile(rest, spillPath, limits, codec);
  return { path: spillPath };
}

/** The chunks already read, then the rest of the source. */
async function* concatThen(first: Buffer[], rest: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  yield* first;
  yield* rest;
}

async function decodeStreaming(source: Readable, limits: BodyLimits, codec: BodyCodec): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk);
      done();
    },
  });
  await pipeline(source, byteCap(limits.maxCompressed, 'compressed'), streamingDecoder(codec), byteCap(limits.maxDecoded, 'decoded'), sink);
  return Buffer.concat(chunks);
}

/** Decodes a large body (a collection upload) straight into a file; returns the decoded size. */
export async function writeRequestBodyToFile(
  source: Readable,
  path: string,
  limits: BodyLimits,
  codec: BodyCodec = 'zstd',
): Promise<number> {
  let size = 0;
  const count = async function* (chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      size += chunk.length;
      yield chunk;
    }
  };
  try {
    await pipeline(
      source,
      byteCap(limits.maxCompressed, 'compressed'),
      streamingDecoder(codec),
      byteCap(limits.maxDecoded, 'decoded'),
      count,
      createWriteStream(path, { flags: 'wx', mode: 0o600 }),
    );
  } catch (err) {
    throw asRequestError(err);
  }
  return size;
}
