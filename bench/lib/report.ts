/**
 * Statistics and the markdown the benchmarks (bench/*.bench.ts) print and put into
 * docs/benchmarks.md. Each benchmark owns one generated section there, between its own markers
 * (`<!-- <name>: start … -->` … `<!-- <name>: end -->`), so runs of different benchmarks never
 * overwrite each other's results or the hand-written text around them.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Sample {
  /** Client-side duration of the operation (request start → last reply byte). */
  readonly ms: number;
  /** Request start → reply headers (protocol runs only). */
  readonly firstByteMs?: number;
  /** Server process peak RSS during the operation, KiB. */
  readonly peakKiB: number;
  /** Server process RSS before the operation, KiB. */
  readonly startKiB: number;
  /** Server process CPU time (user + system, all threads) during the operation. */
  readonly cpuMs?: number;
  /** Average CPU (in cores) other processes on the machine used during the operation. */
  readonly foreignCores?: number;
  /** Compressed reply size (downloads). */
  readonly wireBytes?: number;
  /** Duration the server itself logged for the request (Hearth only). */
  readonly serverMs?: number;
}

export interface OperationResult {
  readonly operation: string;
  readonly official: Sample[];
  readonly hearth: Sample[];
  /** Peak-RSS goal for this operation in bytes, if it has one. */
  readonly rssGoalBytes?: number;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const mib = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;

function timeCell(samples: Sample[]): string {
  if (samples.length === 0) return '—';
  const ms = samples.map((s) => s.ms);
  const med = Math.round(median(ms));
  if (samples.length === 1) return `${med}`;
  return `${med} (${Math.round(Math.min(...ms))}–${Math.round(Math.max(...ms))})`;
}

function rssCell(samples: Sample[]): string {
  if (samples.length === 0) return '—';
  return `${mib(Math.max(...samples.map((s) => s.peakKiB)))} (idle ${mib(median(samples.map((s) => s.startKiB)))})`;
}

export function ratio(r: OperationResult): number {
  return median(r.hearth.map((s) => s.ms)) / median(r.official.map((s) => s.ms));
}

function verdict(r: OperationResult): string {
  const notes: string[] = [];
  const q = ratio(r);
  notes.push(q <= 1 ? 'time ✔' : `time ✘ (${((q - 1) * 100).toFixed(0)} % slower)`);
  if (r.rssGoalBytes !== undefined) {
    const limitKiB = r.rssGoalBytes / 1024;
    const peak = (samples: Sample[]): number => Math.max(...samples.map((s) => s.peakKiB));
    notes.push(peak(r.hearth) <= limitKiB ? 'Hearth RSS ✔' : 'Hearth RSS ✘');
    notes.push(peak(r.official) <= limitKiB ? 'official RSS ✔' : 'official RSS ✘');
  }
  return notes.join(', ');
}

export function resultsTable(results: OperationResult[]): string {
  const lines = [
    '| operation | official ms, median (min–max) | Hearth ms, median (min–max) | ratio Hearth/official (goal ≤ 1.0) | official peak RSS | Hearth peak RSS | goals |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of results) {
    lines.push(
      `| ${r.operation} | ${timeCell(r.official)} | ${timeCell(r.hearth)} | ${ratio(r).toFixed(2)} | ${rssCell(r.official)} | ${rssCell(r.hearth)} | ${verdict(r)} |`,
    );
  }
  return lines.join('\n');
}

/** Where the time goes: first reply byte, Hearth's own logged duration, server CPU, reply size, other load. */
export function detailTable(results: OperationResult[]): string {
  const lines = [
    '| operation | first byte ms, official / Hearth | Hearth server-logged ms | server CPU ms, official / Hearth | reply on the wire, official / Hearth | other load on the machine, cores |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  const med = (samples: Sample[], pick: (s: Sample) => number | undefined, digits = 0): string => {
    const v = samples.map(pick).filter((x): x is number => x !== undefined);
    return v.length === 0 ? '—' : median(v).toFixed(digits);
  };
  const wire = (samples: Sample[]): string => {
    const v = samples.map((s) => s.wireBytes).filter((x): x is number => x !== undefined);
    return v.length === 0 ? '—' : `${(median(v) / 2 ** 20).toFixed(1)} MiB`;
  };
  for (const r of results) {
    const both = [...r.official, ...r.hearth];
    lines.push(
      `| ${r.operation} | ${med(r.official, (s) => s.firstByteMs)} / ${med(r.hearth, (s) => s.firstByteMs)} | ${med(r.hearth, (s) => s.serverMs)} ` +
        `| ${med(r.official, (s) => s.cpuMs)} / ${med(r.hearth, (s) => s.cpuMs)} | ${wire(r.official)} / ${wire(r.hearth)} ` +
        `| ${med(both, (s) => s.foreignCores, 2)} (max ${Math.max(...both.map((s) => s.foreignCores ?? 0)).toFixed(2)}) |`,
    );
  }
  return lines.join('\n');
}

/** How busy the rest of the machine was while the operations ran. */
export function loadSummary(results: OperationResult[], quietThreshold: number, waitedMs: number): string {
  const loads = results.flatMap((r) => [...r.official, ...r.hearth]).flatMap((s) => (s.foreignCores === undefined ? [] : [s.foreignCores]));
  if (loads.length === 0) return '';
  const busy = loads.filter((x) => x >= quietThreshold).length;
  return (
    `Other processes on the machine used ${median(loads).toFixed(2)} cores (median; max ${Math.max(...loads).toFixed(2)}) while operations were measured; ` +
    `${busy} of ${loads.length} operations ran with ≥ ${quietThreshold} cores of other load. The benchmark waited ${(waitedMs / 1000).toFixed(0)} s in all for quiet moments before operations.`
  );
}

/** Server CPU time and machine load per operation (for benchmarks without protocol-level timings). */
export function cpuTable(results: OperationResult[]): string {
  const lines = [
    '| operation | server CPU ms, official / Hearth (median) | server RSS before, official / Hearth | other load on the machine, cores |',
    '| --- | ---: | ---: | ---: |',
  ];
  const med = (samples: Sample[], pick: (s: Sample) => number | undefined, digits = 0): string => {
    const v = samples.map(pick).filter((x): x is number => x !== undefined);
    return v.length === 0 ? '—' : median(v).toFixed(digits);
  };
  for (const r of results) {
    const both = [...r.official, ...r.hearth];
    lines.push(
      `| ${r.operation} | ${med(r.official, (s) => s.cpuMs)} / ${med(r.hearth, (s) => s.cpuMs)} ` +
        `| ${mib(median(r.official.map((s) => s.startKiB)))} / ${mib(median(r.hearth.map((s) => s.startKiB)))} ` +
        `| ${med(both, (s) => s.foreignCores, 2)} (max ${Math.max(...both.map((s) => s.foreignCores ?? 0)).toFixed(2)}) |`,
    );
  }
  return lines.join('\n');
}

/** Operations whose median Hearth time is above the official server's (ratio > 1). */
export function slowerOperations(results: OperationResult[]): string[] {
  return results.filter((r) => ratio(r) > 1).map((r) => `${r.operation}: Hearth takes ${ratio(r).toFixed(2)}× the official server's time`);
}

/** The markers of a benchmark's generated section; `name` is the benchmark's file name. */
export function sectionMarkers(name: string): { start: string; end: string } {
  return { start: `<!-- ${name}: start (generated, replaced on every run) -->`, end: `<!-- ${name}: end -->` };
}

/**
 * Replaces the generated section of `name` (default: the full-sync benchmark's) in
 * docs/benchmarks.md, keeping everything else — other benchmarks' sections and the text written
 * by hand — as it is. A section that is not there yet is appended at the end.
 */
export function updateDocs(docPath: string, section: string, name = 'full-sync.bench.ts'): void {
  const { start, end } = sectionMarkers(name);
  const block = `${start}\n${section.trim()}\n${end}`;
  let text = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '';
  const a = text.indexOf(start);
  const b = a >= 0 ? text.indexOf(end, a) : -1;
  if (a >= 0 && b > a) {
    text = text.slice(0, a) + block + text.slice(b + end.length);
  } else if (text === '') {
    text = `# Benchmarks\n\nSide-by-side measurements of Hearth against Anki's official sync server (\`python -m anki.syncserver\`).\n\n${block}\n`;
  } else {
    text = `${text.trimEnd()}\n\n${block}\n`;
  }
  mkdirSync(dirname(docPath), { recursive: true });
  writeFileSync(docPath, text);
}
