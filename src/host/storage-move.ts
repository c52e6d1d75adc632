/**
 * Moving the data folder, in the app and the headless host alike: the mover (storage.ts) with
 * the host's effects. The server control pauses the server (stopped gracefully, and it stays stopped while the folder
 * setting changes), the settings store saves the new folder (atomically), and resuming starts the
 * server on it; only when it runs is the old copy removed.
 */
import type { ActionResult } from '../shared/api.ts';
import { isSyncing } from '../shared/server-state.ts';
import type { Logger } from '../server/index.ts';
import { serverErrorSentence } from './recent-errors.ts';
import type { ServerControl } from './server-control.ts';
import type { ServerRunner } from './server-runner.ts';
import { createStorageMover } from './storage.ts';
import type { MoveFs, StorageMover } from './storage.ts';
import type { SettingsStore } from './settings-store.ts';

export interface StorageMoveDeps {
  readonly settings: SettingsStore;
  readonly runner: Pick<ServerRunner, 'state'>;
  readonly control: Pick<ServerControl, 'pause' | 'resume'>;
  readonly logger: Logger;
  readonly fs?: MoveFs;
  readonly freeBytes?: (path: string) => Promise<number>;
  readonly onChange?: () => void;
}

export function setupStorageMove(deps: StorageMoveDeps): StorageMover {
  const { settings, control } = deps;
  return createStorageMover({
    currentFolder: () => settings.get().storageFolder,
    isSyncing: () => isSyncing(deps.runner.state()),
    stopServer: () => control.pause(),
    saveFolder(folder) {
      const result = settings.update({ storageFolder: folder });
      if (!result.ok) throw new Error(result.problems.map((p) => p.message).join(' '));
    },
    async startServer(): Promise<ActionResult> {
      const state = await control.resume();
      if (!settings.get().serverEnabled || state.kind === 'running') return { ok: true };
      return { ok: false, problem: state.kind === 'crashed' ? serverErrorSentence(state.error) : 'it did not start.' };
    },
    logger: deps.logger,
    ...(deps.fs ? { fs: deps.fs } : {}),
    ...(deps.freeBytes ? { freeBytes: deps.freeBytes } : {}),
    ...(deps.onChange ? { onChange: deps.onChange } : {}),
  });
}
