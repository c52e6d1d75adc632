/**
 * Rules for a person's username, shared by the server, the CLI and the window so that every
 * surface says the same plain words. A username becomes a folder name under the data folder
 * (`<base>/<username>`, the official server's layout) and the left part of `user:pass` in
 * SYNC_USERn, so it must be a safe file name on Windows, macOS and Linux and contain no colon.
 */
export const USERNAME_MAX_LENGTH = 64;
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 256;

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/** Returns a sentence for the person, or undefined when the name is fine. */
export function usernameProblem(name: string): string | undefined {
  if (name.length === 0) return 'Please enter a username.';
  if (name.trim() !== name) return 'A username cannot start or end with a space.';
  if ([...name].length > USERNAME_MAX_LENGTH) return `A username can be at most ${USERNAME_MAX_LENGTH} characters long.`;
  if (name.includes(':')) return 'A username cannot contain a colon (:).';
  if (/[/\\]/.test(name)) return 'A username cannot contain a slash (/ or \\).';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'A username cannot contain invisible control characters.';
  if (/[<>"|?*]/.test(name)) return 'A username cannot contain any of these characters: < > " | ? *';
  if (name.startsWith('.')) return 'A username cannot start with a dot.';
  if (name.endsWith('.')) return 'A username cannot end with a dot.';
  if (WINDOWS_RESERVED.test(name)) return `"${name}" is a name Windows reserves; please choose another.`;
  return undefined;
}

export function passwordProblem(password: string): string | undefined {
  if (password.length < PASSWORD_MIN_LENGTH) return `A password needs at least ${PASSWORD_MIN_LENGTH} characters.`;
  if (password.length > PASSWORD_MAX_LENGTH) return `A password can be at most ${PASSWORD_MAX_LENGTH} characters long.`;
  return undefined;
}

/** Two usernames that differ only in case would share one folder on Windows and macOS. */
export function sameFolderName(a: string, b: string): boolean {
  return a.normalize('NFC').toLowerCase() === b.normalize('NFC').toLowerCase();
}
