/**
 * What every side-by-side benchmark needs around its measurements: a watchdog that bounds the
 * whole run, servers and Anki drivers that are stopped on every way out, Python helpers with
 * their own timeouts, one timed operation measured the same way everywhere (quiet moment first,
 * then wall time, the server's peak RSS and CPU, other load on the machine), and folders for
 * CPU profiles of the Hearth server.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import { AnkiClient } from '../../test/interop/anki-client.ts';
import type { RunningServer, ServerKind } from '../../test/interop/servers.ts';
import { CACHE_DIR, PROJECT_ROOT } from './bench-collections.ts';
import type { TimeWindow } from './cpu-profile.ts';
import { prepareDataDisk } from './data-disk.ts';
import type { DataDisk } from './data-disk.ts';
import { hearthVersion } from './hearth-version.ts';
import type { HearthVersion } from './hearth-version.ts';
import { createQuietGate, watchForeignLoad } from './machine-load.ts';
import type { QuietGate } from './machine-load.ts';
import type { Sample } from './report.ts';
import { watchRss } from './rss.ts';

export const PYTHON = process.env['HEARTH_ANKI_PYTHON'] ?? path.join(PROJECT_ROOT, '.venv', 'bin', 'python');
/** How many runs' CPU profiles each benchmark keeps in bench/.cache/profiles-<name>/. */
export const PROFILES_KEPT = 5;
/** Sampling interval of the servers' CPU profiles, µs (Node's default, 1000, gives few samples for sub-second operations). */
export const PROFILE_INTERVAL_US = 250;

