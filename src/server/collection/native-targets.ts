/**
 * The six systems Hearth's installers are made for, and the file name of the `unicase` SQLite
 * extension (native/unicase.c) built for each. The name carries the system and the CPU, so
 * every target's library can sit side by side in native/build/ and the app loads the one for
 * the machine it runs on. Plain data: used at run time (unicase.ts) and by the build and
 * packaging scripts (scripts/build-native.mjs, scripts/package.mjs).
 */

export interface NativeTarget {
  /** As Node's `process.platform`. */
  readonly platform: 'win32' | 'darwin' | 'linux';
  /** As Node's `process.arch`. */
  readonly arch: 'x64' | 'arm64';
}

export const NATIVE_TARGETS: readonly NativeTarget[] = [
  { platform: 'win32', arch: 'x64' },
  { platform: 'win32', arch: 'arm64' },
  { platform: 'darwin', arch: 'x64' },
  { platform: 'darwin', arch: 'arm64' },
  { platform: 'linux', arch: 'x64' },
  { platform: 'linux', arch: 'arm64' },
];

/** `win32-x64`, as used in file names and on the command line. */
export function targetName(target: NativeTarget): string {
  return `${target.platform}-${target.arch}`;
}

/** The target a `win32-x64`-style name means, or undefined for any other text. */
export function parseTargetName(name: string): NativeTarget | undefined {
  return NATIVE_TARGETS.find((t) => targetName(t) === name);
}

/** e.g. `unicase-win32-x64.dll`, `unicase-darwin-arm64.dylib`, `unicase-linux-x64.so`. */
export function unicaseFileName(target: NativeTarget): string {
  const extension = target.platform === 'win32' ? 'dll' : target.platform === 'darwin' ? 'dylib' : 'so';
  return `unicase-${targetName(target)}.${extension}`;
}
