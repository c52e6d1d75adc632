/**
 * The Anki app behind a sync, in plain words, from the `c` field of the `anki-sync` header.
 *
 * Every current client (Anki on a computer, AnkiDroid, AnkiMobile) syncs through Anki's Rust
 * core, which sends `sync_client_version_short()` (rslib/src/version.rs):
 *
 *     "{anki version},{build hash},{std::env::consts::OS}"     e.g. "25.09.2,3890e12,linux"
 *
 * AnkiDroid does not build this string itself: its backend (ankidroid/Anki-Android-Backend)
 * compiles the same rslib for Android, so AnkiDroid sends the version of the Anki core it was
 * built with, a build hash ("dev" when built without Anki's build system) and "android" — e.g.
 * AnkiDroid 2.23 sends "25.09.2,dev,android". Its own version is not in the header, so it is
 * looked up from the core version below (AnkiDroid's gradle/libs.versions.toml at each release
 * tag: `ankiBackend = '0.1.62-anki25.09.2'` for v2.23.0). AnkiMobile (iOS) sends "ios".
 */

/** Anki core version → the AnkiDroid releases built on it (from AnkiDroid's release tags). */
const ANKIDROID_BY_CORE: ReadonlyArray<readonly [core: string, label: string]> = [
  ['2.1.61', '2.16'],
  ['23.12.1', '2.17'],
  ['24.04.1', '2.18'],
  ['24.06.3', '2.19'],
  ['24.11', '2.20'],
  ['25.02.7', '2.21'],
  ['25.07.4', '2.22'],
  ['25.07.5', '2.22'],
  ['25.09.2', '2.23 or 2.24'],
];

const PLATFORMS: Record<string, string> = {
  linux: 'Linux',
  macos: 'Mac',
  windows: 'Windows',
  freebsd: 'FreeBSD',
  openbsd: 'OpenBSD',
};

const VERSION = /^\d+(\.\d+){1,3}([a-z]+\d*)?$/i;

/**
 * "Anki 25.09.2 (Linux)", "AnkiDroid 2.23 or 2.24", "AnkiMobile (Anki 25.09)"; null when the
 * field is empty. Anything unexpected is shown trimmed, never interpreted.
 */
export function clientDisplayName(c: string): string | null {
  const raw = c.trim();
  if (raw === '') return null;
  const parts = raw.split(',').map((p) => p.trim());
  const [version = '', , platform = ''] = parts;
  if (parts.length === 3 && VERSION.test(version)) {
    const os = platform.toLowerCase();
    if (os === 'android') {
      const known = ANKIDROID_BY_CORE.find(([core]) => core === version);
      return known ? `AnkiDroid ${known[1]}` : `AnkiDroid (Anki ${version})`;
    }
    if (os === 'ios') return `AnkiMobile (Anki ${version})`;
    const name = PLATFORMS[os];
    return name ? `Anki ${version} (${name})` : `Anki ${version}`;
  }
  // Clients that build their own string (or future formats): shown as sent, shortened.
  return raw.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 60);
}

const SYSTEMS: Record<string, string> = { ...PLATFORMS, android: 'Android', ios: 'iPhone or iPad' };

/**
 * A device as a parent names it: "AnkiDroid on Android", "AnkiMobile on iPhone or iPad",
 * "Anki on Windows". From the same `c` field as clientDisplayName; "An Anki app" when the field
 * says nothing known.
 */
export function deviceDisplayName(c: string): string {
  const parts = c
    .trim()
    .split(',')
    .map((p) => p.trim());
  const [version = '', , platform = ''] = parts;
  if (parts.length === 3 && VERSION.test(version)) {
    const os = platform.toLowerCase();
    const system = SYSTEMS[os];
    const app = os === 'android' ? 'AnkiDroid' : os === 'ios' ? 'AnkiMobile' : 'Anki';
    return system ? `${app} on ${system}` : app;
  }
  return 'An Anki app';
}