/** NODE_OPTIONS that make a Hearth server write a CPU profile into `dir` when it exits. */
export const cpuProfileEnv = (dir: string): Record<string, string> => ({
  NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir} --cpu-prof-interval=${PROFILE_INTERVAL_US}`,
});

/** How much of a server's output is logged when an operation against it fails. */
const SERVER_OUTPUT_TAIL_CHARS = 3000;
/** After main() has ended, how long the process may still take to exit by itself. */
const EXIT_GRACE_MS = 5_000;

/** CLOCK_MONOTONIC in microseconds: the clock of V8 CPU profiles. */
export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

export interface Measured<T> {
  readonly sample: Sample;
  /** CLOCK_MONOTONIC µs, for CPU profiles. */
  readonly window: TimeWindow;
  /** Wall clock (epoch ms), for server log lines. */
  readonly epoch: [number, number];
  readonly value: T;
}

export interface HarnessOptions {
  /** Short name, used in log lines and for the profile folder ("normal-sync"). */
  readonly name: string;
  /** The whole run must end within this; then the watchdog kills children and exits with 2. */
  readonly timeoutMs: number;
  /** Name of the constant holding timeoutMs, for the watchdog's message. */
  readonly timeoutName: string;
  /** `--hearth` flag: "worktree" or a git ref. */
  readonly hearthRef: string;
  /** Per-request timeout of the Anki drivers. */
  readonly driverRequestTimeoutMs: number;
  /** Users the servers get (user:password). */
  readonly users: string[];
  /** Total time the run may wait for quiet moments (default QUIET_WAIT_BUDGET_MS of machine-load.ts). */
  readonly quietBudgetMs?: number;
}

export class Harness {
  readonly quietGate: QuietGate;
  readonly started = performance.now();
  readonly #opts: HarnessOptions;
  readonly #servers = new Set<RunningServer>();
  readonly #clients = new Set<AnkiClient>();
  readonly #children = new Set<ChildProcess>();
  readonly #watchdog: NodeJS.Timeout;
  #hearth: HearthVersion | undefined;
  #disk: DataDisk | undefined;

  constructor(opts: HarnessOptions) {
    this.#opts = opts;
    this.quietGate = createQuietGate(opts.quietBudgetMs === undefined ? {} : { budgetMs: opts.quietBudgetMs });
    this.#watchdog = setTimeout(() => {
      this.log(`the benchmark did not finish within ${opts.timeoutMs} ms (${opts.timeoutName}); stopping`);
      for (const s of this.#servers) {
        try {
          process.kill(s.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      for (const c of this.#children) c.kill('SIGKILL');
      // The Anki drivers exit by themselves when their stdin closes with this process.
      process.exit(2);
    }, opts.timeoutMs);
    this.#watchdog.unref();
  }

  log(line: string): void {
    process.stderr.write(`[${this.#opts.name}] ${line}\n`);
  }

  get hearth(): HearthVersion {
    if (this.#hearth === undefined) throw new Error('Harness.init() has not run');
    return this.#hearth;
  }

  async init(): Promise<void> {
    this.#hearth = await hearthVersion(this.#opts.hearthRef);
    this.log(`Hearth: ${this.#hearth.label}`);
    this.#disk = prepareDataDisk((line) => this.log(line));
  }

  get disk(): DataDisk {
    if (this.#disk === undefined) throw new Error('Harness.init() has not run');
    return this.#disk;
  }

  /** A new folder on the run's data disk (data-disk.ts), for devices or a server's data. */
  dataFolder(prefix: string): string {
    return mkdtempSync(path.join(this.disk.root, prefix));
  }

  elapsedS(): number {
    return (performance.now() - this.started) / 1000;
  }

  /** Time left before the watchdog stops the run. */
  remainingMs(): number {
    return this.#opts.timeoutMs - (performance.now() - this.started);
  }

  async withServer<T>(kind: ServerKind, env: Record<string, string>, fn: (s: RunningServer) => Promise<T>): Promise<T> {
    let server: RunningServer;
    const base = this.dataFolder(`${kind}-server-`);
    try {
      server = await this.hearth.servers.startServer(kind, { users: this.#opts.users, env, base, built: this.hearth.built });
    } catch (err) {
      rmSync(base, { recursive: true, force: true });
      if (kind === 'hearth' && this.#opts.hearthRef === 'worktree') {
        this.log("the working tree's Hearth did not start; `--hearth HEAD` benchmarks the last commit instead");
      }
      throw err;
    }
    this.#servers.add(server);
    try {
      return await fn(server);
    } catch (err) {
      this.log(`${kind} server output (tail):\n${server.output().slice(-SERVER_OUTPUT_TAIL_CHARS)}`);
      throw err;
    } finally {
      this.#servers.delete(server);
      await server.stop();
      rmSync(base, { recursive: true, force: true });
    }
  }

  async withClient<T>(fn: (c: AnkiClient) => Promise<T>): Promise<T> {
    const client = await AnkiClient.start({ requestTimeoutMs: this.#opts.driverRequestTimeoutMs });
    this.#clients.add(client);
    try {
      return await fn(client);
    } finally {
      this.#clients.delete(client);
      await client.stop();
    }
  }

  /** Runs a Python script of the benchmark with the `anki` package; its last stdout line is JSON. */
  runPython<T>(script: string, args: string[], timeoutMs: number, timeoutName: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const child = spawn(PYTHON, [path.join(PROJECT_ROOT, 'bench', script), ...args], {
        cwd: PROJECT_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, RUST_LOG: 'error' },
      });
      this.#children.add(child);
      let out = '';
      let err = '';
      child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
      child.stderr!.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-8000)));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${script} did not finish within ${timeoutMs} ms (${timeoutName})\n${err}`));
      }, timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        this.#children.delete(child);
        reject(e);
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        this.#children.delete(child);
        if (code !== 0) {
          reject(new Error(`${script} ${args.join(' ')} failed (exit ${code})\n${out}\n${err}`));
          return;
        }
        try {
          resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as T);
        } catch (e) {
          reject(new Error(`${script} printed no JSON: ${out.slice(-2000)}\n${err}`, { cause: e }));
        }
      });
    });
  }

  /**
   * One measured operation: waits (bounded) for a quiet machine, then times `fn` while watching
   * the server process's peak RSS and CPU time and the other load on the machine.
   */
  async measure<T>(server: RunningServer, fn: () => Promise<T>): Promise<Measured<T>> {
    await this.quietGate.wait();
    const foreign = watchForeignLoad();
    const rss = watchRss(server.pid);
    const e0 = Date.now();
    const w0 = monotonicUs();
    const t0 = performance.now();
    let value: T;
    try {
      value = await fn();
    } catch (err) {
      rss(); // stops its poller
      throw err;
    }
    const ms = performance.now() - t0;
    const w1 = monotonicUs();
    const e1 = Date.now();
    const r = rss();
    return {
      sample: { ms, peakKiB: r.peakKiB, startKiB: r.startKiB, cpuMs: r.cpuMs, foreignCores: foreign() },
      window: [w0, w1],
      epoch: [e0, e1],
      value,
    };
  }

  /** A new folder for this run's CPU profiles; older runs beyond PROFILES_KEPT are removed. */
  profileDir(): string {
    const root = path.join(CACHE_DIR, `profiles-${this.#opts.name}`);
    const dir = path.join(root, new Date().toISOString().replace(/[:.]/g, '-'));
    mkdirSync(dir, { recursive: true });
    for (const old of readdirSync(root).sort().reverse().slice(PROFILES_KEPT)) {
      rmSync(path.join(root, old), { recursive: true, force: true });
    }
    return dir;
  }

  /** Runs the benchmark's main; on failure stops what is still running and sets exit code 1. */
  run(main: () => Promise<void>): void {
    // Whatever might still hold the event loop (a stuck socket) must not keep a finished run alive.
    const exitSoon = (): void => {
      setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
    };
    main().then(
      () => {
        clearTimeout(this.#watchdog);
        this.#disk?.release();
        exitSoon();
      },
      async (err: unknown) => {
        this.log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        for (const c of this.#children) c.kill('SIGKILL');
        for (const s of this.#servers) await s.stop().catch(() => {});
        for (const c of this.#clients) await c.stop().catch(() => {});
        this.#disk?.release();
        clearTimeout(this.#watchdog);
        process.exitCode = 1;
        exitSoon();
      },
    );
  }
}

/** Which server goes first in round `round` (alternating). */
export function orderOf(round: number): ServerKind[] {
  return round % 2 === 0 ? ['official', 'hearth'] : ['hearth', 'official'];
}
