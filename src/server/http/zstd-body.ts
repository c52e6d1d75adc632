/**
 * Request bodies are one zstd frame, streamed with chunked encoding and without a content size
 * (spec http.md §2.2). Both the bytes on the wire and the decoded bytes are capped, so a small
 * "zstd bomb" cannot make the server allocate or write more than the limit.
 */
import { createZstdDecompress } from 'node:zlib';
import { createWriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { SyncHttpError, badRequest } from '../errors.ts';

/** Decoder output chunk: 256 KiB instead of 16 KiB makes large uploads decode ~2× faster. */
const DECODE_CHUNK = 256 * 1024;

export interface BodyLimits {
  /** Most bytes accepted on the wire. */
  readonly maxCompressed: number;
  /** Most bytes the body may decode to. */
  readonly maxDecoded: number;
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
  if (code.startsWith('ERR_ZSTD') || code.startsWith('Z_') || /zstd|unknown frame|corrupt/i.test(String(err))) {
    return badRequest(`body is not valid zstd (${code || 'decode error'})`);
  }
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE') return badRequest('client closed the request early');
  return err;
}

/** Decodes a small body (JSON) into memory. */
export async function readZstdBody(source: Readable, limits: BodyLimits): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk);
      done();
    },
  });
  try {
    await pipeline(
      source,
      byteCap(limits.maxCompressed, 'compressed'),
      createZstdDecompress({ chunkSize: DECODE_CHUNK }),
      byteCap(limits.maxDecoded, 'decoded'),
      sink,
    );
  } catch (err) {
    throw asRequestError(err);
  }
  return Buffer.concat(chunks);
}

/** Decodes a large body (a collection upload) straight into a file; returns the decoded size. */
export async function writeZstdBodyToFile(source: Readable, path: string, limits: BodyLimits): Promise<number> {
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
      createZstdDecompress({ chunkSize: DECODE_CHUNK }),
      byteCap(limits.maxDecoded, 'decoded'),
      count,
      createWriteStream(path, { flags: 'wx', mode: 0o600 }),
    );
  } catch (err) {
    throw asRequestError(err);
  }
  return size;
}
