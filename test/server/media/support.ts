/**
 * Helpers for the media HTTP tests: a tiny media client over test/helpers/sync-client.ts `send`,
 * zips built like the real client builds them (yazl, STORED), a download-zip reader, and
 * snapshots that prove a refused request changed nothing.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { send, syncHeader } from '../../helpers/sync-client.ts';
import type { Reply } from '../../helpers/sync-client.ts';

export const sha1Hex = (data: Buffer | string): string => createHash('sha1').update(data).digest('hex');

/** `[filename, content]` to add, `[filename, null]` to delete. */
export type UploadItem = readonly [string, Buffer | string | null];

/**
 * An upload zip exactly as the Rust client writes it (docs/protocol/media-sync.md §3.4): entries named by
 * their index in the list (deletions take an index without an entry), STORED, then `_meta`.
 */
export async function uploadZip(items: readonly UploadItem[], opts: { compress?: boolean } = {}): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const meta: [string, string | null][] = [];
  items.forEach(([fname, data], i) => {
    if (data === null) {
      meta.push([fname, null]);
      return;
    }
    zip.addBuffer(Buffer.from(data), String(i), { compress: opts.compress ?? false });
    meta.push([fname, String(i)]);
  });
  zip.addBuffer(Buffer.from(JSON.stringify(meta)), '_meta', { compress: false });
  return zipBytes(zip);
}

/** A zip with the given raw entries (name → bytes), for hand-made bad uploads. */
export async function rawZip(entries: Record<string, Buffer | string>, opts: { compress?: boolean } = {}): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, data] of Object.entries(entries)) zip.addBuffer(Buffer.from(data), name, { compress: opts.compress ?? false });
  return zipBytes(zip);
}

function zipBytes(zip: yazl.ZipFile): Promise<Buffer> {
  const out = buffer(zip.outputStream as Readable);
  zip.end();
  return out;
}

export interface DownloadedZip {
  /** `_meta` as sent: entry name → filename. */
  readonly meta: Record<string, string>;
  /** Entry names in zip order. */
  readonly order: string[];
  readonly entries: Map<string, Buffer>;
  /** Compression method per entry (0 = STORED). */
  readonly methods: Map<string, number>;
}

export async function readZip(bytes: Buffer): Promise<DownloadedZip> {
  const zip = await yauzl.fromBufferPromise(bytes);
  const entries = new Map<string, Buffer>();
  const methods = new Map<string, number>();
  const order: string[] = [];
  for await (const entry of zip.eachEntry()) {
    order.push(entry.fileName);
    methods.set(entry.fileName, entry.compressionMethod);
    const data = await buffer(await zip.openReadStreamPromise(entry));
    // yauzl does not check CRC-32; the real client's zip reader does.
    assert.equal(crc32(data) >>> 0, entry.crc32 >>> 0, `CRC-32 of entry ${entry.fileName}`);
    entries.set(entry.fileName, data);
  }
  const metaBytes = entries.get('_meta');
  assert.ok(metaBytes, 'download zip has no _meta');
  return { meta: JSON.parse(metaBytes.toString('utf8')) as Record<string, string>, order, entries, methods };
}

export type Change = [string, number, string];

/** Speaks the media protocol for one account. */
export class MediaClient {
  readonly endpoint: string;
  readonly hkey: string;

  constructor(endpoint: string, hkey: string) {
    this.endpoint = endpoint;
    this.hkey = hkey;
  }

  post(method: string, body: unknown): Promise<Reply> {
    return send(this.endpoint, `msync/${method}`, { header: syncHeader(this.hkey, 'media1'), body });
  }

  /** POST and expect 200 with the `{data, err: ""}` envelope; returns `data`. */
  async data<T>(method: string, body: unknown): Promise<T> {
    const r = await this.post(method, body);
    assert.equal(r.status, 200, `${method} answered ${r.status}: ${r.text()}`);
    assert.equal(Number(r.headers['anki-original-size']), r.body.length, 'anki-original-size is the decoded length');
    const json = r.json() as { data: T; err: string };
    assert.deepEqual(Object.keys(json).sort(), ['data', 'err']);
    assert.equal(json.err, '');
    return json.data;
  }

  async usn(): Promise<number> {
    return (await this.data<{ usn: number; sk: string }>('begin', { v: 'anki,26.9.3 (test),linux' })).usn;
  }

  changes(lastUsn: number): Promise<Change[]> {
    return this.data<Change[]>('mediaChanges', { lastUsn });
  }

  /** Every change from `after` on, following the 1000-entry pages like the client does. */
  async allChanges(after = 0): Promise<Change[]> {
    const out: Change[] = [];
    let cursor = after;
    for (;;) {
      const page = await this.changes(cursor);
      if (page.length === 0) return out;
      out.push(...page);
      cursor = page[page.length - 1]![1];
    }
  }

  async upload(items: readonly UploadItem[]): Promise<[number, number]> {
    return this.data<[number, number]>('uploadChanges', await uploadZip(items));
  }

  uploadRaw(zip: Buffer): Promise<Reply> {
    return this.post('uploadChanges', zip);
  }

  async download(files: readonly string[]): Promise<DownloadedZip> {
    const r = await this.post('downloadFiles', { files });
    assert.equal(r.status, 200, `downloadFiles answered ${r.status}`);
    assert.equal(Number(r.headers['anki-original-size']), r.body.length, 'anki-original-size is the zip length');
    return readZip(r.body);
  }

  sanity(local: number): Promise<string> {
    return this.data<string>('mediaSanity', { local });
  }
}

/**
 * Every file under `root` (path → sha1, folders marked), except the media database files, whose
 * contents are compared through the protocol instead (they are held open with an exclusive lock).
 */
export function treeSnapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const rel = relative(root, path);
      if (/(^|\/)media\.db(-wal|-shm|-journal)?$/.test(rel)) continue;
      // Hearth's own bookkeeping (activity.json is written a moment after requests) is not media.
      if (rel === '.hearth' || rel.startsWith('.hearth/')) continue;
      if (statSync(path).isDirectory()) {
        out[`${rel}/`] = 'dir';
        walk(path);
      } else {
        out[rel] = sha1Hex(readFileSync(path));
      }
    }
  };
  walk(root);
  return out;
}

/** What a client can see of the media DB: the usn and every row (name, usn, sha1). */
export async function mediaState(client: MediaClient): Promise<{ usn: number; rows: Change[] }> {
  return { usn: await client.usn(), rows: await client.allChanges(-1) };
}

export function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = (Math.imul(seed, 2654435761) + 1) >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}
