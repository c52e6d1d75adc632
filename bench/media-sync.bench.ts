/**
 * Media-sync benchmark: Hearth against Anki's official sync server, in the same run.
 *
 *   node bench/media-sync.bench.ts [--rounds 3] [--only big|small] [--wire] [--profile] [--no-docs] [--hearth <git ref>]
 *
 * Two cases, each with random (incompressible) files from a fixed seed:
 *   big   — 500 files of 100 KB (48.8 MiB),
 *   small — 5,000 files of 1–2 KB (~7.3 MiB).
 * Device A holds the files as the editor adds them (pending upload in the client's media
 * database); the device folders are built once with the real client by bench/media_fill.py and
 * cached in bench/.cache/media/ (bench/lib/media-templates.ts).
 *
 * Per round (alternating which server goes first) and server kind: a fresh server with one account
 * per case (so each case starts from an empty media folder on the server). Per case, device A (a
 * copy of the template, plus 5 notes) full-uploads its collection and device B full-downloads it
 * (no media yet); then A's media sync (the upload of all files) and B's media sync (the download
 * of all files) are timed around the driver's `sync_media` (test/interop/anki-client.ts), i.e. as
 * the real client observes them. B's media folder must then hold exactly A's files (names and
 * SHA-1s). Each timed operation waits for a quiet machine first and records the server's peak RSS
 * and CPU; Hearth's own request log gives the requests per method and its time for each. With
 * --profile, or by itself when Hearth is slower somewhere, one more Hearth server runs the cases
 * with `node --cpu-prof` (those where Hearth is slowest first, as many as the time left allows)
 * and the top functions are listed. With --wire (root, tcpdump installed), each timed media sync is
 * also captured on the loopback interface and split into the server's and the client's time
 * (bench/lib/wire-timeline.ts).
 *
 * The whole run is bounded by BENCH_TIMEOUT_MS; every wait has its own named timeout.
 */
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import type { AnkiClient } from '../test/interop/anki-client.ts';
import type { RunningServer, ServerKind } from '../test/interop/servers.ts';
import { PROJECT_ROOT } from './lib/bench-collections.ts';
import { summarizeCpuProfiles } from './lib/cpu-profile.ts';
import type { ProfiledRun, TimeWindow } from './lib/cpu-profile.ts';
import { Harness, cpuProfileEnv, orderOf } from './lib/harness.ts';
import { LOG_SETTLE_MS, loggedRequests } from './lib/hearth-log.ts';
import { QUIET_THRESHOLD_CORES } from './lib/machine-load.ts';
import { WIRE_TABLE_INTRO, startWireCapture, wireTable } from './lib/wire-timeline.ts';
import type { WireTimeline } from './lib/wire-timeline.ts';
import { copyTemplate, ensureMediaTemplate } from './lib/media-templates.ts';
import type { MediaRecipe, MediaTemplate } from './lib/media-templates.ts';
import { cpuTable, loadSummary, median, ratio, resultsTable, slowerOperations, updateDocs } from './lib/report.ts';
import type { OperationResult, Sample } from './lib/report.ts';

/** The whole benchmark (building the media templates the first time included) must end within this. */
const BENCH_TIMEOUT_MS = 345_000;
/** Real-client requests (login, full sync, media sync, listing the media folder). */
const DRIVER_REQUEST_TIMEOUT_MS = 150_000;
/** What the driver gives one media sync before aborting it (seconds, its `timeout`). */
const MEDIA_SYNC_TIMEOUT_S = 120;

const PASSWORD = 'bench-password';
/**
 * Total wait for quiet moments in this benchmark (less than the default 90 s): the media syncs
 * themselves take most of BENCH_TIMEOUT_MS while Hearth is slow on small files.
 */
const QUIET_BUDGET_MS = 45_000;
/** What must still be left of BENCH_TIMEOUT_MS after the profile run (server start and stop, report). */
const PROFILE_MARGIN_MS = 25_000;
/** Setting one case's devices up (logins, full upload and download) before its timed syncs. */
const CASE_SETUP_MS = 10_000;

const CASES: Record<'big' | 'small', { recipe: MediaRecipe; label: string; user: string }> = {
  big: {
    recipe: { key: 'big500x100k', count: 500, minBytes: 100 * 1024, maxBytes: 100 * 1024, seed: 500, prefix: 'big' },
    label: '500 files × 100 KiB',
    user: 'alice',
  },
  small: {
    recipe: { key: 'small5000x1-2k', count: 5000, minBytes: 1024, maxBytes: 2048, seed: 5000, prefix: 'small' },
    label: '5,000 files × 1–2 KiB',
    user: 'bob',
  },
};
type CaseName = keyof typeof CASES;

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    wire: { type: 'boolean', default: false },
    'no-docs': { type: 'boolean', default: false },
    hearth: { type: 'string', default: 'worktree' },
  },
});
const ROUNDS = Math.max(1, Number.parseInt(flags.rounds, 10) || 3);
const CASE_NAMES: CaseName[] = flags.only === 'big' || flags.only === 'small' ? [flags.only] : ['big', 'small'];

