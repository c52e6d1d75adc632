/**
 * Starts a sync server as a child process for interop tests, configured only
 * through the official environment variables (SYNC_USER1..N, SYNC_BASE,
 * SYNC_HOST, SYNC_PORT, MAX_SYNC_PAYLOAD_MEGS, PASSWORDS_HASHED).
 *
 *   official: <root>/.venv/bin/python -m anki.syncserver
 *   hearth:   node src/headless/cli.ts
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, fstatSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ensureTargetNatives } from '../../scripts/target-natives.mjs';

/** Longest a server may take to answer GET /health with 200 after spawning. */
export const SERVER_READY_TIMEOUT_MS = 30_000;
/** Longest stop() waits after SIGTERM before sending SIGKILL. */
export const SERVER_STOP_TIMEOUT_MS = 10_000;
const HEALTH_POLL_INTERVAL_MS = 100;
const HEALTH_REQUEST_TIMEOUT_MS = 2_000;
const OUTPUT_KEEP_CHARS = 256 * 1024;
const PORT_ATTEMPTS = 3;

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HOST = '127.0.0.1';

/** The two servers compared side by side (the benchmarks' yardstick and ours). */
export type ServerKind = 'official' | 'hearth';
/**
 * Every server the interop suites run against: also `hearth-windows`, Hearth's headless server
 * run by Windows Node under Wine, on a data folder whose path Wine maps to drive Z: (set up by
 * scripts/setup-wine.sh; see windowsLane below).
 */
export type SuiteServerKind = ServerKind | 'hearth-windows';

/** What the Windows lane runs with; undefined where it cannot run (not Linux x64, or not set up). */
export const windowsLane = ((): { wine: string; node: string; prefix: string } | undefined => {
  const wine = process.env['HEARTH_WINE'] ?? '/usr/lib/wine/wine64';
  const node = path.join(PROJECT_ROOT, '.tools', 'win-node', 'node.exe');
  const prefix = path.join(PROJECT_ROOT, '.tools', 'wine-prefix');
  return process.platform === 'linux' && existsSync(wine) && existsSync(node) && existsSync(prefix) ? { wine, node, prefix } : undefined;
})();

/** The path Windows programs under Wine see for a path of this machine (drive Z: is `/`). */
export function windowsPath(unixPath: string): string {
  return `Z:${path.resolve(unixPath).split('/').join('\\')}`;
}

export interface ServerOptions {
  /** "username:password" entries, passed as SYNC_USER1, SYNC_USER2, … */
  users: string[];
  /** Data folder (SYNC_BASE). Default: a new temp folder, removed by stop(). */
  base?: string;
  /** MAX_SYNC_PAYLOAD_MEGS. */
  maxPayloadMegs?: number;
  /** Sets PASSWORDS_HASHED=1 (users then carry PHC password hashes). */
  passwordsHashed?: boolean;
  /** Extra environment variables (e.g. RUST_LOG). */
  env?: Record<string, string>;
  /** Copy the server's output to this process's stderr as it arrives. */
  echoOutput?: boolean;
  /**
   * Hearth only: run the built server, `dist/headless/cli.js` (npm run build), the compiled
   * JavaScript the app ships, instead of the TypeScript sources. Benchmarks of memory use it:
   * running the sources costs Node's TypeScript stripper, ~25 MB the app does not have.
   */
  built?: boolean;
}

export interface RunningServer {
  kind: SuiteServerKind;
  /** Sync endpoint with trailing slash, e.g. http://127.0.0.1:40123/ */
  endpoint: string;
  base: string;
  port: number;
  pid: number;
  /** Captured stdout and stderr, interleaved. */
  output(): string;
  /** True while the process runs. */
  running(): boolean;
  /** SIGTERM, wait for exit (SIGKILL after SERVER_STOP_TIMEOUT_MS); removes a temp base. */
  stop(): Promise<void>;
}

export class ServerStartError extends Error {
  readonly output: string;
  constructor(message: string, output: string) {
    super(`${message}\n--- server output ---\n${output.slice(-8000) || '(none)'}`);
    this.name = 'ServerStartError';
    this.output = output;
  }
}

