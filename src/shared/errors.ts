/**
 * Error codes that reach a person: the supervisor, the tray and the window all show the same
 * sentence for the same code. A code is stable (tests and the UI match on it); the sentence is
 * for people and may change. `detail` carries the specifics (the port, the folder) and is
 * shown after the sentence; it never holds a password or host key.
 */

/** Problems the server process reports itself, in its `failed` message (see server-process.ts). */
export const SERVER_FAILURE_CODES = [
  'port-in-use',
  'folder-missing',
  'folder-not-writable',
  'folder-in-use',
  'incomplete-install',
  'internal',
] as const;
export type ServerFailureCode = (typeof SERVER_FAILURE_CODES)[number];

/** Problems the supervisor in the main process detects about the server process. */
export const SUPERVISOR_ERROR_CODES = ['server-start-timeout', 'server-crashed'] as const;
export type SupervisorErrorCode = (typeof SUPERVISOR_ERROR_CODES)[number];

export type HearthErrorCode = ServerFailureCode | SupervisorErrorCode;

export interface HearthError {
  readonly code: HearthErrorCode;
  /** Specifics for the log and the "details" line, e.g. the folder or the exit code. */
  readonly detail?: string;
}

const SENTENCES: Record<HearthErrorCode, string> = {
  'port-in-use': 'Another program is already using this port. Choose another port in Hearth’s settings, or close that program.',
  'folder-missing': 'The folder for the sync data cannot be found. If it is on an external drive, plug the drive in.',
  'folder-not-writable': 'Hearth is not allowed to save in the folder for the sync data. Choose another folder in Hearth’s settings.',
  'folder-in-use': 'Another copy of Hearth is already using this sync folder. Close it first, or choose another folder.',
  'incomplete-install':
    'Hearth’s installation is incomplete: a part the sync server needs to read Anki collections cannot be loaded. Please install Hearth again.',
  internal: 'The sync server stopped because of an unexpected problem. Hearth’s log has the details (Home says where it is).',
  'server-start-timeout': 'The sync server took too long to start.',
  'server-crashed': 'The sync server stopped unexpectedly.',
};

/**
 * Whether the supervisor should try again by itself. Problems a person has to fix (another
 * program on the port, a folder Hearth may not write, another Hearth on the folder) are not
 * retried; a missing folder is, because an external drive often mounts after login.
 */
const RETRY_AUTOMATICALLY: Record<HearthErrorCode, boolean> = {
  'port-in-use': false,
  'folder-missing': true,
  'folder-not-writable': false,
  'folder-in-use': false,
  'incomplete-install': false,
  internal: true,
  'server-start-timeout': true,
  'server-crashed': true,
};

export function errorSentence(code: HearthErrorCode): string {
  return SENTENCES[code];
}

export function retriesAutomatically(code: HearthErrorCode): boolean {
  return RETRY_AUTOMATICALLY[code];
}

export function isServerFailureCode(value: unknown): value is ServerFailureCode {
  return typeof value === 'string' && (SERVER_FAILURE_CODES as readonly string[]).includes(value);
}

/** A short label for a tray menu line (the full sentence is too long for a menu). */
export function errorShortLabel(code: HearthErrorCode): string {
  switch (code) {
    case 'port-in-use':
      return 'the port is used by another program';
    case 'folder-missing':
      return 'the sync folder is missing';
    case 'folder-not-writable':
      return 'cannot save in the sync folder';
    case 'folder-in-use':
      return 'another Hearth uses the sync folder';
    case 'incomplete-install':
      return 'Hearth needs to be installed again';
    case 'server-start-timeout':
      return 'the server did not start in time';
    case 'internal':
    case 'server-crashed':
      return 'the server stopped unexpectedly';
  }
}
