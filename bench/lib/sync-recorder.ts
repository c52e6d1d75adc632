/**
 * Recording the real client's sync requests and replaying them at the protocol level.
 *
 * `startRecordingProxy(target)` is a small HTTP proxy on 127.0.0.1: the real client is pointed at
 * it, every exchange is forwarded unchanged to the target server and kept (path, anki-sync
 * header, the body bytes exactly as the client sent them — zstd-compressed —, status, reply).
 *
 * `replay()` sends recorded requests again, in order, to another server: the same compressed
 * bodies and headers, only the host key (`k` of the anki-sync header) replaced by one that server
 * issued. Each request is timed like bench/lib/timed-exchange.ts (body compressed beforehand,
 * reply decoded after the clock stops), and every reply is compared with the recorded one
 * (status, and for the replies that carry the synced objects, what they contain), so a replay
 * that drifts from the recorded conversation fails instead of measuring something else.
 */
import { createServer, request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { zstdDecompressSync } from 'node:zlib';

import { timedPost } from './timed-exchange.ts';

/** Longest one forwarded exchange may take in the recording proxy. */
export const PROXY_EXCHANGE_TIMEOUT_MS = 180_000;
/** Longest one replayed request may take. */
export const REPLAY_REQUEST_TIMEOUT_MS = 60_000;

export interface Exchange {
  /** e.g. "sync/meta" (no leading slash). */
  readonly path: string;
  /** The anki-sync header as sent (JSON), if any. */
  readonly header: string | undefined;
  /** The request body exactly as sent (zstd-compressed for sync requests). */
  readonly body: Buffer;
  readonly status: number;
  readonly replyHeaders: IncomingHttpHeaders;
  /** The reply as received. */
  readonly reply: Buffer;
}

export interface RecordingProxy {
  readonly endpoint: string;
  readonly exchanges: Exchange[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length']);

export async function startRecordingProxy(targetEndpoint: string): Promise<RecordingProxy> {
  const exchanges: Exchange[] = [];
  const target = new URL(targetEndpoint);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
      headers['content-length'] = String(body.length);
      const url = new URL((req.url ?? '/').replace(/^\//, ''), target);
      const fwd = request(url, { method: req.method, headers, signal: AbortSignal.timeout(PROXY_EXCHANGE_TIMEOUT_MS) }, (up) => {
        const replyChunks: Buffer[] = [];
        up.on('data', (c: Buffer) => replyChunks.push(c));
        up.on('end', () => {
          const reply = Buffer.concat(replyChunks);
          const sync = req.headers['anki-sync'];
          exchanges.push({
            path: (req.url ?? '/').replace(/^\//, ''),
            header: typeof sync === 'string' ? sync : undefined,
            body,
            status: up.statusCode ?? 0,
            replyHeaders: up.headers,
            reply,
          });
          const out: Record<string, string | string[]> = {};
          for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
          out['content-length'] = String(reply.length);
          res.writeHead(up.statusCode ?? 502, out);
          res.end(reply);
        });
        up.on('error', () => res.destroy());
      });
      fwd.on('error', (err) => {
        res.writeHead(502);
        res.end(String(err));
      });
      fwd.end(body);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/`,
    exchanges,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

/** A reply's decoded body (zstd when the server marked it with anki-original-size). */
function decodedReply(status: number, headers: IncomingHttpHeaders, wire: Buffer): Buffer {
  return status === 200 && headers['anki-original-size'] !== undefined ? zstdDecompressSync(wire) : wire;
}

/** The method name of a sync path: "sync/applyChunk" → "applyChunk". */
export const methodOf = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

/**
 * What must be the same in the recorded and the replayed reply, per method: the objects a
 * `chunk` carries (how many of each kind, and whether it is the last), the sanity check's
 * verdict, the keys of other JSON replies. Times, usns and mods may differ.
 */
function replyFingerprint(method: string, decoded: Buffer): string {
  if (decoded.length === 0) return '(empty)';
  let value: unknown;
  try {
    value = JSON.parse(decoded.toString('utf8'));
  } catch {
    return `(${decoded.length} bytes, not JSON)`;
  }
  // Scalars (finish answers the new mod, a time) must only be of the same type.
  if (value === null || typeof value !== 'object') return value === null ? 'null' : typeof value;
  const obj = value as Record<string, unknown>;
  if (method === 'chunk') {
    const len = (k: string): number => (Array.isArray(obj[k]) ? (obj[k] as unknown[]).length : 0);
    return `done=${String(obj['done'])} cards=${len('cards')} notes=${len('notes')} revlog=${len('revlog')}`;
  }
  if (method === 'sanityCheck2') return `status=${String(obj['status'])}`;
  if (method === 'applyChanges') {
    const len = (k: string): number => (Array.isArray(obj[k]) ? (obj[k] as unknown[]).length : Object.keys(obj[k] ?? {}).length);
    return Object.keys(obj)
      .sort()
      .map((k) => (['models', 'decks', 'tags'].includes(k) ? `${k}:${len(k)}` : k))
      .join(',');
  }
  return Object.keys(obj).sort().join(',');
}

export interface ReplayedRequest {
  readonly method: string;
  readonly ms: number;
}

export interface ReplayResult {
  /** First request start → last reply byte. */
  readonly ms: number;
  readonly requests: ReplayedRequest[];
}

/**
 * Replays `exchanges` (sync requests of one sync, in order) against `endpoint` with host key
 * `hkey`. Throws when a reply differs from the recorded one in status or fingerprint.
 */
export async function replay(endpoint: string, hkey: string, exchanges: Exchange[], what: string): Promise<ReplayResult> {
  const requests: ReplayedRequest[] = [];
  const started = performance.now();
  const checks: (() => void)[] = [];
  for (const [i, ex] of exchanges.entries()) {
    const header = { ...(JSON.parse(ex.header ?? '{}') as Record<string, unknown>), k: hkey };
    const reply = await timedPost(endpoint, ex.path, header, ex.body, REPLAY_REQUEST_TIMEOUT_MS);
    const method = methodOf(ex.path);
    requests.push({ method, ms: reply.totalMs });
    if (reply.status !== ex.status) {
      throw new Error(
        `${what}: request ${i + 1} (${ex.path}) answered ${reply.status}, recorded ${ex.status}: ${reply.decoded().toString('utf8').slice(0, 300)}`,
      );
    }
    // Decode and compare after the whole sequence, outside the timed part.
    checks.push(() => {
      const got = replyFingerprint(method, decodedReply(reply.status, reply.headers, reply.wire));
      const want = replyFingerprint(method, decodedReply(ex.status, ex.replyHeaders, ex.reply));
      if (got !== want) throw new Error(`${what}: request ${i + 1} (${ex.path}) replied ${got}; recorded ${want}`);
    });
  }
  const ms = performance.now() - started;
  for (const check of checks) check();
  return { ms, requests };
}

/** "meta, start, applyChanges, chunk ×2, applyChunk ×16, …": the methods of a sequence, runs collapsed. */
export function describeSequence(exchanges: Exchange[]): string {
  const out: [string, number][] = [];
  for (const ex of exchanges) {
    const m = methodOf(ex.path);
    const last = out[out.length - 1];
    if (last !== undefined && last[0] === m) last[1]++;
    else out.push([m, 1]);
  }
  return out.map(([m, n]) => (n === 1 ? m : `${m} ×${n}`)).join(', ');
}

/** Total body bytes sent in a sequence (as on the wire, compressed). */
export const sentBytes = (exchanges: Exchange[]): number => exchanges.reduce((sum, ex) => sum + ex.body.length, 0);
/** Total reply bytes received in a sequence (as on the wire). */
export const receivedBytes = (exchanges: Exchange[]): number => exchanges.reduce((sum, ex) => sum + ex.reply.length, 0);
