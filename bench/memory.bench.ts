/**
 * Memory benchmark: the sync server's resident memory, Hearth beside Anki's official server, in
 * the same run. Hearth runs as the built server (`dist/headless/cli.js` from `npm run build`, the
 * compiled JavaScript the app ships: bench/lib/built-server.ts), not the TypeScript sources.
 *
 *   node bench/memory.bench.ts [--rounds 3] [--no-docs]
 *
 * Per round (alternating which server goes first) and server kind:
 * 1. Idle after start: a fresh server; its RSS (VmRSS of /proc/<pid>/status) and RssAnon (the
 *    private part: what Windows Task Manager and macOS Activity Monitor count) read when it has
 *    answered GET /health, and again IDLE_WAIT_MS (15 s) later with no request meanwhile: V8's
 *    memory reducer shrinks a Node heap ~8 s after start, so the later reading is what an idle
 *    Hearth holds.
 * 2. Idle after a sync of the 20,000-note collection (bench/lib/bench-collections.ts), on the same
 *    server, with the real Anki client (test/interop/anki-client.ts): device A full-uploads it,
 *    device B full-downloads it, A answers 2,000 cards (bench/review_cards.py) and syncs, B syncs.
 *    The server's peak RSS over the whole sequence (VmHWM reset first, bench/lib/rss.ts); then the
 *    client's driver exits (no connection left open), and IDLE_WAIT_MS later RSS and RssAnon.
 *    The collection has no media, so there is no media sync.
 * 3. Peak with 20 devices: a fresh server with 5 people × 4 devices, each device its own real
 *    client (one driver process each). Each person's collection (a small one, bench/build_collection.py,
 *    SMALL_NOTES notes) is full-uploaded by one device and full-downloaded by the other three;
 *    then for LOAD_MS (60 s) every device loops at once: answer LOOP_CARDS cards
 *    (bench/review_cards.py) and sync normally, a person's devices taking turns to sync (both
 *    servers allow one sync per person at a time and abort it when another starts). The server's
 *    peak RSS over the 60 s (and the syncs still in flight at its end), its CPU time, and the
 *    syncs completed (and failed) per server, so that a slower server shows.
 * 4. Prints a markdown report (MB = 10^6 bytes throughout) with the goals of issue 22, and
 *    replaces this benchmark's section of docs/benchmarks.md unless --no-docs.
 *
 * Each measurement waits first for a quiet machine (bench/lib/machine-load.ts). The whole run is
 * bounded by BENCH_TIMEOUT_MS; every wait has its own named timeout.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

import { AnkiClient, AnkiClientError } from '../test/interop/anki-client.ts';
import type { SyncResult } from '../test/interop/anki-client.ts';
import { startServer } from '../test/interop/servers.ts';
import type { RunningServer, ServerKind } from '../test/interop/servers.ts';
import { PROJECT_ROOT, ensureCollections } from './lib/bench-collections.ts';
import type { BenchCollection } from './lib/bench-collections.ts';
import { buildServer } from './lib/built-server.ts';
import { Harness, orderOf } from './lib/harness.ts';
import { median, updateDocs } from './lib/report.ts';
import { watchForeignLoad } from './lib/machine-load.ts';
import { watchRss } from './lib/rss.ts';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    'no-docs': { type: 'boolean', default: false },
  },
});
const ROUNDS = Math.max(1, Number.parseInt(flags.rounds, 10) || 3);

/** Building the server and (the first time) the collections, before the first round. */
const SETUP_BUDGET_MS = 8 * 60_000;
/** One round: both servers through all three measurements (~3 min on 2 cores), with room to spare. */
const ROUND_BUDGET_MS = 8 * 60_000;
/** The whole benchmark must end within this; then the watchdog kills its children and exits 2. */
const BENCH_TIMEOUT_MS = SETUP_BUDGET_MS + ROUNDS * ROUND_BUDGET_MS;
/** Real-client requests (login, sync, full upload/download, SQL). */
const DRIVER_REQUEST_TIMEOUT_MS = 120_000;
/** bench/review_cards.py answering the 2,000 cards of the 20k-note sequence. */
const REVIEW_TIMEOUT_MS = 60_000;
/** bench/review_cards.py answering a few cards in the 20-device loop (20 devices share 2 cores). */
const LOOP_REVIEW_TIMEOUT_MS = 60_000;
/** bench/build_collection.py building the people's small collection. */
const SMALL_BUILD_TIMEOUT_MS = 60_000;
/** How long a server sits without a request before its idle memory is read (V8's memory reducer runs ~8 s after start). */
const IDLE_WAIT_MS = 15_000;
/**
 * How long a Hearth start waits for `dist/headless/cli.js` when it is missing: `npm run build`
 * elsewhere in the checkout (a test, another benchmark) removes dist/ first and writes it anew.
 */
