/**
 * Streams a body of known length as one zstd frame with `anki-original-size` (docs/protocol/http.md §3):
 * one compression context, finished once, so the client's single-frame decoder sees it all.
 * Used for media download zips, which are built while they are sent.
 */
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createZstdCompress } from 'node:zlib';

/** The same body as it is, for the clients of protocols 8–10: its length is known beforehand. */
export async function sendPlainStream(res: ServerResponse, source: Readable, size: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
  await pipeline(source, res);
}

export async function sendZstdStream(res: ServerResponse, source: Readable, originalSize: number): Promise<void> {
  res.writeHead(200, { 'anki-original-size': String(originalSize) });
  try {
    await pipeline(source, createZstdCompress({ chunkSize: 128 * 1024 }), res);
  } catch (err) {
    // The client stops reading at the end of the zstd frame (docs/protocol/http.md §3) and may drop the
    // connection before the chunked-encoding terminator goes out. Once `end()` has been called
    // the whole frame was handed to the socket: that is a finished reply, not a failure.
    if (res.writableEnded && (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    throw err;
  }
}
