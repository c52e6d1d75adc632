/**
 * The server's deps in a process that serves syncs all day (the app's utility process, the
 * headless server), as opposed to tests, which start hundreds of servers and want none of them:
 * the warm-up with the sync engine, the collection after each normal sync, and V8's spare pages
 * given back after a quiet spell (sync-server.ts, docs/memory.md).
 */
import type { SyncServerDeps } from './sync-server.ts';
import { fullGarbageCollection, heapShrinkingCollection } from './util/idle-collector.ts';

export type ServerProcessDeps = Pick<SyncServerDeps, 'warmUp' | 'collectWhenIdle' | 'shrinkHeapWhenIdle'>;

export function serverProcessDeps(): ServerProcessDeps {
  return { warmUp: true, collectWhenIdle: fullGarbageCollection(), shrinkHeapWhenIdle: heapShrinkingCollection() };
}
