/**
 * Normal-sync benchmark: Hearth against Anki's official sync server, in the same run.
 *
 *   node bench/normal-sync.bench.ts [--rounds 3] [--replay-rounds 3] [--no-replay] [--cards 2000] [--wire] [--profile] [--no-docs] [--hearth <git ref>]
 *
 * The situation: two devices share the 20k-note collection of bench/full-sync.bench.ts (cached in
 * bench/.cache/, bench/lib/bench-collections.ts); device A answers 2,000 cards (a fixed sample of
 * all 40,000, through the client's own v3 scheduler: bench/review_cards.py), which changes 2,000
 * cards and adds 2,000 revlog rows; A pushes them in a normal sync, then B pulls them.
 *
 * 1. Real client, end to end (--rounds, alternating which server goes first): per round and server
 *    kind a fresh server; A full-uploads the collection, B full-downloads it, A answers the cards,
 *    then A's `sync` (the push) and B's `sync` (the pull) are timed around the driver call
 *    (test/interop/anki-client.ts), i.e. as the client observes them. Afterwards A and B must hold
 *    the same cards and revlog.
 * 2. Protocol level: once per run the same scenario runs against the official server through a
 *    recording proxy (bench/lib/sync-recorder.ts), which keeps every request of the real client
 *    exactly as sent. Then (--replay-rounds, alternating) a fresh server of each kind gets the same
 *    conversation replayed — full upload, full download, then the push's and the pull's requests
 *    (meta, start, applyGraves, applyChanges, chunk, applyChunk, sanityCheck2, finish) with only
 *    the host key replaced; the push and the pull are timed request by request, and every reply is
 *    checked against the recorded one (what the chunks carry, the sanity check's verdict).
 *    With --wire (root, tcpdump installed), each real-client push and pull is also captured on the
 *    loopback interface and split into the server's time and the client's time between requests
 *    (bench/lib/wire-timeline.ts).
 * 3. Peak RSS and CPU of the server process for every timed operation (bench/lib/rss.ts); each
 *    operation waits first for a quiet machine (bench/lib/machine-load.ts).
 * 4. With --profile, or by itself when Hearth is slower somewhere, one more Hearth server runs the
 *    replay with `node --cpu-prof`; the top functions of the push and the pull are listed.
 * 5. Prints a markdown report and replaces this benchmark's section of docs/benchmarks.md.
 *
 * The whole run is bounded by BENCH_TIMEOUT_MS; every wait has its own named timeout.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import type { AnkiClient, SyncResult } from '../test/interop/anki-client.ts';
import type { RunningServer, ServerKind } from '../test/interop/servers.ts';
import { syncHeader, zstdStreamed } from '../test/helpers/sync-client.ts';
import { PROJECT_ROOT, ensureCollections } from './lib/bench-collections.ts';
import type { BenchCollection } from './lib/bench-collections.ts';
import { summarizeCpuProfiles } from './lib/cpu-profile.ts';
import type { TimeWindow } from './lib/cpu-profile.ts';
import { Harness, cpuProfileEnv, orderOf } from './lib/harness.ts';
import { QUIET_THRESHOLD_CORES } from './lib/machine-load.ts';
import { cpuTable, loadSummary, median, resultsTable, slowerOperations, updateDocs } from './lib/report.ts';
import { WIRE_TABLE_INTRO, startWireCapture, wireTable } from './lib/wire-timeline.ts';
import type { WireTimeline } from './lib/wire-timeline.ts';
import type { OperationResult, Sample } from './lib/report.ts';
import { describeSequence, methodOf, receivedBytes, replay, sentBytes, startRecordingProxy } from './lib/sync-recorder.ts';
import type { Exchange, ReplayResult } from './lib/sync-recorder.ts';
import { timedPost } from './lib/timed-exchange.ts';

/** The whole benchmark (a first build of the collections included) must end within this. */
const BENCH_TIMEOUT_MS = 345_000;
/** Real-client requests (login, sync, full upload/download, SQL checks). */
const DRIVER_REQUEST_TIMEOUT_MS = 120_000;
/** bench/review_cards.py answering the cards on device A. */
const REVIEW_TIMEOUT_MS = 60_000;
/** The profile run (one more Hearth server replaying the conversation) is skipped with less time than this left. */
const PROFILE_NEEDS_MS = 40_000;
/** The full upload/download that set up a replay round. */
const SETUP_EXCHANGE_TIMEOUT_MS = 60_000;

