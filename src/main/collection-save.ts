/**
 * "Download a copy" in the app: the system's save dialog asks where the person's `.colpkg` goes,
 * then the package is written there (src/host/collection-export.ts: beside the chosen file first,
 * renamed into place once complete). Electron's dialog is passed in (index.ts), so this is tested
 * without Electron.
 */
import { join } from 'node:path';
import type { CollectionDownload } from '../shared/api.ts';
import type { CollectionExport } from '../host/collection-export.ts';
import { packageFileName } from '../host/collection-export.ts';

export interface SaveDialogLike {
  showSaveDialog(options: {
    title: string;
    defaultPath: string;
    buttonLabel: string;
    filters: { name: string; extensions: string[] }[];
    properties: ('createDirectory' | 'showOverwriteConfirmation')[];
  }): Promise<{ canceled: boolean; filePath?: string }>;
}

export interface CollectionSaveDeps {
  readonly dialog: SaveDialogLike;
  readonly exporter: Pick<CollectionExport, 'check' | 'saveTo'>;
  /** Where the dialog starts: the person's Documents folder. */
  readonly defaultFolder: string;
  readonly now?: () => number;
}

/** Asks where to save, then writes the package there; a problem that is known beforehand is said before the dialog opens. */
export async function saveCollectionCopy(username: string, deps: CollectionSaveDeps): Promise<CollectionDownload> {
  const problem = await deps.exporter.check(username);
  if (problem !== undefined) return { kind: 'problem', problem };
  const choice = await deps.dialog.showSaveDialog({
    title: `Save a copy of ${username}’s collection`,
    defaultPath: join(deps.defaultFolder, packageFileName(username, (deps.now ?? Date.now)())),
    buttonLabel: 'Save',
    filters: [{ name: 'Anki collection package', extensions: ['colpkg'] }],
    properties: ['createDirectory', 'showOverwriteConfirmation'],
  });
  if (choice.canceled || !choice.filePath) return { kind: 'cancelled' };
  const path = /\.colpkg$/i.test(choice.filePath) ? choice.filePath : `${choice.filePath}.colpkg`;
  const saved = await deps.exporter.saveTo(username, path);
  return saved.ok
    ? { kind: 'saved', path, bytes: saved.summary.bytes, mediaFiles: saved.summary.mediaFiles }
    : { kind: 'problem', problem: saved.problem };
}
