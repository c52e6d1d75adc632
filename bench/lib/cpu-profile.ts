/**
 * Summarises the `.cpuprofile` that `node --cpu-prof` writes when a server process exits, per
 * operation: only the samples taken while that operation ran count (V8 stamps samples with
 * CLOCK_MONOTONIC microseconds, the clock of process.hrtime in the benchmark). Lists the top
 * self time and the inclusive time of Hearth's own functions. Work Node hands to its thread pool
 * (zstd streams, file writes) is not on the main thread; it shows there as "(idle)".
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** [start, end] in CLOCK_MONOTONIC microseconds. */
export type TimeWindow = [number, number];

export interface ProfiledRun {
  /** Folder given to --cpu-prof-dir; holds one profile (one server process). */
  readonly dir: string;
  readonly operations: { label: string; window: TimeWindow }[];
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const fn = functionName === '' ? '(anonymous)' : functionName;
  if (url === '') return fn;
  const file = url.replace(/^file:\/\//, '');
  const short = file.includes('/node_modules/')
    ? file.slice(file.lastIndexOf('/node_modules/') + 1)
    : file.includes('/src/')
      ? file.slice(file.lastIndexOf('/src/') + 1)
      : file;
  return `${fn} (${short}:${lineNumber + 1})`;
}

interface Analysis {
  sampledMs: number;
  self: Map<string, number>;
  inclusive: Map<string, number>;
  /** Per self-time frame: the nearest Hearth (src/) frame on its stack → ms. */
  callers: Map<string, Map<string, number>>;
}

const isHearthFrame = (node: ProfileNode): boolean => /\/src\/(server|shared)\//.test(node.callFrame.url);

function analyse(profile: CpuProfile, window: TimeWindow): Analysis {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const nearestHearth = (id: number): string => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parentOf.get(cur)) {
      const node = byId.get(cur)!;
      if (isHearthFrame(node)) return frameName(node);
    }
    return '—';
  };
  const selfById = new Map<number, number>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < window[0] || t > window[1]) continue;
    // timeDeltas[i + 1] is the time until the next sample, i.e. the time spent in sample i.
    const us = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i]!;
    selfById.set(id, (selfById.get(id) ?? 0) + us);
  }
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const callers = new Map<string, Map<string, number>>();
  for (const [id, us] of selfById) {
    const name = frameName(byId.get(id)!);
    const caller = nearestHearth(id);
    const m = callers.get(name) ?? new Map<string, number>();
    m.set(caller, (m.get(caller) ?? 0) + us / 1000);
    callers.set(name, m);
  }
  // Inclusive time without double-counting recursion: a frame name counts once per stack.
  const walk = (id: number, onStack: Set<string>): number => {
    const node = byId.get(id)!;
    const name = frameName(node);
    const own = selfById.get(id) ?? 0;
    if (own > 0) self.set(name, (self.get(name) ?? 0) + own / 1000);
    const fresh = !onStack.has(name);
    if (fresh) onStack.add(name);
    let total = own;
    for (const child of node.children ?? []) total += walk(child, onStack);
    if (fresh) {
      onStack.delete(name);
      if (total > 0) inclusive.set(name, (inclusive.get(name) ?? 0) + total / 1000);
    }
    return total;
  };
  const sampledMs = walk(profile.nodes[0]!.id, new Set()) / 1000;
  return { sampledMs, self, inclusive, callers };
}

function top(map: Map<string, number>, n: number, filter: (name: string) => boolean = () => true): [string, number][] {
  return [...map.entries()]
    .filter(([name]) => filter(name))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n);
}

export interface SummaryOptions {
  /**
   * Adds to each top self-time frame the Hearth (src/) function nearest to it on the stack —
   * where time spent in Node or a library comes from — with the share of the frame's time.
   */
  readonly callers?: boolean;
}

/** Markdown: per operation, the top `n` self-time frames and Hearth (src/) functions by inclusive time. */
export function summarizeCpuProfiles(runs: ProfiledRun[], n: number, options: SummaryOptions = {}): string {
  const out: string[] = [
    '### Hearth CPU profile per operation (`node --cpu-prof`, main thread, one extra run)',
    '',
    'ms = main-thread time in that frame while the operation ran; `(idle)` = the main thread waiting (for the socket, the disk, or the zstd work Node runs on its thread pool).',
    '',
  ];
  for (const run of runs) {
    const file = readdirSync(run.dir).find((f) => f.endsWith('.cpuprofile'));
    if (file === undefined) {
      out.push(`(no profile was written in ${run.dir})`, '');
      continue;
    }
    const profile = JSON.parse(readFileSync(path.join(run.dir, file), 'utf8')) as CpuProfile;
    for (const op of run.operations) {
      const { sampledMs, self, inclusive, callers } = analyse(profile, op.window);
      const wallMs = (op.window[1] - op.window[0]) / 1000;
      out.push(`**${op.label}**: ${wallMs.toFixed(0)} ms wall, ${sampledMs.toFixed(0)} ms sampled.`, '');
      const pct = (ms: number): string => `${((ms / Math.max(sampledMs, 1e-9)) * 100).toFixed(1)} %`;
      out.push(
        options.callers
          ? '| top self time | ms | share | called from (nearest src/ function, share of that frame) | | Hearth function (src/), inclusive | ms | share |'
          : '| top self time | ms | share | | Hearth function (src/), inclusive | ms | share |',
        options.callers ? '| --- | ---: | ---: | --- | --- | --- | ---: | ---: |' : '| --- | ---: | ---: | --- | --- | ---: | ---: |',
      );
      const a = top(self, n);
      const b = top(inclusive, n, (x) => x.includes('(src/server/'));
      const callerCell = (name: string | undefined, ms: number): string => {
        if (name === undefined) return '';
        const m = [...(callers.get(name) ?? new Map<string, number>())].sort((x, y) => y[1] - x[1])[0];
        if (m === undefined || m[0] === '—') return '—';
        return `\`${m[0]}\` (${((m[1] / Math.max(ms, 1e-9)) * 100).toFixed(0)} %)`;
      };
      for (let i = 0; i < Math.max(a.length, b.length); i++) {
        const cell = (entry: [string, number] | undefined): string =>
          entry === undefined ? ' | | ' : `\`${entry[0]}\` | ${entry[1].toFixed(0)} | ${pct(entry[1])}`;
        const left = cell(a[i]);
        const right = cell(b[i]);
        if (options.callers) out.push(`| ${left} | ${callerCell(a[i]?.[0], a[i]?.[1] ?? 0)} | | ${right} |`);
        else out.push(`| ${left} | | ${right} |`);
      }
      out.push('');
    }
  }
  return out.join('\n').trimEnd();
}
