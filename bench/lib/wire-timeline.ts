/**
 * Splits a real-client operation between the server and the client, from the packets on the
 * loopback interface (`tcpdump`, so root and Linux only): for each request/response exchange,
 * *server* time = the request's last byte → the response's first byte, *client* time = the
 * response's last byte → the next request's first byte (the client working on what it got).
 * Both servers answer the same client with the same bytes, so a difference in client time means
 * the client was slowed down — e.g. by the server's process taking CPU from it on a shared machine.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

import { median } from './report.ts';

/** tcpdump prints "listening on lo …" once it captures; more than this means it will not start. */
const CAPTURE_START_TIMEOUT_MS = 10_000;
/** After the operation, the last packets may still be on their way into tcpdump's output. */
const CAPTURE_DRAIN_MS = 200;

export interface WireTimeline {
  /** Request/response pairs seen. */
  readonly exchanges: number;
  /** Sum over exchanges of request end → response start, ms. */
  readonly serverMs: number;
  /** Sum over exchanges of response end → next request start, ms. */
  readonly clientMs: number;
}

interface Segment {
  readonly t: number;
  readonly fromServer: boolean;
}

const LINE = /^(\d+\.\d+) .*?IP [\d.]+\.(\d+) > [\d.]+\.(\d+): tcp (\d+)/;

/**
 * The timeline of `tcpdump -q -tt -n` lines for connections to `serverPort`. Segments without
 * payload (ACKs) are ignored; consecutive payload in one direction is one request or response.
 */
export function parseWireTimeline(lines: string, serverPort: number): WireTimeline {
  const segments: Segment[] = [];
  for (const line of lines.split('\n')) {
    const m = LINE.exec(line);
    if (!m || Number(m[4]) === 0) continue;
    if (Number(m[2]) !== serverPort && Number(m[3]) !== serverPort) continue;
    segments.push({ t: Number(m[1]) * 1000, fromServer: Number(m[2]) === serverPort });
  }
  // Runs of one direction: [first t, last t, from server].
  const runs: { first: number; last: number; fromServer: boolean }[] = [];
  for (const s of segments) {
    const run = runs.at(-1);
    if (run && run.fromServer === s.fromServer) run.last = s.t;
    else runs.push({ first: s.t, last: s.t, fromServer: s.fromServer });
  }
  let exchanges = 0;
  let serverMs = 0;
  let clientMs = 0;
  for (let i = 0; i + 1 < runs.length; i++) {
    const run = runs[i]!;
    const next = runs[i + 1]!;
    if (!run.fromServer && next.fromServer) {
      exchanges += 1;
      serverMs += next.first - run.last;
    } else if (run.fromServer && !next.fromServer) {
      clientMs += next.first - run.last;
    }
  }
  return { exchanges, serverMs, clientMs };
}

export interface WireCapture {
  /** Stops capturing and returns the timeline of what was captured. */
  stop(): Promise<WireTimeline>;
}

/** Starts capturing on `lo`; undefined (with the reason logged) when tcpdump cannot run here. */
export async function startWireCapture(serverPort: number, log: (line: string) => void): Promise<WireCapture | undefined> {
  let child: ChildProcess;
  try {
    child = spawn('tcpdump', ['-i', 'lo', '-l', '-n', '-q', '-tt', 'tcp', 'port', String(serverPort)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    log(`no wire timeline: ${(err as Error).message}`);
    return undefined;
  }
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const started = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), CAPTURE_START_TIMEOUT_MS);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      if (err.includes('listening on')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    child.once('error', (e) => {
      err += e.message;
      clearTimeout(timer);
      resolve(false);
    });
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (!started) {
    child.kill('SIGKILL');
    log(`no wire timeline: tcpdump did not start (${err.trim().split('\n').at(-1) ?? 'no output'})`);
    return undefined;
  }
  return {
    async stop() {
      await new Promise((resolve) => setTimeout(resolve, CAPTURE_DRAIN_MS));
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
      return parseWireTimeline(out, serverPort);
    },
  };
}

/** The paragraph that explains a wire table's columns. */
export const WIRE_TABLE_INTRO =
  "Real client, from the packets on the loopback interface (`--wire`, medians over rounds): *server* = each request's last byte to its " +
  "response's first byte, summed; *client* = each response's last byte to the next request, summed (the client working on what it got).";

/** Server and client shares of real-client operations, per server (medians over rounds). */
export function wireTable(rows: { label: string; official: WireTimeline[]; hearth: WireTimeline[] }[]): string {
  const lines = [
    '| operation | exchanges | official: server ms / client ms | Hearth: server ms / client ms | server ratio | client ratio |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of rows) {
    if (row.official.length === 0 || row.hearth.length === 0) continue;
    const of = (runs: WireTimeline[], key: 'serverMs' | 'clientMs'): number => median(runs.map((w) => w[key]));
    const [os, oc, hs, hc] = [
      of(row.official, 'serverMs'),
      of(row.official, 'clientMs'),
      of(row.hearth, 'serverMs'),
      of(row.hearth, 'clientMs'),
    ];
    const exchanges = median(row.hearth.map((w) => w.exchanges));
    lines.push(
      `| ${row.label} | ${exchanges} | ${os.toFixed(1)} / ${oc.toFixed(1)} | ${hs.toFixed(1)} / ${hc.toFixed(1)} | ${(hs / os).toFixed(2)} | ${(hc / oc).toFixed(2)} |`,
    );
  }
  return lines.join('\n');
}
