/**
 * A full garbage collection right after a sync, once the server is idle, instead of during the
 * next one.
 *
 * Why: V8 collects its old generation when the heap passes a limit, marking it on its worker
 * threads while the program runs on. In a sync server that limit is passed in the middle of a sync
 * as often as not, and on a family PC the other program busy at that moment is usually Anki itself,
 * syncing with this server on the same few cores. Measured with the real client (two cores, a device
 * pulling 2,000 cards another device has just pushed): a major GC landed in most pulls, its marking
 * took ~12 % of the machine's CPU during the pull, and Hearth's CPU for the pull was 80–100 ms; with
 * a collection right after the push instead, none landed in the pull and Hearth used 50–60 ms
 * (docs/lab-notes/2026-11-22-client-commits-and-idle-gc.md). The collection itself takes 30–45 ms
 * of one core, at a moment nobody waits.
 *
 * "Idle" means no request in flight for `delayMs` after the end of a sync (which ends count is the
 * server's choice: a normal sync's `finish` or `abort`, see index.ts), and no other normal sync open
 * between its requests (another person syncing at the same time). A request arriving first
 * postpones it; if one arrives during the collection it waits for it, as it would for V8's own
 * pause. One collection per burst of syncs: ends of syncs while one is pending do not add more.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface IdleCollector {
  requestStarted(): void;
  requestEnded(): void;
  /** A sync (normal, full or media) has just ended. */
  syncEnded(): void;
  /** Stops for good: nothing pending runs. */
  close(): void;
}

export interface IdleCollectorDeps {
  readonly delayMs: number;
  /** Runs the collection. */
  readonly collect: () => void;
  /**
   * True while a sync is still under way between its requests (another person's normal sync):
   * the collection then waits for another quiet moment rather than fall between its requests.
   */
  readonly busy?: () => boolean;
  readonly setTimer?: (fn: () => void, ms: number) => { unref?: () => unknown };
  readonly clearTimer?: (timer: unknown) => void;
}

export function createIdleCollector(deps: IdleCollectorDeps): IdleCollector {
  const setTimer = deps.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = deps.clearTimer ?? ((t) => clearTimeout(t as NodeJS.Timeout));
  let inFlight = 0;
  let wanted = false;
  let closed = false;
  let timer: { unref?: () => unknown } | undefined;

  const disarm = (): void => {
    if (timer !== undefined) clearTimer(timer);
    timer = undefined;
  };
  const armIfIdle = (): void => {
    if (closed || !wanted || inFlight > 0 || timer !== undefined) return;
    timer = setTimer(() => {
      timer = undefined;
      if (closed || inFlight > 0 || !wanted) return;
      if (deps.busy?.()) {
        armIfIdle();
        return;
      }
      wanted = false;
      deps.collect();
    }, deps.delayMs);
    // Never what keeps a process alive.
    timer.unref?.();
  };

  return {
    requestStarted() {
      inFlight += 1;
      disarm();
    },
    requestEnded() {
      inFlight = Math.max(0, inFlight - 1);
      armIfIdle();
    },
    syncEnded() {
      wanted = true;
      armIfIdle();
    },
    close() {
      closed = true;
      disarm();
    },
  };
}

type V8Gc = (options?: object) => unknown;

/** Looked up once per process: each lookup makes a new context, which the function keeps alive. */
let found: { gc: V8Gc | undefined } | undefined;

/** V8's `gc` (its options: v8/src/extensions/gc-extension.cc), or undefined where it cannot be had. */
function v8Gc(): V8Gc | undefined {
  found ??= { gc: lookUpV8Gc() };
  return found.gc;
}

function lookUpV8Gc(): V8Gc | undefined {
  try {
    // `--expose-gc` only defines `gc` in contexts created after it is set, hence the fresh
    // context; the function collects the whole heap of the isolate, not just that context's.
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as V8Gc) : undefined;
  } catch {
    return undefined;
  }
}

/** V8's full collection as a function, or undefined where it cannot be had. */
export function fullGarbageCollection(): (() => void) | undefined {
  const gc = v8Gc();
  return gc && (() => void gc());
}

/**
 * V8's most thorough collection, the one it runs before giving up for lack of memory
 * (`flavor: 'last-resort'`): several full collections in a row that also give back the pages V8
 * keeps pooled for reuse and the free space inside the pages it keeps. Compiled code stays, so
 * the next sync runs as fast. An ordinary full collection gives back none of that: measured on a
 * server idle 15 s after the 20k-note sequence, V8's pages held 20.8 MiB of RSS before and after
 * one, 11.2 MiB after this (RSS 88.8 → 79.3 MiB), which took 39 ms (docs/memory.md). For a
 * server that has been idle a while after a sync, never between a sync's requests. Where V8 does
 * not know the option, it is an ordinary full collection.
 */
export function heapShrinkingCollection(): (() => void) | undefined {
  const gc = v8Gc();
  return gc && (() => void gc({ type: 'major', execution: 'sync', flavor: 'last-resort' }));
}