const USER = 'alice';
/** 2000 → "2,000". */
const n = (x: number): string => x.toLocaleString('en-US');
const PASSWORD = 'bench-password';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    'replay-rounds': { type: 'string', default: '3' },
    'no-replay': { type: 'boolean', default: false },
    cards: { type: 'string', default: '2000' },
    wire: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'no-docs': { type: 'boolean', default: false },
    hearth: { type: 'string', default: 'worktree' },
  },
});
const ROUNDS = Math.max(1, Number.parseInt(flags.rounds, 10) || 3);
const REPLAY_ROUNDS = flags['no-replay'] ? 0 : Math.max(1, Number.parseInt(flags['replay-rounds'], 10) || 3);
const CARDS = Math.max(1, Number.parseInt(flags.cards, 10) || 2000);

const h = new Harness({
  name: 'normal-sync',
  timeoutMs: BENCH_TIMEOUT_MS,
  timeoutName: 'BENCH_TIMEOUT_MS',
  hearthRef: flags.hearth,
  driverRequestTimeoutMs: DRIVER_REQUEST_TIMEOUT_MS,
  users: [`${USER}:${PASSWORD}`],
});

interface ReviewInfo {
  answered: number;
  pending_cards: number;
  pending_revlog: number;
  revlog_added: number;
  seconds: number;
}

/** What must be equal on both devices after the pull: the cards' and the revlog's contents. */
const FINGERPRINT_SQL =
  'select (select count() from cards), (select sum(mod) from cards), (select sum(due) from cards), (select sum(ivl) from cards), ' +
  '(select sum(reps) from cards), (select sum(queue * 7 + type) from cards), (select sum(factor) from cards), ' +
  '(select count() from revlog), (select sum(id) from revlog), (select sum(ease * 1000 + ivl) from revlog)';

/**
 * The scenario with the real client: A and B start level through a full upload and download, A
 * answers CARDS cards, then `timed` wraps A's push and B's pull.
 */
async function scenario<T>(
  anki: AnkiClient,
  endpoint: string,
  col: BenchCollection,
  tmp: string,
  timed: (fn: () => Promise<SyncResult>) => Promise<T>,
): Promise<{ push: T; pull: T; review: ReviewInfo }> {
  const deviceA = path.join(tmp, 'device-a', 'collection.anki2');
  const deviceB = path.join(tmp, 'device-b', 'collection.anki2');
  mkdirSync(path.dirname(deviceA), { recursive: true });
  copyFileSync(col.devicePath, deviceA);

  const { hkey } = await anki.login(deviceA, endpoint, USER, PASSWORD);
  const first = await anki.sync(deviceA);
  if (first.required !== 'FULL_UPLOAD') throw new Error(`device A was asked for ${first.required}, not FULL_UPLOAD`);
  await anki.fullUpload(deviceA);
  await anki.login(deviceB, endpoint, USER, PASSWORD);
  const second = await anki.sync(deviceB);
  if (second.required !== 'FULL_DOWNLOAD') throw new Error(`device B was asked for ${second.required}, not FULL_DOWNLOAD`);
  await anki.fullDownload(deviceB);

  // The client holds a collection with an exclusive lock: the reviews run with A closed.
  await anki.close(deviceA);
  const review = await h.runPython<ReviewInfo>(
    'review_cards.py',
    ['--device', deviceA, '--cards', String(CARDS)],
    REVIEW_TIMEOUT_MS,
    'REVIEW_TIMEOUT_MS',
  );
  if (review.pending_cards !== CARDS || review.pending_revlog !== CARDS) {
    throw new Error(
      `after the reviews device A has ${review.pending_cards} cards and ${review.pending_revlog} revlog rows to send, not ${CARDS}`,
    );
  }
  await anki.setAuth(deviceA, endpoint, hkey);

  const check = (r: SyncResult, what: string): SyncResult => {
    if (!r.normal_sync_performed || r.required !== 'NO_CHANGES')
      throw new Error(`${what}: no normal sync took place (${JSON.stringify(r)})`);
    return r;
  };
  const push = await timed(async () => check(await anki.sync(deviceA), 'push from A'));
  const pull = await timed(async () => check(await anki.sync(deviceB), 'pull to B'));

  const a = JSON.stringify(await anki.execSql(deviceA, FINGERPRINT_SQL));
  const b = JSON.stringify(await anki.execSql(deviceB, FINGERPRINT_SQL));
  if (a !== b) throw new Error(`after the pull, devices A and B differ: ${a} vs ${b}`);
  const revlog = (JSON.parse(b) as number[][])[0]![7];
  if (revlog !== col.info.revlog + CARDS) throw new Error(`device B has ${revlog} revlog rows, not ${col.info.revlog + CARDS}`);
  return { push, pull, review };
}

