/** A clock and timers that move only when a test says so; implements src/main/server-host.ts Timers. */
import type { Timers } from '../../src/main/server-host.ts';

interface Pending {
  readonly at: number;
  readonly ms: number;
  readonly callback: () => void;
  cancelled: boolean;
}

export interface FakeTimers extends Timers {
  /** Moves time forward, running due callbacks in order and letting promises settle after each. */
  advance(ms: number): Promise<void>;
  /** Every delay ever scheduled, in order. */
  readonly scheduled: number[];
}

/** Lets pending promise callbacks (and I/O-free async steps) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export function fakeTimers(start = 1_000_000): FakeTimers {
  let now = start;
  const pending: Pending[] = [];
  const scheduled: number[] = [];
  return {
    scheduled,
    now: () => now,
    after(ms, callback) {
      const entry: Pending = { at: now + ms, ms, callback, cancelled: false };
      pending.push(entry);
      scheduled.push(ms);
      return () => {
        entry.cancelled = true;
      };
    },
    async advance(ms) {
      const target = now + ms;
      await settle();
      for (;;) {
        const due = pending.filter((p) => !p.cancelled && p.at <= target).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        pending.splice(pending.indexOf(due), 1);
        now = due.at;
        due.callback();
        await settle();
      }
      now = target;
      await settle();
    },
  };
}
