/**
 * Other work on the machine skews a 2-core benchmark, and tests may be running next to it. This
 * measures "foreign" CPU use (all CPU time on the machine minus the benchmark's own processes)
 * from /proc/stat, waits for a quiet moment before each measured operation (bounded per wait and
 * for the whole run), and reports how busy the machine was during each operation.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Longest one wait for a quiet machine may take before measuring anyway. */
export const QUIET_WAIT_TIMEOUT_MS = 20_000;
/** Longest all waits for a quiet machine may take together in one run. */
export const QUIET_WAIT_BUDGET_MS = 90_000;
/** Foreign CPU use (in cores) below which the machine counts as quiet. */
export const QUIET_THRESHOLD_CORES = 0.2;
const QUIET_SAMPLE_MS = 400;
/** USER_HZ: the unit of /proc/stat and /proc/<pid>/stat times. */
const USER_HZ = 100;

function machineBusyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  // cpu user nice system idle iowait irq softirq steal guest guest_nice
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  return f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!;
}

function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return 0;
  }
}

function parentPid(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

/** This process and all its descendants (servers, Anki drivers). */
function ownPids(): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (/^\d+$/.test(name)) parents.set(Number(name), parentPid(Number(name)));
  }
  const own = new Set([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (!own.has(pid) && own.has(ppid)) {
        own.add(pid);
        grew = true;
      }
    }
  }
  return [...own];
}

/** Starts measuring foreign CPU use; the returned function gives the average in cores since then. */
export function watchForeignLoad(): () => number {
  const pids = ownPids();
  const t0 = performance.now();
  const busy0 = machineBusyTicks();
  const own0 = pids.reduce((sum, pid) => sum + processTicks(pid), 0);
  return () => {
    const seconds = (performance.now() - t0) / 1000;
    const busy = machineBusyTicks() - busy0;
    const own = pids.reduce((sum, pid) => sum + processTicks(pid), 0) - own0;
    return seconds <= 0 ? 0 : Math.max(0, (busy - own) / USER_HZ / seconds);
  };
}

export interface QuietGate {
  /** Waits until the machine is quiet (or a timeout/budget runs out); returns ms waited. */
  wait(): Promise<{ waitedMs: number; quiet: boolean }>;
  /** Total ms waited so far. */
  readonly waitedMs: number;
}

/** `budgetMs`: a smaller total than QUIET_WAIT_BUDGET_MS, for a benchmark whose own work leaves less room. */
export function createQuietGate(options: { budgetMs?: number } = {}): QuietGate {
  const budgetMs = options.budgetMs ?? QUIET_WAIT_BUDGET_MS;
  let total = 0;
  return {
    async wait() {
      const started = performance.now();
      const deadline = started + Math.min(QUIET_WAIT_TIMEOUT_MS, Math.max(0, budgetMs - total));
      let quiet = false;
      for (;;) {
        const load = watchForeignLoad();
        await sleep(QUIET_SAMPLE_MS);
        if (load() < QUIET_THRESHOLD_CORES) {
          quiet = true;
          break;
        }
        if (performance.now() > deadline) break;
      }
      const waitedMs = performance.now() - started;
      total += waitedMs;
      return { waitedMs, quiet };
    },
    get waitedMs() {
      return total;
    },
  };
}