/**
 * A server's stdout and stderr, in a file that is read only when asked for. Through pipes, this
 * process woke for every line a server wrote and copied the kept tail each time: the official
 * server logs a line per media file (5,000 in a small-file upload), and the benchmarks saw the
 * harness use ~0.1–0.25 s of CPU during such an upload, on the same two cores as the server and
 * the client being timed. In memory (/dev/shm) where there is one, so it adds no disk writes
 * next to the data folders either.
 */
class OutputFile {
  readonly path: string;
  #final: string | undefined;

  constructor(kind: SuiteServerKind) {
    const parent = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
    this.path = path.join(mkdtempSync(path.join(parent, `hearth-${kind}-output-`)), 'output.log');
    openOutputs.add(this);
  }

  /** A descriptor the child writes to (the caller closes its copy after spawning). */
  openForChild(): number {
    return openSync(this.path, 'a');
  }

  append(text: string): void {
    appendFileSync(this.path, text);
  }

  /** The last OUTPUT_KEEP_CHARS bytes, as text. */
  tail(): string {
    if (this.#final !== undefined) return this.#final;
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return '';
    }
    try {
      const size = fstatSync(fd).size;
      const buf = Buffer.alloc(Math.min(size, OUTPUT_KEEP_CHARS));
      readSync(fd, buf, 0, buf.length, size - buf.length);
      return buf.toString('utf8');
    } finally {
      closeSync(fd);
    }
  }

  /** Keeps the tail in memory and removes the file. */
  close(): void {
    if (this.#final !== undefined) return;
    this.#final = this.tail();
    rmSync(path.dirname(this.path), { recursive: true, force: true });
    openOutputs.delete(this);
  }
}

/** Output files of servers not stopped yet; removed when this process exits, whatever a test forgot. */
const openOutputs = new Set<OutputFile>();
process.once('exit', () => {
  for (const o of openOutputs) rmSync(path.dirname(o.path), { recursive: true, force: true });
});

/** Finds a free TCP port on 127.0.0.1 by listening on port 0 and closing. */
export async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address() as AddressInfo;
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

let windowsNatives: string[] | undefined;

function serverCommand(kind: SuiteServerKind, opts: ServerOptions): { command: string; args: string[] } {
  if (kind === 'official') {
    const python = process.env['HEARTH_ANKI_PYTHON'] ?? path.join(PROJECT_ROOT, '.venv', 'bin', 'python');
    return { command: python, args: ['-m', 'anki.syncserver'] };
  }
  if (kind === 'hearth-windows') {
    if (!windowsLane) throw new Error('the Windows lane is not set up here: run bash scripts/setup-wine.sh');
    // npm install removes packages of other systems: put the Windows x64 natives back (once, cheap when present).
    windowsNatives ??= ensureTargetNatives({ platform: 'win32', arch: 'x64' });
    return { command: windowsLane.wine, args: [windowsLane.node, 'src\\headless\\cli.ts'] };
  }
  if (opts.built) {
    const entry = path.join(PROJECT_ROOT, 'dist', 'headless', 'cli.js');
    if (!existsSync(entry)) throw new Error(`the built server ${entry} is missing: run npm run build first`);
    return { command: process.execPath, args: [entry] };
  }
  return { command: process.execPath, args: [path.join('src', 'headless', 'cli.ts')] };
}

function serverEnv(kind: SuiteServerKind, opts: ServerOptions, base: string, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // Never let the caller's own sync-server settings leak into the child.
    if (/^SYNC_/.test(key) || key === 'MAX_SYNC_PAYLOAD_MEGS' || key === 'PASSWORDS_HASHED') continue;
    env[key] = value;
  }
  opts.users.forEach((user, i) => {
    env[`SYNC_USER${i + 1}`] = user;
  });
  env['SYNC_BASE'] = kind === 'hearth-windows' ? windowsPath(base) : base;
  env['SYNC_HOST'] = HOST;
  if (kind === 'hearth-windows') {
    env['WINEPREFIX'] = windowsLane!.prefix;
    env['WINEDEBUG'] = '-all';
  }
  env['SYNC_PORT'] = String(port);
  if (opts.maxPayloadMegs !== undefined) env['MAX_SYNC_PAYLOAD_MEGS'] = String(opts.maxPayloadMegs);
  if (opts.passwordsHashed) env['PASSWORDS_HASHED'] = '1';
  return { ...env, ...opts.env };
}

