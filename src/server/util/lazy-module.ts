/**
 * A module imported on first use (`import()`), once: `load()` imports it (concurrent callers share
 * the one import; a failed import is tried again by the next call), `loaded()` is the module when
 * it has arrived, else undefined.
 */
export interface LazyModule<T> {
  load(): Promise<T>;
  loaded(): T | undefined;
}

export function lazyModule<T>(importer: () => Promise<T>): LazyModule<T> {
  let module: T | undefined;
  let pending: Promise<T> | undefined;
  return {
    load() {
      if (module !== undefined) return Promise.resolve(module);
      pending ??= importer().then(
        (m) => (module = m),
        (err: unknown) => {
          pending = undefined;
          throw err;
        },
      );
      return pending;
    },
    loaded: () => module,
  };
}