const h = new Harness({
  name: 'media-sync',
  timeoutMs: BENCH_TIMEOUT_MS,
  timeoutName: 'BENCH_TIMEOUT_MS',
  hearthRef: flags.hearth,
  driverRequestTimeoutMs: DRIVER_REQUEST_TIMEOUT_MS,
  users: Object.values(CASES).map((c) => `${c.user}:${PASSWORD}`),
  quietBudgetMs: QUIET_BUDGET_MS,
});

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

interface CaseRun {
  upload: Sample;
  download: Sample;
  windows: { upload: TimeWindow; download: TimeWindow };
  /** Hearth only: per method, the durations its request log gives for the upload and the download. */
  logged: { upload: Map<string, number[]>; download: Map<string, number[]> };
  /** With --wire: the server's and the client's shares, from the packets. */
  wire: { upload?: WireTimeline; download?: WireTimeline };
}

/** `measure` around a media sync, with a packet capture when --wire asks for one. */
async function measureSync(
  server: RunningServer,
  fn: () => Promise<unknown>,
): Promise<Awaited<ReturnType<Harness['measure']>> & { wire?: WireTimeline }> {
  const capture = flags.wire ? await startWireCapture(Number(new URL(server.endpoint).port), (l) => h.log(l)) : undefined;
  const measured = await h.measure(server, fn);
  const wire = await capture?.stop();
  return wire ? { ...measured, wire } : measured;
}

/** One case on a running server: set its account's devices up, then time A's and B's media syncs. */
async function runCase(server: RunningServer, anki: AnkiClient, name: CaseName, template: MediaTemplate, tmp: string): Promise<CaseRun> {
  const { user } = CASES[name];
  const deviceA = copyTemplate(template, path.join(tmp, `${name}-a`));
  const deviceB = path.join(tmp, `${name}-b`, 'collection.anki2');
  await anki.login(deviceA, server.endpoint, user, PASSWORD);
  await anki.populate(deviceA, { notes: 5, reviews: 0 });
  const first = await anki.sync(deviceA);
  if (first.required !== 'FULL_UPLOAD') throw new Error(`${server.kind}: device A was asked for ${first.required}, not FULL_UPLOAD`);
  await anki.fullUpload(deviceA);
  await anki.login(deviceB, server.endpoint, user, PASSWORD);
  const second = await anki.sync(deviceB);
  if (second.required !== 'FULL_DOWNLOAD') throw new Error(`${server.kind}: device B was asked for ${second.required}, not FULL_DOWNLOAD`);
  await anki.fullDownload(deviceB);

  const up = await measureSync(server, () => anki.syncMedia(deviceA, { timeoutSecs: MEDIA_SYNC_TIMEOUT_S }));
  await sleep(LOG_SETTLE_MS);
  const upLogged = loggedRequests(server, up.epoch[0], up.epoch[1] + LOG_SETTLE_MS);
  const down = await measureSync(server, () => anki.syncMedia(deviceB, { timeoutSecs: MEDIA_SYNC_TIMEOUT_S }));
  await sleep(LOG_SETTLE_MS);
  const downLogged = loggedRequests(server, down.epoch[0], down.epoch[1] + LOG_SETTLE_MS);

  const folder = await anki.mediaFiles(deviceB);
  const names = Object.keys(template.sha1);
  const got = new Map(folder.files.map((f) => [f.name, f.sha1]));
  const wrong = names.filter((n) => got.get(n) !== template.sha1[n]);
  if (folder.files.length !== names.length || wrong.length > 0) {
    throw new Error(
      `${server.kind}: after the media syncs device B holds ${folder.files.length} files, ${wrong.length} of the ${names.length} expected missing or different (e.g. ${wrong.slice(0, 3).join(', ')})`,
    );
  }
  // Both devices are done; the driver need not keep them open.
  await anki.close(deviceA);
  await anki.close(deviceB);
  return {
    upload: up.sample,
    download: down.sample,
    windows: { upload: up.window, download: down.window },
    logged: { upload: upLogged, download: downLogged },
    wire: { ...(up.wire ? { upload: up.wire } : {}), ...(down.wire ? { download: down.wire } : {}) },
  };
}