interface EndToEndRun {
  push: Sample;
  pull: Sample;
  /** With --wire: the server's and the client's shares, from the packets. */
  pushWire?: WireTimeline;
  pullWire?: WireTimeline;
}

async function endToEnd(kind: ServerKind, col: BenchCollection): Promise<EndToEndRun> {
  const tmp = h.dataFolder(`devices-${kind}-`);
  try {
    return await h.withServer(kind, {}, (server) =>
      h.withClient(async (anki) => {
        const port = Number(new URL(server.endpoint).port);
        const r = await scenario(anki, server.endpoint, col, tmp, async (fn) => {
          const capture = flags.wire ? await startWireCapture(port, (l) => h.log(l)) : undefined;
          const sample = (await h.measure(server, fn)).sample;
          return { sample, wire: await capture?.stop() };
        });
        return {
          push: r.push.sample,
          pull: r.pull.sample,
          ...(r.push.wire ? { pushWire: r.push.wire } : {}),
          ...(r.pull.wire ? { pullWire: r.pull.wire } : {}),
        };
      }),
    );
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

// --- the recorded conversation and its replay ------------------------------------------------------

interface Recording {
  /** Everything after the logins up to A's push: A's meta + full upload, B's meta + full download. */
  setup: Exchange[];
  push: Exchange[];
  pull: Exchange[];
  review: ReviewInfo;
}

async function record(col: BenchCollection): Promise<Recording> {
  const tmp = h.dataFolder('devices-record-');
  try {
    return await h.withServer('official', {}, async (server) => {
      const proxy = await startRecordingProxy(server.endpoint);
      try {
        return await h.withClient(async (anki) => {
          const marks: number[] = [];
          const r = await scenario(anki, proxy.endpoint, col, tmp, async (fn) => {
            marks.push(proxy.exchanges.length);
            const out = await fn();
            marks.push(proxy.exchanges.length);
            return out;
          });
          const all = proxy.exchanges;
          const sync = (ex: Exchange): boolean => ex.path.startsWith('sync/') && methodOf(ex.path) !== 'hostKey';
          const push = all.slice(marks[0], marks[1]);
          const pull = all.slice(marks[2], marks[3]);
          if (![...push, ...pull].every(sync))
            throw new Error(`unexpected requests in the recorded syncs: ${describeSequence([...push, ...pull])}`);
          const setup = all.slice(0, marks[0]).filter(sync);
          if (!setup.some((ex) => ex.path === 'sync/upload') || !setup.some((ex) => ex.path === 'sync/download')) {
            throw new Error(`the recording lacks the full upload or download: ${describeSequence(setup)}`);
          }
          return { setup, push, pull, review: r.review };
        });
      } finally {
        await proxy.close();
      }
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function hostKey(endpoint: string): Promise<string> {
  const reply = await timedPost(
    endpoint,
    'sync/hostKey',
    syncHeader(''),
    await zstdStreamed(JSON.stringify({ u: USER, p: PASSWORD })),
    SETUP_EXCHANGE_TIMEOUT_MS,
  );
  if (reply.status !== 200) throw new Error(`hostKey answered ${reply.status}`);
  return (JSON.parse(reply.decoded().toString('utf8')) as { key: string }).key;
}

interface ReplayRun {
  push: Sample;
  pull: Sample;
  pushRequests: ReplayResult['requests'];
  pullRequests: ReplayResult['requests'];
  windows: { push: TimeWindow; pull: TimeWindow };
}

async function replayRun(server: RunningServer, rec: Recording): Promise<ReplayRun> {
  const hkey = await hostKey(server.endpoint);
  // The server gets the recorded collection and the recorded full download first, so that it is
  // where the official server was when the real client pushed.
  await replay(server.endpoint, hkey, rec.setup, `${server.kind}: setup`);
  const push = await h.measure(server, () => replay(server.endpoint, hkey, rec.push, `${server.kind}: push`));
  const pull = await h.measure(server, () => replay(server.endpoint, hkey, rec.pull, `${server.kind}: pull`));
  return {
    // Time of the request sequence itself (the reply checks run after the clock stopped).
    push: { ...push.sample, ms: push.value.ms },
    pull: { ...pull.sample, ms: pull.value.ms },
    pushRequests: push.value.requests,
    pullRequests: pull.value.requests,
    windows: { push: push.window, pull: pull.window },
  };
}

/** Per method: how many requests, and the median over rounds of their summed time, per server. */
function methodTable(label: string, runs: Record<ServerKind, ReplayResult['requests'][]>): string {
  const methods: string[] = [];
  for (const reqs of [...runs.official, ...runs.hearth]) for (const r of reqs) if (!methods.includes(r.method)) methods.push(r.method);
  const lines = [`| ${label}: method (requests) | official ms | Hearth ms | ratio |`, '| --- | ---: | ---: | ---: |'];
  for (const m of methods) {
    const sums = (kind: ServerKind): number[] => runs[kind].map((reqs) => reqs.filter((r) => r.method === m).reduce((s, r) => s + r.ms, 0));
    const count = runs.official[0]?.filter((r) => r.method === m).length ?? 0;
    const o = median(sums('official'));
    const hh = median(sums('hearth'));
    lines.push(`| ${m} (${count}) | ${o.toFixed(1)} | ${hh.toFixed(1)} | ${(hh / o).toFixed(2)} |`);
  }
  return lines.join('\n');
}

// --- main ------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  await h.init();
  const collections = await ensureCollections({ rebuild: false, log: (l) => h.log(l) });
  const col = collections[0]!;
  const anki = await h.withClient((c) => c.ping());
  h.log(`collection ready after ${h.elapsedS().toFixed(0)} s; Anki ${anki.anki_version}`);

  const results = new Map<string, OperationResult>();
  const result = (operation: string): OperationResult => {
    let r = results.get(operation);
    if (r === undefined) {
      r = { operation, official: [], hearth: [] };
      results.set(operation, r);
    }
    return r;
  };
  const what = `${n(CARDS)} reviewed cards + ${n(CARDS)} revlog rows`;
  const pushE2E = `push: A sends ${what}, real client end to end`;
  const pullE2E = `pull: B receives them, real client end to end`;
  const pushReplay = `push: A sends ${what}, protocol replay`;
  const pullReplay = `pull: B receives them, protocol replay`;

  let rec: Recording | undefined;
  if (REPLAY_ROUNDS > 0) {
    h.log('recording the real client against the official server …');
    rec = await record(col);
    h.log(`recorded push: ${describeSequence(rec.push)}; pull: ${describeSequence(rec.pull)}`);
  }

  const wireRuns: Record<'push' | 'pull', Record<ServerKind, WireTimeline[]>> = {
    push: { official: [], hearth: [] },
    pull: { official: [], hearth: [] },
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of orderOf(round)) {
      const run = await endToEnd(kind, col);
      result(pushE2E)[kind].push(run.push);
      result(pullE2E)[kind].push(run.pull);
      if (run.pushWire) wireRuns.push[kind].push(run.pushWire);
      if (run.pullWire) wireRuns.pull[kind].push(run.pullWire);
      h.log(
        `real client round ${round + 1}/${ROUNDS} ${kind.padEnd(8)} push ${run.push.ms.toFixed(0)} ms (peak ${(run.push.peakKiB / 1024).toFixed(0)} MiB), ` +
          `pull ${run.pull.ms.toFixed(0)} ms (peak ${(run.pull.peakKiB / 1024).toFixed(0)} MiB)`,
      );
    }
  }

  const requestRuns: Record<'push' | 'pull', Record<ServerKind, ReplayResult['requests'][]>> = {
    push: { official: [], hearth: [] },
    pull: { official: [], hearth: [] },
  };
  for (let round = 0; round < REPLAY_ROUNDS; round++) {
    for (const kind of orderOf(round + ROUNDS)) {
      const run = await h.withServer(kind, {}, (server) => replayRun(server, rec!));
      result(pushReplay)[kind].push(run.push);
      result(pullReplay)[kind].push(run.pull);
      requestRuns.push[kind].push(run.pushRequests);
      requestRuns.pull[kind].push(run.pullRequests);
      h.log(
        `replay round ${round + 1}/${REPLAY_ROUNDS} ${kind.padEnd(8)} push ${run.push.ms.toFixed(0)} ms (peak ${(run.push.peakKiB / 1024).toFixed(0)} MiB), ` +
          `pull ${run.pull.ms.toFixed(0)} ms (peak ${(run.pull.peakKiB / 1024).toFixed(0)} MiB)`,
      );
    }
  }

  const all = [...results.values()];
  const slower = slowerOperations(all);
  let profileSection = '';
  if ((flags.profile || slower.length > 0) && rec !== undefined && h.remainingMs() < PROFILE_NEEDS_MS) {
    h.log(`no time left for the profile run (${(h.remainingMs() / 1000).toFixed(0)} s left)`);
    profileSection = `(No CPU profile this time: only ${(h.remainingMs() / 1000).toFixed(0)} s were left of BENCH_TIMEOUT_MS.)`;
  } else if ((flags.profile || slower.length > 0) && rec !== undefined) {
    const dir = h.profileDir();
    h.log(`profiling Hearth (--cpu-prof into ${path.relative(PROJECT_ROOT, dir)})`);
    const run = await h.withServer('hearth', cpuProfileEnv(dir), (server) => replayRun(server, rec!));
    profileSection = summarizeCpuProfiles(
      [
        {
          dir,
          operations: [
            { label: `push (protocol replay, ${run.push.ms.toFixed(0)} ms)`, window: run.windows.push },
            { label: `pull (protocol replay, ${run.pull.ms.toFixed(0)} ms)`, window: run.windows.pull },
          ],
        },
      ],
      14,
      { callers: true },
    );
  }

  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux, Node ${process.version}, Anki ${anki.anki_version} (pip \`anki\` in .venv, official server \`python -m anki.syncserver\`)`;
  const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;
  const cmd = `node bench/normal-sync.bench.ts --rounds ${ROUNDS} --replay-rounds ${REPLAY_ROUNDS}${CARDS === 2000 ? '' : ` --cards ${CARDS}`}${flags.wire ? ' --wire' : ''}${flags.hearth === 'worktree' ? '' : ` --hearth ${flags.hearth}`}`;
  const section = [
    `## Normal sync: Hearth vs the official server`,
    '',
    `Run ${date} UTC: \`${cmd}\`, ${h.elapsedS().toFixed(0)} s in all.`,
    '',
    `- Machine: ${machine}.`,
    `- Data folders and devices on ${h.disk.description}.`,
    `- Hearth measured: ${h.hearth.label}.`,
    `- Collection: *${col.label}* of the full-sync benchmark (${n(col.info.notes)} notes, ${n(col.info.cards)} cards, ${n(col.info.revlog)} revlog rows, ${col.info.decks} decks). ` +
      `Devices A and B start level (A full-uploads, B full-downloads). Then A answers ${n(CARDS)} cards — a fixed sample of all cards (new and review cards), ` +
      `through the client's v3 scheduler (\`bench/review_cards.py\`) — so A has ${n(CARDS)} changed cards and ${n(CARDS)} new revlog rows to send ` +
      '(plus the decks whose daily counters changed). A syncs (the *push*), then B syncs (the *pull*); afterwards A and B hold the same cards and revlog.',
    ...(rec === undefined
      ? []
      : [
          `- The real client's requests (recorded once per run against the official server): push = ${describeSequence(rec.push)} ` +
            `(${kib(sentBytes(rec.push))} sent, ${kib(receivedBytes(rec.push))} received, compressed); ` +
            `pull = ${describeSequence(rec.pull)} (${kib(sentBytes(rec.pull))} sent, ${kib(receivedBytes(rec.pull))} received).`,
        ]),
    '',
    `**What is measured.** *Real client* rows: ${ROUNDS} rounds, alternating which server goes first; per round and server a fresh server and fresh devices; ` +
      "Anki's own client (`test/interop/anki_driver.py`) timed around its `sync` call, i.e. what the client observes: its own work (gathering, merging and " +
      'marking the changes, counting for the sanity check) plus every request to the server. ' +
      (REPLAY_ROUNDS === 0
        ? ''
        : `*Protocol replay* rows: ${REPLAY_ROUNDS} rounds, alternating; a fresh server gets the recorded conversation (full upload and download first, untimed), ` +
          "then the push's and the pull's requests are sent again exactly as the client sent them (zstd bodies compressed beforehand, replies decoded after the clock stops; " +
          "only the host key differs) and timed from the first request to the last reply byte — the server's share without the client's. " +
          'Every replayed reply is checked against the recorded one. ') +
      'Median with min–max. Peak RSS: the server process\'s VmHWM, reset before each operation, max over rounds; "idle" = its RSS just before. Goal: ratio ≤ 1.0.',
    '',
    resultsTable(all),
    '',
    loadSummary(all, QUIET_THRESHOLD_CORES, h.quietGate.waitedMs),
    '',
    slower.length === 0 ? '**All goals met.**' : `**Goals not met:**\n${slower.map((f) => `- ${f}`).join('\n')}`,
    '',
    'Server CPU = user + system time of the whole server process (all threads) during the operation.',
    '',
    cpuTable(all),
    ...(wireRuns.pull.hearth.length === 0 || wireRuns.pull.official.length === 0
      ? []
      : ['', WIRE_TABLE_INTRO, '', wireTable((['push', 'pull'] as const).map((op) => ({ label: op, ...wireRuns[op] })))]),
    ...(REPLAY_ROUNDS === 0
      ? []
      : [
          '',
          'Protocol replay, request by request (median over rounds of the summed time of each method):',
          '',
          methodTable('push', requestRuns.push),
          '',
          methodTable('pull', requestRuns.pull),
        ]),
    ...(profileSection === '' ? [] : ['', profileSection]),
  ].join('\n');

  process.stdout.write(`\n${section}\n`);
  if (!flags['no-docs']) {
    updateDocs(path.join(PROJECT_ROOT, 'docs', 'benchmarks.md'), section, 'normal-sync.bench.ts');
    h.log('updated docs/benchmarks.md');
  }
}

h.run(main);
