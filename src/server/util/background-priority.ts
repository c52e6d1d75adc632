/**
 * The server process runs below normal priority. Hearth lives in the tray of a family PC: what
 * the person at the PC is doing — Anki Desktop syncing with this very server included — should
 * not wait for it. When the CPU is free, priority changes nothing; when both want it, the
 * foreground wins. Measured on a two-core machine running the real client too: its pull was faster
 * in five pairs of runs out of five (1.05–1.28× the official server's time instead of 1.13–1.34×,
 * docs/lab-notes/2026-11-22-fresh-disk-and-priority.md), the client waiting less behind the server's background work (chunks built
 * ahead, V8's garbage-collector threads).
 *
 * Windows and macOS set the priority of the whole process. Linux sets it per thread, so each
 * thread that exists is lowered too (V8 starts its worker threads before any of our code runs);
 * threads created later inherit it from the thread that creates them.
 */
import { readdirSync } from 'node:fs';
import { constants, setPriority } from 'node:os';

export interface PriorityDeps {
  readonly platform: NodeJS.Platform;
  /** os.setPriority(pid or thread id, priority). */
  readonly setPriority: (id: number, priority: number) => void;
  /** Thread ids of this process (Linux: /proc/self/task). */
  readonly threadIds: () => number[];
}

const realDeps: PriorityDeps = {
  platform: process.platform,
  setPriority,
  threadIds: () => readdirSync('/proc/self/task').map(Number),
};

/** Lowers this process to below-normal priority; false (nothing else happens) when the system refuses. */
export function runInBackgroundPriority(deps: PriorityDeps = realDeps): boolean {
  const priority = constants.priority.PRIORITY_BELOW_NORMAL;
  try {
    deps.setPriority(0, priority);
  } catch {
    // A sandbox may forbid it; running at normal priority is fine.
    return false;
  }
  if (deps.platform === 'linux') {
    for (const tid of deps.threadIds()) {
      try {
        deps.setPriority(tid, priority);
      } catch {
        // the thread has ended meanwhile
      }
    }
  }
  return true;
}
