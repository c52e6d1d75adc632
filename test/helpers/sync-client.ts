/**
 * A small protocol-level client for tests: builds the anki-sync header, zstd-compresses bodies
 * with a streaming encoder (no content size in the frame, like real clients), and decodes
 * replies. Able to send malformed input on purpose.
 */
import { request } from 'node:http';
import { createZstdCompress, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** Decoded body for 200s with anki-original-size; raw bytes otherwise. */
  readonly body: Buffer;
  text(): string;
  json(): unknown;
}

/** Compresses like the Rust client: a streaming encoder, so the frame has no content size. */
export async function zstdStreamed(data: Buffer | string): Promise<Buffer> {
  return buffer(Readable.from([Buffer.from(data)]).pipe(createZstdCompress()));
}

export interface PostOptions {
  /** The anki-sync header: an object (JSON-encoded), a raw string, or null to omit it. */
  readonly header?: Record<string, unknown> | string | null;
  /** Uncompressed body (object → JSON); compressed with zstd unless `raw` is given. */
  readonly body?: unknown;
  /** Bytes sent as they are (for garbage and bombs). */
  readonly raw?: Buffer;
  readonly method?: string;
  /** Default application/octet-stream, as current clients send. */
  readonly contentType?: string;
}

export function syncHeader(hkey: string, skey = 'test01', v = 11): Record<string, unknown> {
  return { v, k: hkey, c: '26.9.3,hearth-test,linux', s: skey };
}

export async function send(endpoint: string, path: string, opts: PostOptions = {}): Promise<Reply> {
  let payload: Buffer | undefined = opts.raw;
  if (payload === undefined && opts.body !== undefined) {
    const plain = Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(JSON.stringify(opts.body));
    payload = await zstdStreamed(plain);
  }
  const headers: Record<string, string> = { 'content-type': opts.contentType ?? 'application/octet-stream' };
  if (opts.header !== null && opts.header !== undefined) {
    headers['anki-sync'] = typeof opts.header === 'string' ? opts.header : JSON.stringify(opts.header);
  }
  const url = new URL(path, endpoint);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        let body = Buffer.concat(chunks);
        const original = res.headers['anki-original-size'];
        if (res.statusCode === 200 && original !== undefined) body = zstdDecompressSync(body);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          text: () => body.toString('utf8'),
          json: () => JSON.parse(body.toString('utf8')) as unknown,
        });
      });
    });
    req.on('error', reject);
    // Chunked transfer encoding, like reqwest's streamed bodies.
    if (payload) {
      const step = 64 * 1024;
      for (let i = 0; i < payload.length; i += step) req.write(payload.subarray(i, i + step));
    }
    req.end();
  });
}

/**
 * A hostKey (login) request sent from `localAddress`: another loopback address (127.0.0.5) plays
 * another device on the network. Resolves with the status.
 */
export function loginFrom(endpoint: string, localAddress: string, u: string, p: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(new URL('/sync/hostKey', endpoint), {
      method: 'POST',
      localAddress,
      headers: { 'content-type': 'application/octet-stream', 'anki-sync': JSON.stringify(syncHeader('')) },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(zstdCompressSync(Buffer.from(JSON.stringify({ u, p }))));
  });
}