const BUILT_SERVER_WAIT_MS = 120_000;
/** After it came back: time for that build to write the rest of dist/ (the server's other modules, the window). */
const BUILD_SETTLE_MS = 5_000;
/** How long the 20 devices loop. */
const LOAD_MS = 60_000;

/** Goals of issue 22, in MB (10^6 bytes). */
const GOAL_IDLE_START_MB = 60;
const GOAL_IDLE_AFTER_SYNC_MB = 70;
const GOAL_CROWD_PEAK_RATIO = 1.5;

const USER = 'alice';
const PASSWORD = 'bench-password';
/** Cards device A answers before its normal sync in the 20k-note sequence (as bench/normal-sync.bench.ts). */
const REVIEW_CARDS = 2000;
const PEOPLE = 5;
const DEVICES_PER_PERSON = 4;
const DEVICES = PEOPLE * DEVICES_PER_PERSON;
/** Notes (two cards each) and revlog rows of each person's collection in the 20-device load. */
const SMALL_NOTES = 300;
const SMALL_REVLOG = 600;
/** Cards a device answers before each sync of the 20-device loop. */
const LOOP_CARDS = 10;

const CROWD_USERS = Array.from({ length: PEOPLE }, (_, i) => `person${i + 1}:${PASSWORD}`);

const h = new Harness({
  name: 'memory',
  timeoutMs: BENCH_TIMEOUT_MS,
  timeoutName: 'BENCH_TIMEOUT_MS',
  hearthRef: 'worktree',
  driverRequestTimeoutMs: DRIVER_REQUEST_TIMEOUT_MS,
  users: [`${USER}:${PASSWORD}`],
});

// --- servers (Hearth built) and their memory -------------------------------------------------------

