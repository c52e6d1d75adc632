/**
 * One timed protocol-11 exchange. Unlike test/helpers/sync-client.ts `send`, the body must
 * already be compressed (so client-side compression is not timed), the reply is decoded only
 * after the clock stops (so client-side decompression is not timed either), the upload respects
 * back-pressure, and every exchange has a timeout. Framing is the same as the real client's:
 * chunked transfer encoding, one zstd frame without a content size.
 */
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { zstdDecompressSync } from 'node:zlib';

/** Longest one HTTP exchange (upload or download of the largest collection) may take. */
export const EXCHANGE_TIMEOUT_MS = 180_000;
const UPLOAD_CHUNK_BYTES = 64 * 1024;

export interface TimedReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** Bytes as received (zstd for 200 replies with anki-original-size). */
  readonly wire: Buffer;
  /** Request start → response headers. */
  readonly firstByteMs: number;
  /** Request start → last response byte. */
  readonly totalMs: number;
  /** Decodes the body (outside the timed part). */
  decoded(): Buffer;
}

export async function timedPost(
  endpoint: string,
  path: string,
  header: Record<string, unknown>,
  compressedBody: Buffer,
  timeoutMs = EXCHANGE_TIMEOUT_MS,
): Promise<TimedReply> {
  const url = new URL(path, endpoint);
  const signal = AbortSignal.timeout(timeoutMs);
  const started = performance.now();
  return new Promise<TimedReply>((resolve, reject) => {
    const fail = (err: Error): void => {
      reject(signal.aborted ? new Error(`POST ${path} did not finish within ${timeoutMs} ms (EXCHANGE_TIMEOUT_MS)`, { cause: err }) : err);
    };
    const req = request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/octet-stream', 'anki-sync': JSON.stringify(header) }, signal },
      (res) => {
        const firstByteMs = performance.now() - started;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('end', () => {
          const totalMs = performance.now() - started;
          const wire = Buffer.concat(chunks);
          const status = res.statusCode ?? 0;
          resolve({
            status,
            headers: res.headers,
            wire,
            firstByteMs,
            totalMs,
            decoded: () => (status === 200 && res.headers['anki-original-size'] !== undefined ? zstdDecompressSync(wire) : wire),
          });
        });
      },
    );
    req.on('error', fail);
    const write = async (): Promise<void> => {
      for (let i = 0; i < compressedBody.length; i += UPLOAD_CHUNK_BYTES) {
        if (!req.write(compressedBody.subarray(i, i + UPLOAD_CHUNK_BYTES))) {
          await new Promise<void>((ok) => req.once('drain', ok));
        }
        if (req.destroyed) return;
      }
      req.end();
    };
    write().catch(fail);
  });
}
