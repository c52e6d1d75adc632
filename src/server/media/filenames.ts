/**
 * Filename rules for media (docs/protocol/media-sync.md §6). A media filename becomes a file directly in
 * the user's `media/` folder, so every name that reaches the disk is checked here first.
 */
import { resolve, sep } from 'node:path';
import { badRequest } from '../errors.ts';
import { MAX_FILENAME_BYTES } from './protocol.ts';

/** Characters current clients strip from names (§6 rule 2) that Windows also refuses or misreads. */
const WINDOWS_RESERVED = /[:*?"<>|]/;
const CONTROL = /[\u0000-\u001f\u007f]/;
/** §6 rule 4: device names, alone or before an extension, open a device on Windows. */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\.|$)/i;
/** With the `u` flag a surrogate range matches only unpaired halves (String#isWellFormed is ES2024). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * Why a name can never be a file in the media folder, or undefined when it can: empty, `.`/`..`,
 * a path separator (both `/` and `\`, whatever the host, docs/protocol/media-sync.md §3.4), NUL, or text that is not
 * valid Unicode (a lone surrogate cannot be written as UTF-8).
 */
export function pathSafetyProblem(name: string): string | undefined {
  if (name === '') return 'empty name';
  if (name === '.' || name === '..') return 'names a folder';
  if (name.includes('/') || name.includes('\\')) return 'contains a path separator';
  if (name.includes('\0')) return 'contains NUL';
  if (LONE_SURROGATE.test(name)) return 'is not valid Unicode';
  return undefined;
}

/**
 * Why Windows cannot have a file of this name, or undefined: `: * ? " < > |` and control
 * characters, a device name (`CON`, `aux.mp3`), or a trailing space or dot (`a.jpg.` is `a.jpg`
 * there; `a:b` is an alternate data stream). Current clients remove all of these before syncing
 * (docs/protocol/media-sync.md §6 rules 2, 4, 5).
 */
export function windowsNameProblem(name: string): string | undefined {
  if (CONTROL.test(name)) return 'contains a control character';
  if (WINDOWS_RESERVED.test(name)) return 'contains a character Windows does not allow';
  if (WINDOWS_DEVICE.test(name)) return 'is a Windows device name';
  if (name.endsWith(' ') || name.endsWith('.')) return 'ends with a space or dot';
  return undefined;
}

/**
 * The checks on a name a device adds or changes in an upload (docs/protocol/media-sync.md §3.4): the reference's three
 * (≤ 255 bytes, NFC, no separator) plus path safety on every host Hearth runs on, and nothing
 * Windows cannot store, whatever the host: the data folder may move to Windows later, and
 * current clients never send such a name.
 */
export function uploadFilenameProblem(name: string): string | undefined {
  return deletionFilenameProblem(name) ?? windowsNameProblem(name);
}

/**
 * The checks on a name a device deletes: only the reference's (and path safety). Clients send
 * deletions unchecked, notably of a name they received from a server and renamed to one they
 * accept (`CON.mp3` → `CON_.mp3`), so refusing one would fail every later media sync. A
 * deletion never creates a file.
 */
export function deletionFilenameProblem(name: string): string | undefined {
  const unsafe = pathSafetyProblem(name);
  if (unsafe) return unsafe;
  if (Buffer.byteLength(name, 'utf8') > MAX_FILENAME_BYTES) return `longer than ${MAX_FILENAME_BYTES} bytes`;
  if (name.normalize('NFC') !== name) return 'not in Unicode NFC';
  return undefined;
}

/**
 * Whether a file of this name can exist in a media folder on this system: on Windows a name it
 * cannot store never became a file (nor could one be copied there), and its path would name a
 * device or another file, so nothing on disk is touched for it.
 */
export function canBeFileHere(name: string, platform: NodeJS.Platform = process.platform): boolean {
  return platform !== 'win32' || windowsNameProblem(name) === undefined;
}

/**
 * The key under which case-insensitive file systems (macOS, Windows: the usual Hearth hosts)
 * consider two names the same file (docs/protocol/media-sync.md §5). Lower-casing after NFC is an approximation of
 * their folding; final sigma is mapped to sigma because lower-casing is context-dependent there.
 */
export function caseFoldKey(name: string): string {
  return name.normalize('NFC').toLowerCase().replaceAll('ς', 'σ');
}

/** `resolve()` of each media folder, once: it reads the working directory on every call. */
const resolvedDirs = new Map<string, string>();

/**
 * The path of a media file; refuses any name that would leave the folder (defence in depth: the
 * methods check names first). A name without separators that is not `.`/`..` names an entry of
 * the folder itself, so it is appended as is: no normalising join per file.
 */
export function mediaFilePath(mediaDir: string, name: string): string {
  const problem = pathSafetyProblem(name);
  if (problem) throw badRequest(`media filename ${JSON.stringify(name.slice(0, 80))} ${problem}`);
  let dir = resolvedDirs.get(mediaDir);
  if (dir === undefined) {
    dir = resolve(mediaDir);
    if (!dir.endsWith(sep)) dir += sep;
    if (resolvedDirs.size > 1000) resolvedDirs.clear();
    resolvedDirs.set(mediaDir, dir);
  }
  return dir + name;
}
