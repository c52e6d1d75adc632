/**
 * Starts the headless server (`node src/headless/cli.ts`, exactly as `npm run serve` does) with its
 * admin page on a free port, for tests that drive the window in a browser (test/ui) or call the
 * admin API directly. The page served is whatever is in dist/renderer (build it first with
 * `npm run build`), unless `staticDir` says otherwise.
 *
 *   const ui = await startUiServer({ users: ['alice:correct-horse'] });
 *   await page.goto(ui.adminUrl);           // http://127.0.0.1:PORT/#token=…
 *   // Anki syncs with ui.syncEndpoint      // http://127.0.0.1:PORT/
 *   await ui.stop();
 *
 * `users` become SYNC_USER1…n (shown as "environment" people, not editable); people added in the
 * window are Hearth accounts in `<base>/.hearth/accounts.json`. With no users the server starts
 * anyway (the first-run guide adds the first person).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHttpApi } from '../../src/shared/api-http.ts';
import type { HearthApi } from '../../src/shared/api.ts';
import { windowsLane, windowsPath } from '../interop/servers.ts';
import { ensureTargetNatives } from '../../scripts/target-natives.mjs';

/** Longest the server may take to print the admin address after spawning. */
export const UI_SERVER_START_TIMEOUT_MS = 30_000;
/** Longest stop() waits after SIGTERM before SIGKILL. */
export const UI_SERVER_STOP_TIMEOUT_MS = 10_000;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface UiServerOptions {
  /** `username:password` entries, passed as SYNC_USER1…n. Default: none. */
  readonly users?: readonly string[];
  /** Data folder (SYNC_BASE). Default: a new temp folder, removed by stop(). */
  readonly base?: string;
  /** Folder with the window's files. Default: dist/renderer. */
  readonly staticDir?: string;
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
  /** Copy the server's output to this process's stderr. */
  readonly echoOutput?: boolean;
  /** Run it with Windows Node under Wine (the Windows lane, test/interop/servers.ts `windowsLane`). */
  readonly windows?: boolean;
  /** Command-line arguments, as after `npm run serve --` (e.g. `--new-admin-link`). */
  readonly args?: readonly string[];
}

export interface UiServer {
  /** The admin page with its token: `http://127.0.0.1:PORT/#token=…`. */
  readonly adminUrl: string;
  /** `http://127.0.0.1:PORT` (no token). */
  readonly adminOrigin: string;
  readonly token: string;
  /** The sync address for Anki, with the trailing slash. */
  readonly syncEndpoint: string;
  readonly base: string;
  /** The HearthApi over HTTP, as the window uses it. */
  readonly api: HearthApi;
  /** Everything the server printed so far. */
  output(): string;
  stop(): Promise<void>;
}

export async function freeLoopbackPort(): Promise<number> {
  return (await freeLoopbackPorts(1))[0]!;
}

/**
 * `count` different free ports: all held open at once, then released. Asked for one after the
 * other, the system can hand out the port it has just been given back, and the headless server
 * then found its admin port taken by its own sync server (EADDRINUSE).
 */
export async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(
      servers.map(
        (s) =>
          new Promise<number>((resolve, reject) => {
            s.unref();
            s.on('error', reject);
            s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port));
          }),
      ),
    );
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))));
  }
}

const ADMIN_LINE = /http:\/\/127\.0\.0\.1:(\d+)\/#token=([A-Za-z0-9_-]+)/;
const SYNC_LINE = /running on http:\/\/[^:]+:(\d+)\//;

