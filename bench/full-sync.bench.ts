/**
 * Full-sync benchmark: Hearth against Anki's official sync server, in the same run.
 *
 *   node bench/full-sync.bench.ts [--rounds 3] [--e2e-rounds 3] [--rebuild] [--no-e2e] [--profile] [--no-docs] [--hearth <git ref>]
 *
 * --hearth HEAD benchmarks a snapshot of that commit instead of the working tree (bench/lib/hearth-version.ts).
 *
 * 1. Builds (once; cached in bench/.cache/) a 20,000-note "Basic (and reversed card)" collection
 *    (40,000 cards, 50,000 revlog rows) and a ~100 MiB one with the real Anki client, and captures
 *    the exact bytes the real client sends when it full-uploads each (bench/lib/bench-collections.ts).
 * 2. Protocol runs: for N rounds, alternating which server goes first, each server kind is started
 *    fresh for each collection; a full upload (the captured bytes, zstd-compressed beforehand) and
 *    a full download are timed at the HTTP level, from request start to the last reply byte, while
 *    the server process's peak RSS is measured (bench/lib/rss.ts).
 * 3. End-to-end runs: --e2e-rounds times per server kind (alternating), the real client (test/interop/anki-client.ts) full-uploads
 *    the 20k collection from a device and full-downloads it to an empty device, checked afterwards.
 * 4. Prints a markdown table and replaces the generated section of docs/benchmarks.md.
 *
 * With --profile (or automatically when Hearth is slower on a protocol operation) one more Hearth
 * server runs with `--cpu-prof`, and the top self-time functions are listed.
 *
 * The whole run is bounded by BENCH_TIMEOUT_MS; every wait below has its own named timeout.
 */
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

import { AnkiClient } from '../test/interop/anki-client.ts';
import type { RunningServer, ServerKind } from '../test/interop/servers.ts';
import { syncHeader, zstdStreamed } from '../test/helpers/sync-client.ts';
import { CACHE_DIR, PROJECT_ROOT, ensureCollections } from './lib/bench-collections.ts';
import type { BenchCollection } from './lib/bench-collections.ts';
import { summarizeCpuProfiles } from './lib/cpu-profile.ts';
import type { ProfiledRun, TimeWindow } from './lib/cpu-profile.ts';
import { detailTable, loadSummary, ratio, resultsTable, updateDocs } from './lib/report.ts';
import type { OperationResult, Sample } from './lib/report.ts';
import { hearthVersion } from './lib/hearth-version.ts';
import type { HearthVersion } from './lib/hearth-version.ts';
import { watchRss } from './lib/rss.ts';
import { QUIET_THRESHOLD_CORES, createQuietGate, watchForeignLoad } from './lib/machine-load.ts';
import { timedPost } from './lib/timed-exchange.ts';

/** The whole benchmark (build included) must end within this; then it kills its children and exits 2. */
const BENCH_TIMEOUT_MS = 10 * 60_000;
/** How long to wait for Hearth's request log line after the reply arrived. */
const SERVER_LOG_WAIT_MS = 1_000;
/** Real-client requests (login, sync, full upload/download, check) of the end-to-end runs. */
const E2E_REQUEST_TIMEOUT_MS = 180_000;
/** How many runs' CPU profiles stay in bench/.cache/profiles/. */
const PROFILES_KEPT = 5;
/** Peak RSS allowed while a ~100 MB collection is uploaded: 200 MB. */
const RSS_GOAL_BYTES = 200 * 1000 * 1000;
/** Hearth's peak RSS during the whole benchmark may be at most this many times the official server's (issue "A light tray app"). */
const PEAK_RATIO_GOAL = 1.5;

const USER = 'alice';
const PASSWORD = 'bench-password';
const KINDS: ServerKind[] = ['official', 'hearth'];
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    rebuild: { type: 'boolean', default: false },
    'no-e2e': { type: 'boolean', default: false },
    'e2e-rounds': { type: 'string', default: '3' },
    profile: { type: 'boolean', default: false },
    'no-docs': { type: 'boolean', default: false },
    hearth: { type: 'string', default: 'worktree' },
  },
});
const ROUNDS = Math.max(1, Number.parseInt(flags.rounds, 10) || 3);
const E2E_ROUNDS = flags['no-e2e'] ? 0 : Math.max(1, Number.parseInt(flags['e2e-rounds'], 10) || 3);

