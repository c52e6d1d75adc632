/**
 * Memory under a hostile login: four unauthenticated `/sync/hostKey` requests at once, each with
 * a 250 MiB incompressible body, against Hearth and the official server in one run. Reports
 * each server's peak resident memory above its idle (VmHWM reset before, lib/rss.ts). Goal
 * (issue "Hostile and faulty input, round 2"): Hearth below 100 MiB above idle.
 *
 *   node bench/hostile-memory.bench.ts [--rounds N]     (default 3; writes its section of docs/benchmarks.md)
 */
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { createZstdCompress } from 'node:zlib';
import path from 'node:path';
import { startServer } from '../test/interop/servers.ts';
import type { ServerKind } from '../test/interop/servers.ts';
import { watchRss } from './lib/rss.ts';
import { updateDocs } from './lib/report.ts';
import { PROJECT_ROOT } from './lib/bench-collections.ts';

const BODY_BYTES = 250 * 1024 * 1024;
const CONCURRENT = 4;
const GOAL_MIB = 100;
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 3;

/** 250 MiB of random bytes, zstd-compressed as a client would send them (stays incompressible). */
function hostileBody(): Readable {
  let left = BODY_BYTES;
  const source = new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(left, 1024 * 1024);
      left -= n;
      this.push(randomBytes(n));
    },
  });
  return source.pipe(createZstdCompress());
}

/** Sends one hostile hostKey; resolves with the status, or 0 when the server closed the connection. */
function hostileLogin(endpoint: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(new URL('/sync/hostKey', endpoint), {
      method: 'POST',
      headers: {
        'content-type': 'application/octet-stream',
        'anki-sync': JSON.stringify({ v: 11, k: '', c: '26.9.3,bench,linux', s: 'x' }),
      },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    const body = hostileBody();
    body.pipe(req);
    req.on('close', () => body.destroy());
  });
}

async function measure(kind: ServerKind): Promise<{ idleMiB: number; peakAboveIdleMiB: number; statuses: number[] }> {
  const server = await startServer(kind, { users: ['anna:annas-password'] });
  try {
    await new Promise((r) => setTimeout(r, 1_000));
    const stop = watchRss(server.pid);
    const statuses = await Promise.all(Array.from({ length: CONCURRENT }, () => hostileLogin(server.endpoint)));
    const reading = stop();
    return { idleMiB: reading.startKiB / 1024, peakAboveIdleMiB: (reading.peakKiB - reading.startKiB) / 1024, statuses };
  } finally {
    await server.stop();
  }
}

const results: Record<ServerKind, { idleMiB: number; peakAboveIdleMiB: number; statuses: number[] }[]> = { official: [], hearth: [] };
for (let round = 0; round < rounds; round++) {
  for (const kind of (round % 2 === 0 ? ['hearth', 'official'] : ['official', 'hearth']) as ServerKind[]) {
    const r = await measure(kind);
    results[kind].push(r);
    console.log(
      `round ${round + 1}/${rounds} ${kind.padEnd(8)} idle ${r.idleMiB.toFixed(0)} MiB, peak +${r.peakAboveIdleMiB.toFixed(0)} MiB, statuses ${r.statuses.join(' ')}`,
    );
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const row = (kind: ServerKind): string => {
  const peaks = results[kind].map((r) => r.peakAboveIdleMiB);
  return `| ${kind} | ${median(results[kind].map((r) => r.idleMiB)).toFixed(0)} | ${median(peaks).toFixed(0)} (${Math.min(...peaks).toFixed(0)}–${Math.max(...peaks).toFixed(0)}) | ${[...new Set(results[kind].flatMap((r) => r.statuses))].join(', ')} |`;
};
const hearthPeak = median(results.hearth.map((r) => r.peakAboveIdleMiB));
const section = [
  `### Memory under hostile logins (${new Date().toISOString().slice(0, 10)}, ${rounds} rounds)`,
  '',
  `${CONCURRENT} concurrent \`/sync/hostKey\` requests, each a 250 MiB incompressible body, nobody logged in. Peak RSS above idle (VmHWM), median (min–max).`,
  '',
  '| server | idle MiB | peak above idle MiB | statuses |',
  '| --- | ---: | ---: | --- |',
  row('hearth'),
  row('official'),
  '',
  `Goal: Hearth below ${GOAL_MIB} MiB above idle: **${hearthPeak < GOAL_MIB ? 'met' : 'not met'}** (${hearthPeak.toFixed(0)} MiB). Status 0: the server closed the connection before answering.`,
].join('\n');
updateDocs(path.join(PROJECT_ROOT, 'docs', 'benchmarks.md'), section, 'hostile-memory.bench.ts');
console.log(section);
