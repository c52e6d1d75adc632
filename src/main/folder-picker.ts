/**
 * The system's folder picker for "choose where the sync data is kept". Electron's dialog is
 * passed in (index.ts), so this is tested without Electron.
 */
export interface OpenDialogLike {
  showOpenDialog(options: {
    title: string;
    buttonLabel: string;
    properties: ('openDirectory' | 'createDirectory' | 'promptToCreate')[];
  }): Promise<{ canceled: boolean; filePaths: string[] }>;
}

/** The chosen folder, or null when the person cancelled. */
export async function pickFolder(dialog: OpenDialogLike): Promise<string | null> {
  const result = await dialog.showOpenDialog({
    title: 'Choose where Hearth keeps the sync data',
    buttonLabel: 'Use this folder',
    properties: ['openDirectory', 'createDirectory', 'promptToCreate'],
  });
  return result.canceled ? null : (result.filePaths[0] ?? null);
}
