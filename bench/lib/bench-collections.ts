/**
 * The benchmark's collections, built once and cached in bench/.cache/ (gitignored by `.cache/`).
 *
 * For each size there are two files:
 * - `<name>.device.anki2`: the client's collection, built by bench/build_collection.py with the
 *   real Anki client core and checked with its own Check Database;
 * - `<name>.upload.anki2`: the exact bytes the real client sends in a full upload of that device
 *   (it first sets every usn to 0 and closes the file as schema 18), captured by letting the real
 *   client upload to a tiny local endpoint that only stores what it receives.
 *
 * The cache is rebuilt when the builder script or the recipe changes (manifest.json).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createZstdDecompress, zstdCompressSync } from 'node:zlib';

import { AnkiClient } from '../../test/interop/anki-client.ts';

/** Longest building one collection with the real client may take. */
export const BUILD_TIMEOUT_MS = 180_000;
/** Longest capturing the real client's upload bytes may take. */
export const CAPTURE_TIMEOUT_MS = 180_000;

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CACHE_DIR = path.join(PROJECT_ROOT, 'bench', '.cache');
const BUILDER = path.join(PROJECT_ROOT, 'bench', 'build_collection.py');
const PYTHON = process.env['HEARTH_ANKI_PYTHON'] ?? path.join(PROJECT_ROOT, '.venv', 'bin', 'python');
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export interface BuildInfo {
  readonly notes: number;
  readonly cards: number;
  readonly revlog: number;
  readonly decks: number;
  readonly bytes: number;
  readonly integrity: string[];
  readonly problems: string[];
  readonly ok: boolean;
  readonly seconds: number;
}

export interface BenchCollection {
  /** Short name used in tables: "20k notes", "100 MB". */
  readonly label: string;
  readonly devicePath: string;
  readonly uploadPath: string;
  readonly uploadBytes: number;
  readonly info: BuildInfo;
}

interface Recipe {
  readonly key: string;
  readonly label: string;
  readonly args: (cache: string) => string[];
}

export const BASE_NOTES = 20_000;
export const BASE_REVLOG = 50_000;
export const LARGE_TARGET_MIB = 100;

const RECIPES: Recipe[] = [
  {
    key: 'notes20k',
    label: '20k notes',
    args: (cache) => [
      'base',
      '--out',
      path.join(cache, 'notes20k.device.anki2'),
      '--notes',
      String(BASE_NOTES),
      '--revlog',
      String(BASE_REVLOG),
    ],
  },
  {
    key: 'large100m',
    label: `${LARGE_TARGET_MIB} MiB`,
    args: (cache) => [
      'enlarge',
      '--src',
      path.join(cache, 'notes20k.device.anki2'),
      '--out',
      path.join(cache, 'large100m.device.anki2'),
      '--target-mib',
      String(LARGE_TARGET_MIB),
    ],
  },
];

function runPython(args: string[], timeoutMs: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: 'error' } });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-8000)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not finish within ${timeoutMs} ms (BUILD_TIMEOUT_MS)\n${err}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${what} failed (exit ${code})\n${out}\n${err}`));
    });
  });
}

/**
 * Lets the real client full-upload `devicePath` to a local endpoint that stores the decoded body
 * in `outPath` and answers "OK" the way a sync server does. The device file is changed by the
 * upload (usn 0 everywhere), so the caller passes a copy.
 */
async function captureUpload(devicePath: string, outPath: string): Promise<void> {
  const seen: string[] = [];
  let stored: Promise<void> | undefined;
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.method === 'POST' && req.url === '/sync/upload') {
      stored = pipeline(req, createZstdDecompress(), createWriteStream(outPath));
      stored.then(
        () => {
          const ok = zstdCompressSync(Buffer.from('OK'));
          res.writeHead(200, { 'anki-original-size': '2', 'content-length': String(ok.length) });
          res.end(ok);
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
      return;
    }
    req.resume();
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  const client = await AnkiClient.start({ requestTimeoutMs: CAPTURE_TIMEOUT_MS });
  try {
    await client.setAuth(devicePath, `http://127.0.0.1:${port}/`, 'bench-capture');
    await client.fullUpload(devicePath);
    await stored;
  } finally {
    await client.stop();
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
  }
  if (!seen.includes('POST /sync/upload')) throw new Error(`the client did not upload; it sent: ${seen.join(', ')}`);
  const head = readFileSync(outPath).subarray(0, SQLITE_MAGIC.length);
  if (!head.equals(SQLITE_MAGIC)) throw new Error('captured upload is not an SQLite file');
}

function fingerprint(): string {
  const h = createHash('sha256');
  h.update(readFileSync(BUILDER));
  h.update(readFileSync(fileURLToPath(import.meta.url)));
  for (const r of RECIPES) h.update(JSON.stringify(r.args('')));
  return h.digest('hex').slice(0, 16);
}

interface Manifest {
  fingerprint: string;
  collections: Record<string, BuildInfo>;
}

/** Returns the cached collections, building (and capturing) whatever is missing or stale. */
export async function ensureCollections(opts: { rebuild: boolean; log: (line: string) => void }): Promise<BenchCollection[]> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const manifestPath = path.join(CACHE_DIR, 'manifest.json');
  const fp = fingerprint();
  let manifest: Manifest = { fingerprint: fp, collections: {} };
  if (!opts.rebuild && existsSync(manifestPath)) {
    const old = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    if (old.fingerprint === fp) manifest = old;
  }
  const result: BenchCollection[] = [];
  for (const recipe of RECIPES) {
    const devicePath = path.join(CACHE_DIR, `${recipe.key}.device.anki2`);
    const uploadPath = path.join(CACHE_DIR, `${recipe.key}.upload.anki2`);
    let info = manifest.collections[recipe.key];
    if (info === undefined || !existsSync(devicePath) || !existsSync(uploadPath)) {
      opts.log(`building ${recipe.label} collection with the real Anki client (cached in bench/.cache/) …`);
      rmSync(uploadPath, { force: true });
      const out = await runPython([BUILDER, ...recipe.args(CACHE_DIR)], BUILD_TIMEOUT_MS, `build_collection.py ${recipe.key}`);
      info = JSON.parse(out.trim().split('\n').pop() ?? '{}') as BuildInfo;
      if (!info.ok) throw new Error(`${recipe.key}: the client's Check Database is not clean: ${JSON.stringify(info)}`);
      // The media folder the client creates next to the collection is not part of the benchmark.
      rmSync(devicePath.replace(/\.anki2$/, '.media'), { recursive: true, force: true });
      const tmp = await mkdtemp(path.join(tmpdir(), 'hearth-bench-capture-'));
      try {
        const copy = path.join(tmp, 'collection.anki2');
        copyFileSync(devicePath, copy);
        opts.log(`capturing the real client's upload bytes for ${recipe.label} …`);
        await captureUpload(copy, uploadPath);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
      manifest.collections[recipe.key] = info;
      writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
      opts.log(
        `  ${recipe.label}: ${info.notes} notes, ${info.cards} cards, ${info.revlog} revlog, ${(statSync(uploadPath).size / 2 ** 20).toFixed(1)} MiB, built in ${info.seconds} s`,
      );
    }
    result.push({ label: recipe.label, devicePath, uploadPath, uploadBytes: statSync(uploadPath).size, info });
  }
  return result;
}