/** A fresh server of `kind` and one Anki driver; every case in turn, each on its own account. */
async function runRound(kind: ServerKind, cases: CaseName[], env: Record<string, string> = {}): Promise<Map<CaseName, CaseRun>> {
  const tmp = h.dataFolder(`devices-${kind}-`);
  try {
    return await h.withServer(kind, env, (server) =>
      h.withClient(async (anki) => {
        const runs = new Map<CaseName, CaseRun>();
        for (const name of cases) runs.set(name, await runCase(server, anki, name, templates.get(name)!, tmp));
        return runs;
      }),
    );
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Hearth's request log: per method, requests per sync and Hearth's summed time (medians over rounds). */
function loggedTable(rows: { label: string; runs: Map<string, number[]>[] }[]): string {
  const lines = [
    '| operation | method | requests | Hearth server-logged ms, sum (median over rounds) | per request, median |',
    '| --- | --- | ---: | ---: | ---: |',
  ];
  for (const { label, runs } of rows) {
    const methods = [...new Set(runs.flatMap((r) => [...r.keys()]))];
    for (const m of methods) {
      const lists = runs.map((r) => r.get(m) ?? []);
      const count = median(lists.map((l) => l.length));
      const sum = median(lists.map((l) => l.reduce((a, b) => a + b, 0)));
      const per = median(lists.flat());
      lines.push(`| ${label} | ${m} | ${count} | ${sum.toFixed(0)} | ${per.toFixed(0)} |`);
    }
  }
  return lines.join('\n');
}

const templates = new Map<CaseName, MediaTemplate>();

async function main(): Promise<void> {
  await h.init();
  for (const name of CASE_NAMES) templates.set(name, await ensureMediaTemplate(h, CASES[name].recipe));
  const anki = await h.withClient((c) => c.ping());
  h.log(`media templates ready after ${h.elapsedS().toFixed(0)} s; Anki ${anki.anki_version}`);

  const results = new Map<string, OperationResult>();
  const result = (operation: string): OperationResult => {
    let r = results.get(operation);
    if (r === undefined) {
      r = { operation, official: [], hearth: [] };
      results.set(operation, r);
    }
    return r;
  };
  const opLabel = (name: CaseName, dir: 'upload' | 'download'): string => {
    const t = templates.get(name)!;
    return `${CASES[name].label} (${mib(t.bytes)}): ${dir === 'upload' ? 'A uploads' : 'B downloads'}, real client end to end`;
  };

  const wireRuns = new Map<string, Record<ServerKind, WireTimeline[]>>();
  const wired = (operation: string, kind: ServerKind, w: WireTimeline | undefined): void => {
    if (w === undefined) return;
    let r = wireRuns.get(operation);
    if (r === undefined) wireRuns.set(operation, (r = { official: [], hearth: [] }));
    r[kind].push(w);
  };
  const hearthLogged = new Map<string, Map<string, number[]>[]>();
  const logged = (operation: string): Map<string, number[]>[] => {
    let l = hearthLogged.get(operation);
    if (l === undefined) hearthLogged.set(operation, (l = []));
    return l;
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of orderOf(round)) {
      const runs = await runRound(kind, CASE_NAMES);
      for (const [name, run] of runs) {
        result(opLabel(name, 'upload'))[kind].push(run.upload);
        result(opLabel(name, 'download'))[kind].push(run.download);
        wired(opLabel(name, 'upload'), kind, run.wire.upload);
        wired(opLabel(name, 'download'), kind, run.wire.download);
        if (kind === 'hearth') {
          logged(opLabel(name, 'upload')).push(run.logged.upload);
          logged(opLabel(name, 'download')).push(run.logged.download);
        }
        h.log(
          `round ${round + 1}/${ROUNDS} ${kind.padEnd(8)} ${name.padEnd(5)} upload ${run.upload.ms.toFixed(0)} ms (peak ${(run.upload.peakKiB / 1024).toFixed(0)} MiB), ` +
            `download ${run.download.ms.toFixed(0)} ms (peak ${(run.download.peakKiB / 1024).toFixed(0)} MiB)`,
        );
      }
    }
  }

  const all = [...results.values()];
  const slower = slowerOperations(all);
  // The profile run: the cases where Hearth is slowest first, as many as fit the time left.
  const profileCandidates = CASE_NAMES.map((name) => {
    const ops = [result(opLabel(name, 'upload')), result(opLabel(name, 'download'))];
    const worst = (r: OperationResult): number => Math.max(...r.hearth.map((x) => x.ms));
    // Profiling slows Hearth somewhat; the devices are set up again, too.
    return { name, ratio: Math.max(...ops.map(ratio)), costMs: (worst(ops[0]!) + worst(ops[1]!)) * 1.3 + CASE_SETUP_MS };
  })
    .filter((c) => flags.profile || c.ratio > 1)
    .sort((a, b) => b.ratio - a.ratio);
  let budget = h.remainingMs() - PROFILE_MARGIN_MS;
  const profiled: CaseName[] = [];
  for (const c of profileCandidates) {
    if (c.costMs > budget) continue;
    profiled.push(c.name);
    budget -= c.costMs;
  }
  const unprofiled = profileCandidates.filter((c) => !profiled.includes(c.name)).map((c) => c.name);
  if (unprofiled.length > 0) {
    h.log(`no time left to profile ${unprofiled.join(', ')} (${(h.remainingMs() / 1000).toFixed(0)} s left)`);
  }
  let profileSection = '';
  if (profiled.length > 0) {
    const dir = h.profileDir();
    h.log(`profiling Hearth on ${profiled.join(', ')} (--cpu-prof into ${path.relative(PROJECT_ROOT, dir)})`);
    const runs = await runRound('hearth', profiled, cpuProfileEnv(dir));
    const operations: ProfiledRun['operations'] = [];
    for (const [name, run] of runs) {
      operations.push(
        { label: `${CASES[name].label}: A uploads (${run.upload.ms.toFixed(0)} ms)`, window: run.windows.upload },
        { label: `${CASES[name].label}: B downloads (${run.download.ms.toFixed(0)} ms)`, window: run.windows.download },
      );
    }
    profileSection = summarizeCpuProfiles([{ dir, operations }], 12, { callers: true });
  }
  if (unprofiled.length > 0) {
    profileSection +=
      `${profileSection === '' ? '' : '\n\n'}(No CPU profile of ${unprofiled.map((n) => `*${CASES[n].label}*`).join(', ')} this time: ` +
      `not enough of BENCH_TIMEOUT_MS was left; \`node bench/media-sync.bench.ts --rounds 1 --profile${unprofiled.length === 1 ? ` --only ${unprofiled[0]}` : ''}\` profiles.)`;
  }

  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux, Node ${process.version}, Anki ${anki.anki_version} (pip \`anki\` in .venv, official server \`python -m anki.syncserver\`)`;
  const cmd = `node bench/media-sync.bench.ts --rounds ${ROUNDS}${flags.only ? ` --only ${flags.only}` : ''}${flags.wire ? ' --wire' : ''}${flags.hearth === 'worktree' ? '' : ` --hearth ${flags.hearth}`}`;
  const section = [
    `## Media sync: Hearth vs the official server`,
    '',
    `Run ${date} UTC: \`${cmd}\`, ${h.elapsedS().toFixed(0)} s in all.`,
    '',
    `- Machine: ${machine}.`,
    `- Data folders and devices on ${h.disk.description}.`,
    `- Hearth measured: ${h.hearth.label}.`,
    `- Media: ${CASE_NAMES.map((n) => `*${CASES[n].label}* (${mib(templates.get(n)!.bytes)})`).join(' and ')}, random bytes from a fixed seed (incompressible), ` +
      "added on device A through the client's `col.media.write_data` (`bench/media_fill.py`; cached in `bench/.cache/media/`), so they are pending upload as after adding them in the editor.",
    '',
    `**What is measured.** ${ROUNDS} rounds, alternating which server goes first; per round a fresh server of each kind with one account per case, and fresh devices that start level ` +
      "through a full upload (A, 5 notes) and a full download (B), without media. Then A's media sync (uploading every file) and B's media sync " +
      "(downloading every file) are timed around the driver's `sync_media`, i.e. as Anki's own client observes them: its folder scan, the zips it builds " +
      'or unpacks, its media database, and every request (`begin`, `mediaChanges`, `uploadChanges`, `downloadFiles`, `mediaSanity`). The driver polls the ' +
      "client's media-sync status every 50 ms, so each time is rounded up to the next poll. Afterwards B's media folder must hold exactly A's files " +
      '(names and SHA-1). Median with min–max. Peak RSS: the server process\'s VmHWM, reset before each operation, max over rounds; "idle" = its RSS just before. Goal: ratio ≤ 1.0.',
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
    ...(wireRuns.size === 0
      ? []
      : [
          '',
          WIRE_TABLE_INTRO,
          '',
          wireTable([...wireRuns].map(([label, runs]) => ({ label: label.replace(', real client end to end', ''), ...runs }))),
        ]),
    '',
    "Hearth's own request log for the same runs (the official server logs no durations): the real client's requests per media sync, and Hearth's time for them " +
      '(from the request to the reply handed to the socket).',
    '',
    loggedTable([...hearthLogged].map(([label, runs]) => ({ label: label.replace(', real client end to end', ''), runs }))),
    ...(profileSection === '' ? [] : ['', profileSection]),
  ].join('\n');

  process.stdout.write(`\n${section}\n`);
  if (!flags['no-docs']) {
    updateDocs(path.join(PROJECT_ROOT, 'docs', 'benchmarks.md'), section, 'media-sync.bench.ts');
    h.log('updated docs/benchmarks.md');
  }
}

h.run(main);