/** Servers started here (not through the harness, which starts Hearth from its sources): killed on every way out. */
const liveServers = new Set<RunningServer>();
process.on('exit', () => {
  for (const s of liveServers) {
    try {
      process.kill(s.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});
/** How much of a server's output is logged when a run against it fails. */
const SERVER_OUTPUT_TAIL_CHARS = 3000;

const BUILT_ENTRY = path.join(PROJECT_ROOT, 'dist', 'headless', 'cli.js');

/** Waits (bounded) until the built server is there again after a build elsewhere removed dist/. */
async function builtServerPresent(): Promise<void> {
  const deadline = performance.now() + BUILT_SERVER_WAIT_MS;
  if (existsSync(BUILT_ENTRY)) return;
  h.log(`${path.relative(PROJECT_ROOT, BUILT_ENTRY)} is missing (a build elsewhere in the checkout?); waiting for it`);
  while (!existsSync(BUILT_ENTRY)) {
    if (performance.now() > deadline) {
      throw new Error(`${BUILT_ENTRY} did not come back within ${BUILT_SERVER_WAIT_MS} ms (BUILT_SERVER_WAIT_MS)`);
    }
    await sleep(1_000);
  }
  await sleep(BUILD_SETTLE_MS);
}

async function withServer<T>(kind: ServerKind, users: string[], fn: (s: RunningServer) => Promise<T>): Promise<T> {
  if (kind === 'hearth') await builtServerPresent();
  const base = h.dataFolder(`${kind}-server-`);
  let server: RunningServer;
  try {
    // Hearth as the app's server process is: no admin page (the app's window talks over IPC).
    server = await startServer(kind, { users, base, ...(kind === 'hearth' ? { built: true, env: { HEARTH_ADMIN: 'off' } } : {}) });
  } catch (err) {
    rmSync(base, { recursive: true, force: true });
    throw err;
  }
  liveServers.add(server);
  try {
    return await fn(server);
  } catch (err) {
    h.log(`${kind} server output (tail):\n${server.output().slice(-SERVER_OUTPUT_TAIL_CHARS)}`);
    throw err;
  } finally {
    liveServers.delete(server);
    await server.stop();
    rmSync(base, { recursive: true, force: true });
  }
}

interface Memory {
  /** VmRSS, KiB. */
  readonly rssKiB: number;
  /** RssAnon (private, anonymous memory), KiB. */
  readonly anonKiB: number;
}

function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${name}`);
    return Number(m[1]);
  };
  return { rssKiB: field('VmRSS'), anonKiB: field('RssAnon') };
}

/** KiB → MB (10^6 bytes). */
const mb = (kib: number): number => (kib * 1024) / 1e6;

// --- 1 and 2: idle after start, the 20k-note sync, idle after it ----------------------------------

interface ReviewInfo {
  answered: number;
  pending_cards: number;
  pending_revlog: number;
}

function expectRequired(r: SyncResult, required: SyncResult['required'], what: string): void {
  if (r.required !== required) throw new Error(`${what}: the client was asked for ${r.required}, not ${required}`);
}

function expectNormalSync(r: SyncResult, what: string): void {
  if (!r.normal_sync_performed || r.required !== 'NO_CHANGES') throw new Error(`${what}: no normal sync took place (${JSON.stringify(r)})`);
}

/** A full-uploads, B full-downloads, A answers REVIEW_CARDS cards and syncs, B syncs; B then holds A's revlog. */
async function twentyKSequence(anki: AnkiClient, endpoint: string, col: BenchCollection, tmp: string): Promise<void> {
  const deviceA = path.join(tmp, 'device-a', 'collection.anki2');
  const deviceB = path.join(tmp, 'device-b', 'collection.anki2');
  mkdirSync(path.dirname(deviceA), { recursive: true });
  copyFileSync(col.devicePath, deviceA);

  const { hkey } = await anki.login(deviceA, endpoint, USER, PASSWORD);
  expectRequired(await anki.sync(deviceA), 'FULL_UPLOAD', 'device A');
  await anki.fullUpload(deviceA);
  await anki.login(deviceB, endpoint, USER, PASSWORD);
  expectRequired(await anki.sync(deviceB), 'FULL_DOWNLOAD', 'device B');
  await anki.fullDownload(deviceB);

  // The client holds a collection with an exclusive lock: the reviews run with A closed.
  await anki.close(deviceA);
  const review = await h.runPython<ReviewInfo>(
    'review_cards.py',
    ['--device', deviceA, '--cards', String(REVIEW_CARDS)],
    REVIEW_TIMEOUT_MS,
    'REVIEW_TIMEOUT_MS',
  );
  if (review.pending_revlog !== REVIEW_CARDS)
    throw new Error(`device A has ${review.pending_revlog} revlog rows to send, not ${REVIEW_CARDS}`);
  await anki.setAuth(deviceA, endpoint, hkey);
  expectNormalSync(await anki.sync(deviceA), 'push from A');
  expectNormalSync(await anki.sync(deviceB), 'pull to B');
  const revlog = (await anki.execSql(deviceB, 'select count() from revlog'))[0]?.[0];
  if (revlog !== col.info.revlog + REVIEW_CARDS)
    throw new Error(`device B has ${String(revlog)} revlog rows, not ${col.info.revlog + REVIEW_CARDS}`);
}

interface SoloRun {
  /** Just after GET /health answered. */
  readonly atHealth: Memory;
  /** IDLE_WAIT_MS after that, no request meanwhile. */
  readonly idleStart: Memory;
  /** Peak RSS over the 20k-note sequence (VmHWM after a reset), KiB. */
  readonly syncPeakKiB: number;
  /** Largest RssAnon polled over it, KiB. */
  readonly syncAnonPeakKiB: number;
  readonly syncSeconds: number;
  /** IDLE_WAIT_MS after the sequence, its client gone. */
  readonly idleAfterSync: Memory;
}

async function soloRun(kind: ServerKind, col: BenchCollection): Promise<SoloRun> {
  const tmp = h.dataFolder(`devices-${kind}-`);
  try {
    await h.quietGate.wait();
    return await withServer(kind, [`${USER}:${PASSWORD}`], async (server) => {
      const atHealth = memoryOf(server.pid);
      await sleep(IDLE_WAIT_MS);
      const idleStart = memoryOf(server.pid);

      await h.quietGate.wait();
      const rss = watchRss(server.pid);
      const t0 = performance.now();
      try {
        // withClient stops the driver before returning: no connection to the server stays open.
        await h.withClient((anki) => twentyKSequence(anki, server.endpoint, col, tmp));
      } catch (err) {
        rss(); // stops its poller
        throw err;
      }
      const reading = rss();
      const syncSeconds = (performance.now() - t0) / 1000;

      await sleep(IDLE_WAIT_MS);
      return {
        atHealth,
        idleStart,
        syncPeakKiB: reading.peakKiB,
        syncAnonPeakKiB: reading.polledAnonPeakKiB,
        syncSeconds,
        idleAfterSync: memoryOf(server.pid),
      };
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

// --- 3: 20 devices syncing for 60 s ----------------------------------------------------------------

interface Device {
  readonly person: number;
  readonly index: number;
  readonly path: string;
  readonly anki: AnkiClient;
  hkey: string;
}

interface CrowdRun {
  /** RSS when the load started (all devices level), KiB. */
  readonly startKiB: number;
  /** Peak RSS over the load (VmHWM after a reset), KiB. */
  readonly peakKiB: number;
  /** Largest RssAnon polled over the load, KiB. */
  readonly anonPeakKiB: number;
  /** Server CPU time (all threads) over the load, ms. */
  readonly cpuMs: number;
  readonly seconds: number;
  readonly syncs: number;
  /** Syncs that did not complete, by the client's error kind (or what it was asked for instead). */
  readonly failed: Record<string, number>;
  readonly answered: number;
  /** CPU other processes on the machine used meanwhile, in cores (not the server, the drivers or the reviews). */
  readonly otherCores: number;
}

/** USER_HZ: the unit of /proc/<pid>/stat times. */
const USER_HZ = 100;

/**
 * CPU seconds of this process's children that have exited (cutime + cstime of /proc/self/stat):
 * the review processes of the 20-device loop, which machine-load.ts's watchForeignLoad, taking
 * its list of our processes when it starts, would count as other load.
 */
function exitedChildrenCpuS(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[13]) + Number(rest[14])) / USER_HZ;
}

async function startClients(count: number): Promise<AnkiClient[]> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, () => AnkiClient.start({ requestTimeoutMs: DRIVER_REQUEST_TIMEOUT_MS })),
  );
  const clients = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failure = started.find((s) => s.status === 'rejected');
  if (failure !== undefined) {
    await Promise.all(clients.map((c) => c.stop().catch(() => {})));
    throw new Error(`only ${clients.length} of ${count} Anki drivers started`, { cause: failure.reason });
  }
  return clients;
}

async function crowdRun(kind: ServerKind, template: string): Promise<CrowdRun> {
  const tmp = h.dataFolder(`crowd-${kind}-`);
  let clients: AnkiClient[] = [];
  try {
    clients = await startClients(DEVICES);
    return await withServer(kind, CROWD_USERS, async (server) => {
      const devices: Device[] = clients.map((anki, index) => {
        const person = Math.floor(index / DEVICES_PER_PERSON);
        return {
          person,
          index,
          anki,
          hkey: '',
          path: path.join(tmp, `person${person + 1}-device${(index % DEVICES_PER_PERSON) + 1}`, 'collection.anki2'),
        };
      });
      // Each person's first device uploads the collection, the other three download it.
      await Promise.all(
        Array.from({ length: PEOPLE }, async (_, person) => {
          const [first, ...others] = devices.filter((d) => d.person === person);
          const user = `person${person + 1}`;
          mkdirSync(path.dirname(first!.path), { recursive: true });
          copyFileSync(template, first!.path);
          first!.hkey = (await first!.anki.login(first!.path, server.endpoint, user, PASSWORD)).hkey;
          expectRequired(await first!.anki.sync(first!.path), 'FULL_UPLOAD', `${user}'s first device`);
          await first!.anki.fullUpload(first!.path);
          // One after the other: a person's syncs take turns (see inTurn).
          for (const d of others) {
            d.hkey = (await d.anki.login(d.path, server.endpoint, user, PASSWORD)).hkey;
            expectRequired(await d.anki.sync(d.path), 'FULL_DOWNLOAD', `${user}'s device ${d.index + 1}`);
            await d.anki.fullDownload(d.path);
          }
        }),
      );

      let syncs = 0;
      let answered = 0;
      const failed: Record<string, number> = {};
      let stopAll = false;
      let deadline = Number.POSITIVE_INFINITY;
      // A person's devices sync one at a time. Both servers hold one sync per person and cut it
      // short when another device of that person starts one ("Only one copy of Anki can sync to
      // your account at once"); four devices answering cards at the same pace would otherwise
      // meet at every sync, and mostly abort each other instead of syncing.
      const turns: Promise<void>[] = Array.from({ length: PEOPLE }, () => Promise.resolve());
      const inTurn = async <T>(person: number, fn: () => Promise<T>): Promise<T> => {
        const before = turns[person]!;
        let release = (): void => {};
        turns[person] = new Promise<void>((resolve) => (release = resolve));
        await before;
        try {
          return await fn();
        } finally {
          release();
        }
      };
      const loop = async (d: Device): Promise<void> => {
        for (let i = 0; !stopAll && performance.now() < deadline; i++) {
          // The client holds a collection with an exclusive lock: the reviews run with it closed.
          await d.anki.close(d.path);
          const review = await h.runPython<ReviewInfo>(
            'review_cards.py',
            ['--device', d.path, '--cards', String(LOOP_CARDS), '--seed', String(d.index * 100_000 + i)],
            LOOP_REVIEW_TIMEOUT_MS,
            'LOOP_REVIEW_TIMEOUT_MS',
          );
          answered += review.answered;
          await d.anki.setAuth(d.path, server.endpoint, d.hkey);
          try {
            const r = await inTurn(d.person, () => d.anki.sync(d.path));
            if (r.normal_sync_performed) syncs++;
            else {
              // The driver found the last-sync time unchanged: no normal sync took place.
              const what = `no sync took place (${r.required})`;
              failed[what] = (failed[what] ?? 0) + 1;
            }
          } catch (err) {
            // A sync the client ends with an error is counted, and the device goes on.
            if (!(err instanceof AnkiClientError) || err.kind === 'timeout' || err.kind === 'driver_exited') throw err;
            failed[err.kind] = (failed[err.kind] ?? 0) + 1;
          }
        }
      };

      await h.quietGate.wait();
      const foreign = watchForeignLoad();
      const children0 = exitedChildrenCpuS();
      const rss = watchRss(server.pid);
      const t0 = performance.now();
      deadline = t0 + LOAD_MS;
      // allSettled: every loop has ended (the first failure stops the others) before the reading.
      const outcomes = await Promise.allSettled(
        devices.map((d) =>
          loop(d).catch((err: unknown) => {
            stopAll = true;
            throw err;
          }),
        ),
      );
      const reading = rss();
      const seconds = (performance.now() - t0) / 1000;
      const otherCores = Math.max(0, foreign() - (exitedChildrenCpuS() - children0) / seconds);
      const failure = outcomes.find((o) => o.status === 'rejected');
      if (failure !== undefined) throw failure.reason;
      return {
        startKiB: reading.startKiB,
        peakKiB: reading.peakKiB,
        anonPeakKiB: reading.polledAnonPeakKiB,
        cpuMs: reading.cpuMs,
        seconds,
        syncs,
        failed,
        answered,
        otherCores,
      };
    });
  } finally {
    await Promise.all(clients.map((c) => c.stop().catch(() => {})));
    await rm(tmp, { recursive: true, force: true });
  }
}

