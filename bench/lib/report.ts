/** Statistics and the markdown that bench/full-sync.bench.ts prints and puts into docs/benchmarks.md. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

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

/** Time to first reply byte, and Hearth's own logged duration: where the time of a protocol run goes. */
export function detailTable(results: OperationResult[]): string {
  const lines = ['| operation | official first byte ms | Hearth first byte ms | Hearth server-logged ms |', '| --- | ---: | ---: | ---: |'];
  const med = (samples: Sample[], pick: (s: Sample) => number | undefined): string => {
    const v = samples.map(pick).filter((x): x is number => x !== undefined);
    return v.length === 0 ? '—' : String(Math.round(median(v)));
  };
  const wire = (samples: Sample[]): string => {
    const v = samples.map((s) => s.wireBytes).filter((x): x is number => x !== undefined);
    return v.length === 0 ? '—' : `${(median(v) / 2 ** 20).toFixed(1)} MiB`;
  };
  for (const r of results) {
    if (r.official.every((s) => s.firstByteMs === undefined)) continue;
    lines.push(
      `| ${r.operation} | ${med(r.official, (s) => s.firstByteMs)} | ${med(r.hearth, (s) => s.firstByteMs)} | ${med(r.hearth, (s) => s.serverMs)} | ${med(r.official, (s) => s.cpuMs)} | ${med(r.hearth, (s) => s.cpuMs)} | ${wire(r.official)} | ${wire(r.hearth)} |`,
    );
  }
  return lines.join('\n');
}

const START = '<!-- full-sync.bench.ts: start (generated, replaced on every run) -->';
const END = '<!-- full-sync.bench.ts: end -->';

/** Replaces the generated section of docs/benchmarks.md, keeping everything written by hand around it. */
export function updateDocs(docPath: string, section: string): void {
  const block = `${START}\n${section.trim()}\n${END}`;
  let text = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '';
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a >= 0 && b > a) {
    text = text.slice(0, a) + block + text.slice(b + END.length);
  } else if (text === '') {
    text = `# Benchmarks\n\nSide-by-side measurements of Hearth against Anki's official sync server (\`python -m anki.syncserver\`).\n\n${block}\n`;
  } else {
    text = `${text.trimEnd()}\n\n${block}\n`;
  }
  writeFileSync(docPath, text);
}
