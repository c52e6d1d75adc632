/**
 * Peak resident memory of another process (Linux /proc). Two sources, both reported:
 * - VmHWM, the kernel's own high-water mark, reset at the start of a measurement by writing "5"
 *   to /proc/<pid>/clear_refs (Linux ≥ 4.0), so it covers exactly one operation and misses no
 *   short spike;
 * - VmRSS polled every RSS_POLL_INTERVAL_MS, a fallback where the reset is not permitted.
 * RssAnon, the private part (what Windows Task Manager and macOS Activity Monitor count), is
 * polled alongside; the kernel keeps no high-water mark of it.
 * Also the CPU time the process used meanwhile (/proc/<pid>/stat), which shows work done on
 * other threads than the one answering.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export const RSS_POLL_INTERVAL_MS = 20;

export interface RssReading {
  /** Peak RSS during the measurement in KiB (VmHWM after a reset, else the polled maximum). */
  readonly peakKiB: number;
  /** RSS just before the measurement started, in KiB. */
  readonly startKiB: number;
  /** Largest polled VmRSS, in KiB. */
  readonly polledPeakKiB: number;
  /** Largest polled RssAnon (private memory), in KiB. */
  readonly polledAnonPeakKiB: number;
  /** Whether peakKiB is the kernel's reset high-water mark (exact) or the polled maximum. */
  readonly exact: boolean;
  /** CPU time (user + system, all threads) the process used during the measurement, ms. */
  readonly cpuMs: number;
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on every Linux we run on). */
const USER_HZ = 100;

function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at state; utime, stime are 14, 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return undefined;
  }
}

type StatusField = 'VmRSS' | 'VmHWM' | 'RssAnon';

/** Fields of /proc/<pid>/status in KiB, read once; undefined when the process is gone. */
function statusFields(pid: number): Partial<Record<StatusField, number>> | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined; // the process is gone
  }
  const out: Partial<Record<StatusField, number>> = {};
  for (const field of ['VmRSS', 'VmHWM', 'RssAnon'] as const) {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (m) out[field] = Number(m[1]);
  }
  return out;
}

function statusField(pid: number, field: StatusField): number | undefined {
  return statusFields(pid)?.[field];
}

/** Starts measuring; call the returned function when the operation is over. */
export function watchRss(pid: number): () => RssReading {
  let exact = true;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    exact = false;
  }
  const startKiB = statusField(pid, 'VmRSS') ?? 0;
  const startTicks = cpuTicks(pid) ?? 0;
  let polledPeakKiB = startKiB;
  let polledAnonPeakKiB = statusField(pid, 'RssAnon') ?? 0;
  const poll = (): void => {
    const now = statusFields(pid);
    if (now?.VmRSS !== undefined && now.VmRSS > polledPeakKiB) polledPeakKiB = now.VmRSS;
    if (now?.RssAnon !== undefined && now.RssAnon > polledAnonPeakKiB) polledAnonPeakKiB = now.RssAnon;
  };
  const timer = setInterval(poll, RSS_POLL_INTERVAL_MS);
  return () => {
    clearInterval(timer);
    poll();
    const hwm = exact ? statusField(pid, 'VmHWM') : undefined;
    const cpuMs = (((cpuTicks(pid) ?? startTicks) - startTicks) * 1000) / USER_HZ;
    return {
      peakKiB: hwm !== undefined ? Math.max(hwm, polledPeakKiB) : polledPeakKiB,
      startKiB,
      polledPeakKiB,
      polledAnonPeakKiB,
      exact: hwm !== undefined,
      cpuMs,
    };
  };
}
