/**
 * Failed-login throttling. Failures are counted per key (a username, or a client address) in a
 * sliding window; once a key reaches its limit, further attempts are refused with 429 until the
 * oldest failure leaves the window. A success clears the username's count. Pure bookkeeping
 * with an injected clock, so tests can move time.
 */
import type { Clock } from '../clock.ts';

export interface ThrottleRule {
  readonly maxFailures: number;
  readonly windowMs: number;
}

export interface Throttle {
  /** Milliseconds until `key` may try again; 0 when it may try now. */
  retryAfterMs(key: string, rule: ThrottleRule): number;
  recordFailure(key: string): void;
  clear(key: string): void;
  /** Every key with failures still in some window (for listing who is refused). */
  keys(): string[];
}

/** Most keys remembered; the oldest are dropped first, so memory stays bounded under attack. */
const MAX_KEYS = 10_000;

export function createThrottle(clock: Clock): Throttle {
  const failures = new Map<string, number[]>();
  const recent = (key: string, windowMs: number): number[] => {
    const now = clock.nowMs();
    const list = (failures.get(key) ?? []).filter((t) => now - t < windowMs);
    if (list.length === 0) failures.delete(key);
    else failures.set(key, list);
    return list;
  };
  return {
    retryAfterMs(key, rule) {
      const list = recent(key, rule.windowMs);
      if (list.length < rule.maxFailures) return 0;
      const oldestThatCounts = list[list.length - rule.maxFailures]!;
      return Math.max(1, oldestThatCounts + rule.windowMs - clock.nowMs());
    },
    recordFailure(key) {
      const list = failures.get(key) ?? [];
      list.push(clock.nowMs());
      if (list.length > 1000) list.splice(0, list.length - 1000);
      failures.delete(key);
      failures.set(key, list);
      if (failures.size > MAX_KEYS) failures.delete(failures.keys().next().value!);
    },
    clear(key) {
      failures.delete(key);
    },
    keys() {
      return [...failures.keys()];
    },
  };
}