// --- report ------------------------------------------------------------------------------------------

/** "52.3 (51.0–53.1)" in MB from KiB values; a single value alone. */
function cell(kib: number[], digits = 1): string {
  const v = kib.map(mb);
  const med = median(v).toFixed(digits);
  return v.length === 1 ? med : `${med} (${Math.min(...v).toFixed(digits)}–${Math.max(...v).toFixed(digits)})`;
}

/** "7.4 (6.9–8.0)"; a single value alone. */
function numCell(xs: number[], digits: number): string {
  const med = median(xs).toFixed(digits);
  return xs.length === 1 ? med : `${med} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
}

const countCell = (xs: number[]): string => numCell(xs, 0);

const verdict = (met: boolean): string => (met ? '**met**' : '**not met**');

// --- main ------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  await h.init();
  // h.init() builds the working tree's server already (bench/lib/hearth-version.ts); then this is a no-op.
  buildServer(PROJECT_ROOT, (l) => h.log(l));
  const col = (await ensureCollections({ rebuild: false, log: (l) => h.log(l) }))[0]!;
  const anki = await h.withClient((c) => c.ping());

  const templateDir = h.dataFolder('small-collection-');
  const template = path.join(templateDir, 'collection.anki2');
  const small = await h.runPython<{ ok: boolean; notes: number; cards: number; revlog: number }>(
    'build_collection.py',
    ['base', '--out', template, '--notes', String(SMALL_NOTES), '--revlog', String(SMALL_REVLOG)],
    SMALL_BUILD_TIMEOUT_MS,
    'SMALL_BUILD_TIMEOUT_MS',
  );
  if (!small.ok) throw new Error(`the small collection fails the client's Check Database: ${JSON.stringify(small)}`);
  h.log(`collections ready after ${h.elapsedS().toFixed(0)} s; Anki ${anki.anki_version}`);

  const solo: Record<ServerKind, SoloRun[]> = { official: [], hearth: [] };
  const crowd: Record<ServerKind, CrowdRun[]> = { official: [], hearth: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of orderOf(round)) {
        const r = await soloRun(kind, col);
        solo[kind].push(r);
        h.log(
          `round ${round + 1}/${ROUNDS} ${kind.padEnd(8)} idle after start ${mb(r.idleStart.rssKiB).toFixed(1)} MB (RssAnon ${mb(r.idleStart.anonKiB).toFixed(1)}), ` +
            `20k sync peak ${mb(r.syncPeakKiB).toFixed(1)} MB in ${r.syncSeconds.toFixed(0)} s, idle after ${mb(r.idleAfterSync.rssKiB).toFixed(1)} MB (RssAnon ${mb(r.idleAfterSync.anonKiB).toFixed(1)})`,
        );
      }
      for (const kind of orderOf(round)) {
        const r = await crowdRun(kind, template);
        crowd[kind].push(r);
        h.log(
          `round ${round + 1}/${ROUNDS} ${kind.padEnd(8)} ${DEVICES} devices: peak ${mb(r.peakKiB).toFixed(1)} MB (from ${mb(r.startKiB).toFixed(1)}), ` +
            `${r.syncs} syncs, failed ${JSON.stringify(r.failed)}, server CPU ${(r.cpuMs / 1000).toFixed(1)} s in ${r.seconds.toFixed(0)} s, other load ${r.otherCores.toFixed(2)} cores`,
        );
      }
    }
  } finally {
    rmSync(templateDir, { recursive: true, force: true });
  }

  const kinds: ServerKind[] = ['official', 'hearth'];
  const rows: [string, (k: ServerKind) => string][] = [
    ['idle, when GET /health first answered: RSS, MB', (k) => cell(solo[k].map((r) => r.atHealth.rssKiB))],
    ['idle, when GET /health first answered: RssAnon, MB', (k) => cell(solo[k].map((r) => r.atHealth.anonKiB))],
    [`**idle after start** (${IDLE_WAIT_MS / 1000} s, no request): RSS, MB`, (k) => cell(solo[k].map((r) => r.idleStart.rssKiB))],
    [`idle after start (${IDLE_WAIT_MS / 1000} s, no request): RssAnon, MB`, (k) => cell(solo[k].map((r) => r.idleStart.anonKiB))],
    ['20k-note sequence: peak RSS, MB', (k) => cell(solo[k].map((r) => r.syncPeakKiB))],
    ['20k-note sequence: peak RssAnon (polled), MB', (k) => cell(solo[k].map((r) => r.syncAnonPeakKiB))],
    [
      '20k-note sequence: seconds',
      (k) =>
        numCell(
          solo[k].map((r) => r.syncSeconds),
          1,
        ),
    ],
    [`**idle after the 20k sync** (${IDLE_WAIT_MS / 1000} s after): RSS, MB`, (k) => cell(solo[k].map((r) => r.idleAfterSync.rssKiB))],
    [`idle after the 20k sync (${IDLE_WAIT_MS / 1000} s after): RssAnon, MB`, (k) => cell(solo[k].map((r) => r.idleAfterSync.anonKiB))],
    [`${DEVICES} devices: RSS when the load starts, MB`, (k) => cell(crowd[k].map((r) => r.startKiB))],
    [`**${DEVICES} devices: peak RSS** over ${LOAD_MS / 1000} s, MB`, (k) => cell(crowd[k].map((r) => r.peakKiB))],
    [`${DEVICES} devices: peak RssAnon (polled) over ${LOAD_MS / 1000} s, MB`, (k) => cell(crowd[k].map((r) => r.anonPeakKiB))],
    [`${DEVICES} devices: syncs completed`, (k) => countCell(crowd[k].map((r) => r.syncs))],
    [
      `${DEVICES} devices: syncs not completed`,
      (k) => {
        const failed = crowd[k].map((r) => Object.values(r.failed).reduce((a, b) => a + b, 0));
        const kindsSeen = [...new Set(crowd[k].flatMap((r) => Object.keys(r.failed)))];
        return `${countCell(failed)}${kindsSeen.length === 0 ? '' : ` (${kindsSeen.join(', ')})`}`;
      },
    ],
    [`${DEVICES} devices: cards answered`, (k) => countCell(crowd[k].map((r) => r.answered))],
    [
      `${DEVICES} devices: server CPU seconds`,
      (k) =>
        numCell(
          crowd[k].map((r) => r.cpuMs / 1000),
          1,
        ),
    ],
    [
      `${DEVICES} devices: other load on the machine meanwhile, cores`,
      (k) =>
        numCell(
          crowd[k].map((r) => r.otherCores),
          2,
        ),
    ],
  ];

  const idleStart = mb(median(solo.hearth.map((r) => r.idleStart.rssKiB)));
  const idleStartAnon = mb(median(solo.hearth.map((r) => r.idleStart.anonKiB)));
  const idleAfter = mb(median(solo.hearth.map((r) => r.idleAfterSync.rssKiB)));
  const idleAfterAnon = mb(median(solo.hearth.map((r) => r.idleAfterSync.anonKiB)));
  const peakHearth = mb(median(crowd.hearth.map((r) => r.peakKiB)));
  const peakOfficial = mb(median(crowd.official.map((r) => r.peakKiB)));
  const peakRatio = peakHearth / peakOfficial;
  const anonPeakHearth = mb(median(crowd.hearth.map((r) => r.anonPeakKiB)));
  const anonPeakOfficial = mb(median(crowd.official.map((r) => r.anonPeakKiB)));

  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux, Node ${process.version}, Anki ${anki.anki_version} (pip \`anki\` in .venv, official server \`python -m anki.syncserver\`)`;
  const n = (x: number): string => x.toLocaleString('en-US');
  const section = [
    '## Memory: Hearth vs the official server',
    '',
    `Run ${date} UTC: \`node bench/memory.bench.ts --rounds ${ROUNDS}\`, ${h.elapsedS().toFixed(0)} s in all.`,
    '',
    `- Machine: ${machine}.`,
    `- Data folders and devices on ${h.disk.description}.`,
    `- Hearth measured: ${h.hearth.label}: \`dist/headless/cli.js\` from \`npm run build\`, the compiled JavaScript the app ships, with HEARTH_ADMIN=off (the app's server process serves no admin page).`,
    '',
    "**What is measured.** The server process's resident memory: RSS (VmRSS of `/proc/<pid>/status`) and RssAnon, its private part " +
      '(what Windows Task Manager and macOS Activity Monitor show; RSS adds the shared libraries and mapped files). MB = 10^6 bytes. ' +
      `${ROUNDS} round(s), alternating which server goes first; median with min–max. ` +
      `*Idle after start*: a fresh server, read ${IDLE_WAIT_MS / 1000} s after it first answered GET /health, with no request meanwhile ` +
      "(V8's memory reducer shrinks a Node heap ~8 s after start, so for Hearth the reading at /health is higher). " +
      `*20k-note sequence*, on the same server: with the real Anki client, device A full-uploads *${col.label}* (${n(col.info.notes)} notes, ${n(col.info.cards)} cards, ` +
      `${n(col.info.revlog)} revlog rows), device B full-downloads it, A answers ${n(REVIEW_CARDS)} cards (\`bench/review_cards.py\`) and syncs, B syncs; ` +
      'peak RSS over the whole sequence (VmHWM, reset first) and the largest RssAnon polled every 20 ms meanwhile. The collection has no media, so there is no media sync. ' +
      `*Idle after the 20k sync*: the client's driver exits, ${IDLE_WAIT_MS / 1000} s later RSS and RssAnon. ` +
      `*${DEVICES} devices*: a fresh server with ${PEOPLE} people × ${DEVICES_PER_PERSON} devices, each device a real client of its own (one driver process each); ` +
      `each person's collection (${n(small.notes)} notes, ${n(small.cards)} cards, ${n(small.revlog)} revlog rows, \`bench/build_collection.py\`) ` +
      `is full-uploaded by one device and full-downloaded by the other three, then for ${LOAD_MS / 1000} s all ${DEVICES} devices loop at once: ` +
      `answer ${LOOP_CARDS} cards (\`bench/review_cards.py\`), sync normally. A person's devices take turns to sync (both servers hold one sync per person and abort it when another device of that person starts one, so four devices at the same pace would mostly abort each other): ` +
      `up to ${PEOPLE} syncs are in flight while all ${DEVICES} devices work. Peak RSS (and the largest RssAnon polled every 20 ms) over the ${LOAD_MS / 1000} s and the syncs in flight at its end; ` +
      'a sync not completed is one the client ended with an error. Both servers get the same clients on the same 2 cores, ' +
      'so the load is CPU-bound (mostly the clients): more syncs completed = a faster server, unless *other load* (CPU used meanwhile by processes not of this benchmark) differs. ' +
      'Each measurement waits first for a quiet machine.',
    '',
    '| measurement | official | Hearth |',
    '| --- | ---: | ---: |',
    ...rows.map(([label, value]) => `| ${label} | ${kinds.map(value).join(' | ')} |`),
    '',
    `The benchmark waited ${(h.quietGate.waitedMs / 1000).toFixed(0)} s in all for quiet moments before its measurements.`,
    '',
    'Goals (issue 22), Hearth built, medians:',
    '',
    `- Idle after start ≤ ${GOAL_IDLE_START_MB} MB: ${verdict(idleStart <= GOAL_IDLE_START_MB)} (RSS ${idleStart.toFixed(1)} MB; RssAnon ${idleStartAnon.toFixed(1)} MB).`,
    `- Idle after the 20k sync ≤ ${GOAL_IDLE_AFTER_SYNC_MB} MB: ${verdict(idleAfter <= GOAL_IDLE_AFTER_SYNC_MB)} (RSS ${idleAfter.toFixed(1)} MB; RssAnon ${idleAfterAnon.toFixed(1)} MB).`,
    `- Peak with ${DEVICES} devices ≤ ${GOAL_CROWD_PEAK_RATIO}× the official server's: ${verdict(peakRatio <= GOAL_CROWD_PEAK_RATIO)} ` +
      `(Hearth ${peakHearth.toFixed(1)} MB, official ${peakOfficial.toFixed(1)} MB: ${peakRatio.toFixed(2)}×; ` +
      `private memory, RssAnon polled: Hearth ${anonPeakHearth.toFixed(1)} MB, official ${anonPeakOfficial.toFixed(1)} MB: ${(anonPeakHearth / anonPeakOfficial).toFixed(2)}×).`,
    '',
    'The full-sync peak goal (Hearth ≤ 1.5× the official server over the whole full-sync benchmark) is measured by `bench/full-sync.bench.ts`.',
  ].join('\n');

  process.stdout.write(`\n${section}\n`);
  if (!flags['no-docs']) {
    updateDocs(path.join(PROJECT_ROOT, 'docs', 'benchmarks.md'), section, 'memory.bench.ts');
    h.log('updated docs/benchmarks.md');
  }
}

h.run(main);