async function waitForExit(child: ChildProcess, exited: Promise<void>, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([exited.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function healthy(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://${HOST}:${port}/health`, {
      signal: AbortSignal.timeout(HEALTH_REQUEST_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

async function startOnce(kind: SuiteServerKind, opts: ServerOptions, base: string, port: number): Promise<RunningServer> {
  const { command, args } = serverCommand(kind, opts);
  const echo = opts.echoOutput ?? process.env['HEARTH_INTEROP_VERBOSE'] === '1';
  const output = new OutputFile(kind);
  // Echoing needs the lines as they come (pipes); otherwise the child writes to the file itself.
  // Windows Node under Wine cannot write to pipes (EBADF): always a file.
  const fd = echo && kind !== 'hearth-windows' ? undefined : output.openForChild();
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      cwd: PROJECT_ROOT,
      env: serverEnv(kind, opts, base, port),
      stdio: fd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', fd, fd],
    });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const capture = (stream: NodeJS.ReadableStream | null, label: string): void => {
    if (stream === null) return;
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      output.append(chunk);
      process.stderr.write(`[${kind}-server ${label}] ${chunk}`);
    });
  };
  capture(child.stdout, 'out');
  capture(child.stderr, 'err');
  let exitDescription: string | null = null;
  const exited = new Promise<void>((resolve) => {
    child.on('error', (err) => {
      exitDescription = `could not run ${command}: ${err.message}`;
      resolve();
    });
    child.on('exit', (code, signal) => {
      exitDescription ??= `exited with code ${code}, signal ${signal}`;
      resolve();
    });
  });

  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null || exitDescription !== null) return;
    child.kill('SIGTERM');
    if (!(await waitForExit(child, exited, SERVER_STOP_TIMEOUT_MS))) {
      child.kill('SIGKILL');
      await exited;
    }
  };

  const stop = async (): Promise<void> => {
    await kill();
    output.close();
  };

  const deadline = Date.now() + SERVER_READY_TIMEOUT_MS;
  for (;;) {
    if (exitDescription !== null) {
      output.close();
      throw new ServerStartError(`${kind} server ${exitDescription} before becoming ready on port ${port}`, output.tail());
    }
    if (await healthy(port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new ServerStartError(
        `${kind} server did not answer GET /health with 200 within ${SERVER_READY_TIMEOUT_MS} ms (SERVER_READY_TIMEOUT_MS) on port ${port}`,
        output.tail(),
      );
    }
    await sleep(HEALTH_POLL_INTERVAL_MS);
  }

  return {
    kind,
    endpoint: `http://${HOST}:${port}/`,
    base,
    port,
    pid: child.pid ?? -1,
    output: () => output.tail(),
    running: () => exitDescription === null,
    stop,
  };
}

/** Starts a server and waits until GET /health answers 200. */
export async function startServer(kind: SuiteServerKind, opts: ServerOptions): Promise<RunningServer> {
  const ownBase = opts.base === undefined;
  // On Windows, a folder name with a space and letters outside ASCII, as a family's often has.
  const prefix = kind === 'hearth-windows' ? 'hearth-windows Dätä-' : `hearth-${kind}-server-`;
  const base = opts.base ?? (await mkdtemp(path.join(tmpdir(), prefix)));
  let lastError: unknown;
  try {
    for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
      const port = await freePort();
      try {
        const server = await startOnce(kind, opts, base, port);
        if (!ownBase) return server;
        return {
          ...server,
          stop: async () => {
            await server.stop();
            await rm(base, { recursive: true, force: true });
          },
        };
      } catch (err) {
        lastError = err;
        // Someone else may have taken the port between our probe and the spawn.
        const portTaken = err instanceof ServerStartError && /address.{0,20}in use|EADDRINUSE/i.test(err.output);
        if (!portTaken) break;
      }
    }
  } catch (err) {
    lastError = err;
  }
  if (ownBase) await rm(base, { recursive: true, force: true });
  throw lastError;
}