const log = (line: string): void => {
  process.stderr.write(`[bench] ${line}\n`);
};

// --- cleanup: servers started by this run are stopped on every way out ---------------------------
const liveServers = new Set<RunningServer>();
let hearth: HearthVersion | undefined;
const quietGate = createQuietGate();
const liveClients = new Set<AnkiClient>();
const watchdog = setTimeout(() => {
  log(`the benchmark did not finish within ${BENCH_TIMEOUT_MS} ms (BENCH_TIMEOUT_MS); stopping`);
  for (const s of liveServers) {
    try {
      process.kill(s.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  // The Anki drivers exit by themselves when their stdin closes with this process.
  process.exit(2);
}, BENCH_TIMEOUT_MS);
watchdog.unref();

async function withServer<T>(kind: ServerKind, env: Record<string, string>, fn: (s: RunningServer) => Promise<T>): Promise<T> {
  if (hearth === undefined) throw new Error('hearthVersion() has not run');
  let server: RunningServer;
  try {
    server = await hearth.servers.startServer(kind, { users: [`${USER}:${PASSWORD}`], env, built: hearth.built });
  } catch (err) {
    if (kind === 'hearth' && flags.hearth === 'worktree') {
      log("the working tree's Hearth did not start; `--hearth HEAD` benchmarks the last commit instead");
    }
    throw err;
  }
  liveServers.add(server);
  try {
    return await fn(server);
  } finally {
    liveServers.delete(server);
    await server.stop();
  }
}

async function withClient<T>(fn: (c: AnkiClient) => Promise<T>): Promise<T> {
  const client = await AnkiClient.start({ requestTimeoutMs: E2E_REQUEST_TIMEOUT_MS });
  liveClients.add(client);
  try {
    return await fn(client);
  } finally {
    liveClients.delete(client);
    await client.stop();
  }
}

// --- protocol runs ------------------------------------------------------------------------------

async function hostKey(endpoint: string): Promise<string> {
  const reply = await timedPost(endpoint, 'sync/hostKey', syncHeader(''), await zstdStreamed(JSON.stringify({ u: USER, p: PASSWORD })));
  if (reply.status !== 200) throw new Error(`hostKey answered ${reply.status}`);
  return (JSON.parse(reply.decoded().toString('utf8')) as { key: string }).key;
}

/** Hearth logs each request with its own duration; find the line for `method` written after `from`. */
async function serverLoggedMs(server: RunningServer, from: number, method: string): Promise<number | undefined> {
  if (server.kind !== 'hearth') return undefined;
  const re = new RegExp(`method="POST /sync/${method}".*? ms=(\\d+)`);
  const deadline = Date.now() + SERVER_LOG_WAIT_MS;
  for (;;) {
    const m = re.exec(server.output().slice(from));
    if (m) return Number(m[1]);
    if (Date.now() > deadline) return undefined;
    await sleep(20);
  }
}

interface ProtocolRun {
  upload: Sample;
  download: Sample;
  /** When each operation ran, in CLOCK_MONOTONIC microseconds (the clock of V8 CPU profiles). */
  windows?: { upload: TimeWindow; download: TimeWindow };
}

const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

async function protocolRun(server: RunningServer, col: BenchCollection, payload: Buffer): Promise<ProtocolRun> {
  const hkey = await hostKey(server.endpoint);
  const header = syncHeader(hkey);

  let mark = server.output().length;
  await quietGate.wait();
  let foreign = watchForeignLoad();
  let rss = watchRss(server.pid);
  const upStart = monotonicUs();
  const up = await timedPost(server.endpoint, 'sync/upload', header, payload);
  const upEnd = monotonicUs();
  const upRss = rss();
  const upForeign = foreign();
  const upText = up.decoded().toString('utf8');
  if (up.status !== 200 || upText !== 'OK')
    throw new Error(`${server.kind}: upload of ${col.label} answered ${up.status} ${upText.slice(0, 200)}`);
  const upload: Sample = {
    ms: up.totalMs,
    firstByteMs: up.firstByteMs,
    ...upRss,
    foreignCores: upForeign,
    serverMs: await serverLoggedMs(server, mark, 'upload'),
  };

  mark = server.output().length;
  const downBody = await zstdStreamed('{}');
  await quietGate.wait();
  foreign = watchForeignLoad();
  rss = watchRss(server.pid);
  const downStart = monotonicUs();
  const down = await timedPost(server.endpoint, 'sync/download', header, downBody);
  const downEnd = monotonicUs();
  const downRss = rss();
  const downForeign = foreign();
  if (down.status !== 200) throw new Error(`${server.kind}: download answered ${down.status}`);
  const file = down.decoded();
  const declared = Number(down.headers['anki-original-size']);
  if (!file.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC) || file.length !== declared || file.length < col.uploadBytes * 0.9) {
    throw new Error(`${server.kind}: download of ${col.label} is not the collection (${file.length} bytes, declared ${declared})`);
  }
  const download: Sample = {
    ms: down.totalMs,
    firstByteMs: down.firstByteMs,
    wireBytes: down.wire.length,
    ...downRss,
    foreignCores: downForeign,
    serverMs: await serverLoggedMs(server, mark, 'download'),
  };
  return { upload, download, windows: { upload: [upStart, upEnd], download: [downStart, downEnd] } };
}

// --- end-to-end runs with the real client ----------------------------------------------------------

async function e2eRun(kind: ServerKind, col: BenchCollection): Promise<ProtocolRun> {
  const tmp = await mkdtemp(path.join(tmpdir(), `hearth-bench-e2e-${kind}-`));
  try {
    return await withServer(kind, {}, (server) =>
      withClient(async (anki) => {
        const deviceA = path.join(tmp, 'device-a', 'collection.anki2');
        const deviceB = path.join(tmp, 'device-b', 'collection.anki2');
        mkdirSync(path.dirname(deviceA), { recursive: true });
        copyFileSync(col.devicePath, deviceA);

        await anki.login(deviceA, server.endpoint, USER, PASSWORD);
        const first = await anki.sync(deviceA);
        if (first.required !== 'FULL_UPLOAD') throw new Error(`${kind}: device A was asked for ${first.required}, not FULL_UPLOAD`);
        await quietGate.wait();
        let foreign = watchForeignLoad();
        let rss = watchRss(server.pid);
        let t0 = performance.now();
        await anki.fullUpload(deviceA);
        const upload: Sample = { ms: performance.now() - t0, ...rss(), foreignCores: foreign() };

        await anki.login(deviceB, server.endpoint, USER, PASSWORD);
        const second = await anki.sync(deviceB);
        if (second.required !== 'FULL_DOWNLOAD') throw new Error(`${kind}: device B was asked for ${second.required}, not FULL_DOWNLOAD`);
        await quietGate.wait();
        foreign = watchForeignLoad();
        rss = watchRss(server.pid);
        t0 = performance.now();
        await anki.fullDownload(deviceB);
        const download: Sample = { ms: performance.now() - t0, ...rss(), foreignCores: foreign() };

        const rows = await anki.execSql(
          deviceB,
          'select (select count() from notes), (select count() from cards), (select count() from revlog)',
        );
        const [notes, cards, revlog] = rows[0] as number[];
        if (notes !== col.info.notes || cards !== col.info.cards || revlog !== col.info.revlog) {
          throw new Error(`${kind}: downloaded device has ${notes} notes, ${cards} cards, ${revlog} revlog rows`);
        }
        const check = await anki.check(deviceB);
        if (!check.ok) throw new Error(`${kind}: downloaded collection fails Check Database: ${JSON.stringify(check)}`);
        return { upload, download };
      }),
    );
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

// --- main ------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  hearth = await hearthVersion(flags.hearth);
  log(`Hearth: ${hearth.label}`);
  const collections = await ensureCollections({ rebuild: flags.rebuild, log });
  const anki = await withClient((c) => c.ping());
  log(`collections ready after ${((performance.now() - started) / 1000).toFixed(0)} s; Anki ${anki.anki_version}`);

  const payloads = new Map<BenchCollection, Buffer>();
  for (const col of collections) payloads.set(col, await zstdStreamed(readFileSync(col.uploadPath)));

  const results = new Map<string, OperationResult>();
  const result = (operation: string, rssGoalBytes?: number): OperationResult => {
    let r = results.get(operation);
    if (r === undefined) {
      r = { operation, official: [], hearth: [], ...(rssGoalBytes !== undefined ? { rssGoalBytes } : {}) };
      results.set(operation, r);
    }
    return r;
  };
  const sizeLabel = (col: BenchCollection): string => `${col.label}, ${(col.uploadBytes / 2 ** 20).toFixed(1)} MiB`;
  const isLarge = (col: BenchCollection): boolean => col === collections[collections.length - 1] && collections.length > 1;

  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? KINDS : [...KINDS].reverse();
    for (const kind of order) {
      for (const col of collections) {
        const run = await withServer(kind, {}, (server) => protocolRun(server, col, payloads.get(col)!));
        result(`full upload (${sizeLabel(col)}), protocol`, isLarge(col) ? RSS_GOAL_BYTES : undefined)[kind].push(run.upload);
        result(`full download (${sizeLabel(col)}), protocol`)[kind].push(run.download);
        log(
          `round ${round + 1}/${ROUNDS} ${kind.padEnd(8)} ${col.label.padEnd(9)} upload ${run.upload.ms.toFixed(0)} ms (peak ${(run.upload.peakKiB / 1024).toFixed(0)} MiB), ` +
            `download ${run.download.ms.toFixed(0)} ms (peak ${(run.download.peakKiB / 1024).toFixed(0)} MiB)`,
        );
      }
    }
  }

  for (let round = 0; round < E2E_ROUNDS; round++) {
    const col = collections[0]!;
    for (const kind of (ROUNDS + round) % 2 === 0 ? KINDS : [...KINDS].reverse()) {
      const run = await e2eRun(kind, col);
      result(`full upload (${sizeLabel(col)}), real client end to end`)[kind].push(run.upload);
      result(`full download (${sizeLabel(col)}), real client end to end`)[kind].push(run.download);
      log(
        `real client round ${round + 1}/${E2E_ROUNDS} ${kind.padEnd(8)} ${col.label}: upload ${run.upload.ms.toFixed(0)} ms, download ${run.download.ms.toFixed(0)} ms`,
      );
    }
  }

  const all = [...results.values()];
  let profileSection = '';
  const slower = all.filter((r) => r.operation.endsWith('protocol') && ratio(r) > 1);
  if (flags.profile || slower.length > 0) {
    const profiles = path.join(CACHE_DIR, 'profiles');
    const dir = path.join(profiles, new Date().toISOString().replace(/[:.]/g, '-'));
    mkdirSync(dir, { recursive: true });
    // Keep the newest PROFILES_KEPT runs' profiles (folder names sort by time).
    for (const old of readdirSync(profiles).sort().reverse().slice(PROFILES_KEPT)) {
      rmSync(path.join(profiles, old), { recursive: true, force: true });
    }
    log(`profiling Hearth (--cpu-prof into ${path.relative(PROJECT_ROOT, dir)})`);
    const runs: ProfiledRun[] = [];
    for (const [i, col] of collections.entries()) {
      const colDir = path.join(dir, String(i));
      mkdirSync(colDir, { recursive: true });
      const run = await withServer('hearth', { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${colDir}` }, (server) =>
        protocolRun(server, col, payloads.get(col)!),
      );
      runs.push({
        dir: colDir,
        operations: [
          { label: `full upload (${sizeLabel(col)})`, window: run.windows!.upload },
          { label: `full download (${sizeLabel(col)})`, window: run.windows!.download },
        ],
      });
    }
    profileSection = summarizeCpuProfiles(runs, 8);
  }

  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux, Node ${process.version}, Anki ${anki.anki_version} (pip \`anki\` in .venv, official server \`python -m anki.syncserver\`)`;
  const base = collections[0]!.info;
  const failures = all.flatMap((r) => {
    const out: string[] = [];
    if (ratio(r) > 1) out.push(`${r.operation}: Hearth takes ${ratio(r).toFixed(2)}× the official server's time`);
    if (r.rssGoalBytes !== undefined) {
      for (const kind of KINDS) {
        const peak = Math.max(...r[kind].map((x) => x.peakKiB)) * 1024;
        if (peak > r.rssGoalBytes) out.push(`${r.operation}: ${kind} peak RSS ${(peak / 1e6).toFixed(0)} MB > ${r.rssGoalBytes / 1e6} MB`);
      }
    }
    return out;
  });
  // The peak of the whole benchmark, each server: the most memory a family's PC has to find for it.
  const peakOf = (kind: ServerKind): number => Math.max(...all.flatMap((r) => r[kind].map((x) => x.peakKiB))) * 1024;
  const peakRatio = peakOf('hearth') / peakOf('official');
  const peakLine =
    `Peak RSS over the whole benchmark: Hearth ${(peakOf('hearth') / 1e6).toFixed(0)} MB, official ${(peakOf('official') / 1e6).toFixed(0)} MB, ` +
    `ratio ${peakRatio.toFixed(2)} (goal ≤ ${PEAK_RATIO_GOAL}).`;
  if (peakRatio > PEAK_RATIO_GOAL) failures.push(`peak RSS ${peakRatio.toFixed(2)}× the official server's (goal ≤ ${PEAK_RATIO_GOAL})`);
  const mibOf = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  const section = [
    `## Full sync: Hearth vs the official server`,
    '',
    `Run ${date} UTC: \`node bench/full-sync.bench.ts --rounds ${ROUNDS} --e2e-rounds ${E2E_ROUNDS}${flags.hearth === 'worktree' ? '' : ` --hearth ${flags.hearth}`}\`, ` +
      `${((performance.now() - started) / 1000).toFixed(0)} s in all.`,
    '',
    `- Machine: ${machine}.`,
    `- Hearth measured: ${hearth.label}.`,
    `- Collections, built with the real Anki client by \`bench/build_collection.py\` and cached in \`bench/.cache/\`; both pass the client's Check Database and \`PRAGMA integrity_check\`:`,
    `  *${collections[0]!.label}* = ${base.notes} "Basic (and reversed card)" notes, ${base.cards} cards, ${base.revlog} revlog rows, ${base.decks} decks (upload ${mibOf(collections[0]!.uploadBytes)})` +
      collections
        .slice(1)
        .map((c) => `; *${c.label}* = the same with a long Back field on every note (upload ${mibOf(c.uploadBytes)})`)
        .join('') +
      '.',
    '',
    '**What is measured.** *Protocol* rows: a fresh server per collection and round; the upload body is the exact file the real client sends for that ' +
      'collection (captured once), zstd-compressed before the clock starts; the download asks with `{}` and the reply is decoded after the clock stops. ' +
      'The time runs from the request to the last reply byte: the server receiving, decoding, checking and storing the upload, or reading and compressing ' +
      `the download, plus loopback transfer. ${ROUNDS} rounds, alternating which server goes first; median with min–max. ` +
      `*Real client* rows: ${E2E_ROUNDS} run(s) each, alternating; Anki's own client (\`test/interop/anki_driver.py\`) timed around \`full_upload_or_download\`, ` +
      "so they add the client's own work (closing, reading and compressing the file; or decompressing, checking and reopening it). " +
      'Peak RSS: the server process\'s VmHWM, reset before each operation (`/proc/<pid>/clear_refs`), max over rounds; "idle" is its RSS just before. ' +
      `Goals: ratio ≤ 1.0; peak RSS during the ~100 MB upload ≤ 200 MB (= 190.7 MiB); Hearth's peak over the whole benchmark ≤ ${PEAK_RATIO_GOAL}× the official server's.`,
    '',
    resultsTable(all),
    '',
    peakLine,
    '',
    loadSummary(all, QUIET_THRESHOLD_CORES, quietGate.waitedMs),
    '',
    failures.length === 0 ? '**All goals met.**' : `**Goals not met:**\n${failures.map((f) => `- ${f}`).join('\n')}`,
    '',
    "Where a protocol run's time goes (medians). For an upload the first reply byte comes when the server has finished; for a download when it starts " +
      'streaming. Server CPU = user + system time of the whole server process (all threads) during the operation.',
    '',
    detailTable(all),
    ...(profileSection === '' ? [] : ['', profileSection]),
  ].join('\n');

  process.stdout.write(`\n${section}\n`);
  if (!flags['no-docs']) {
    updateDocs(path.join(PROJECT_ROOT, 'docs', 'benchmarks.md'), section);
    log('updated docs/benchmarks.md');
  }
}

main().then(
  () => {
    clearTimeout(watchdog);
  },
  async (err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    for (const s of liveServers) await s.stop().catch(() => {});
    for (const c of liveClients) await c.stop().catch(() => {});
    clearTimeout(watchdog);
    process.exitCode = 1;
  },
);
