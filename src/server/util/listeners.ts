import type { Logger } from '../logger.ts';

/** Listeners told in turn; one that throws is logged (as `what` failed) and the others still hear. */
export interface ListenerSet<A extends unknown[]> {
  /** Adds a listener; returns the function that removes it. */
  add(listener: (...args: A) => void): () => void;
  emit(...args: A): void;
}

export function listenerSet<A extends unknown[]>(log: Logger, what: string): ListenerSet<A> {
  const listeners = new Set<(...args: A) => void>();
  return {
    add(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(...args) {
      for (const listener of [...listeners]) {
        try {
          listener(...args);
        } catch (err) {
          log.error(`${what} failed`, { why: err instanceof Error ? err.message : String(err) });
        }
      }
    },
  };
}