export async function startUiServer(options: UiServerOptions = {}): Promise<UiServer> {
  const ownBase = options.base === undefined;
  const base = options.base ?? mkdtempSync(join(tmpdir(), 'hearth-ui-'));
  const [syncPort, adminPort] = (await freeLoopbackPorts(2)) as [number, number];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(SYNC_USER\d+|HEARTH_ADMIN)$/.test(k)) env[k] = v;
  if (options.windows && !windowsLane) throw new Error('the Windows lane is not set up here: run bash scripts/setup-wine.sh');
  const lane = options.windows ? windowsLane : undefined;
  if (lane) ensureTargetNatives({ platform: 'win32', arch: 'x64' });
  Object.assign(env, {
    SYNC_BASE: lane ? windowsPath(base) : base,
    ...(lane ? { WINEPREFIX: lane.prefix, WINEDEBUG: '-all' } : {}),
    SYNC_HOST: '127.0.0.1',
    SYNC_PORT: String(syncPort),
    HEARTH_ADMIN_PORT: String(adminPort),
    ...(options.staticDir ? { HEARTH_ADMIN_STATIC_DIR: options.staticDir } : {}),
    ...options.env,
  });
  (options.users ?? []).forEach((u, i) => (env[`SYNC_USER${i + 1}`] = u));

  // Windows Node under Wine cannot write to pipes (EBADF): its output goes to a file, read as it grows.
  const outputDir = lane ? mkdtempSync(join(tmpdir(), 'hearth-ui-output-')) : undefined;
  const outputFd = outputDir ? openSync(join(outputDir, 'output.log'), 'a') : undefined;
  const child: ChildProcess = lane
    ? spawn(lane.wine, [lane.node, 'src\\headless\\cli.ts', ...(options.args ?? [])], {
        cwd: ROOT,
        env,
        stdio: ['ignore', outputFd!, outputFd!],
      })
    : spawn(process.execPath, [join(ROOT, 'src', 'headless', 'cli.ts'), ...(options.args ?? [])], {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
  if (outputFd !== undefined) closeSync(outputFd);
  let output = '';
  let poll: NodeJS.Timeout | undefined;
  if (outputDir) {
    let seen = 0;
    poll = setInterval(() => {
      let text = '';
      try {
        text = readFileSync(join(outputDir, 'output.log'), 'utf8');
      } catch {
        return;
      }
      if (text.length > seen) {
        onFileData(text.slice(seen));
        seen = text.length;
      }
    }, 100);
  }
  let onFileData: (chunk: string) => void = () => {};
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const found = await new Promise<{ adminPort: number; token: string; syncPort: number }>((resolve, reject) => {
    let admin: RegExpExecArray | null = null;
    let sync: RegExpExecArray | null = null;
    const timer = setTimeout(
      () => fail(`no admin address within ${UI_SERVER_START_TIMEOUT_MS} ms (UI_SERVER_START_TIMEOUT_MS)`),
      UI_SERVER_START_TIMEOUT_MS,
    );
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${why}\n--- server output ---\n${output}`));
    };
    const onData = (chunk: string): void => {
      output += chunk;
      if (options.echoOutput) process.stderr.write(chunk);
      admin ??= ADMIN_LINE.exec(output);
      sync ??= SYNC_LINE.exec(output);
      if (admin && sync) {
        clearTimeout(timer);
        resolve({ adminPort: Number(admin[1]), token: admin[2]!, syncPort: Number(sync[1]) });
      }
    };
    for (const s of [child.stdout, child.stderr]) {
      s?.setEncoding('utf8');
      s?.on('data', onData);
    }
    onFileData = onData;
    child.once('exit', (code) => fail(`the server exited (code ${code}) before it was ready`));
  });

  const adminOrigin = `http://127.0.0.1:${found.adminPort}`;
  return {
    adminUrl: `${adminOrigin}/#token=${found.token}`,
    adminOrigin,
    token: found.token,
    syncEndpoint: `http://127.0.0.1:${found.syncPort}/`,
    base,
    api: createHttpApi({ baseUrl: adminOrigin, token: found.token, fetch: (url, init) => fetch(url, init) }),
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), UI_SERVER_STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      clearInterval(poll);
      if (outputDir) rmSync(outputDir, { recursive: true, force: true });
      if (ownBase) rmSync(base, { recursive: true, force: true });
    },
  };
}
