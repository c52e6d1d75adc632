/**
 * How to point each Anki app at Hearth, in the words a family member sees. Shared by the phone
 * setup page (served by the sync server) and the window, so both always say the same thing.
 * The known traps are answered here: the apps still say "AnkiWeb" and ask for an "email"
 * (it is the Hearth username), old guides mention a separate media URL (not needed), and the
 * address must be pasted exactly, trailing slash included.
 */
export type AnkiApp = 'ankidroid' | 'ankimobile' | 'desktop';

export interface ClientSetup {
  readonly app: AnkiApp;
  readonly name: string;
  readonly device: string;
  readonly steps: readonly string[];
}

export const CLIENT_SETUPS: readonly ClientSetup[] = [
  {
    app: 'ankidroid',
    name: 'AnkiDroid',
    device: 'Android phone or tablet',
    steps: [
      'Open AnkiDroid, open the menu and choose Settings → Sync → Custom sync server.',
      'Tap "Sync url", paste the address above and tap OK. Leave "Media sync url" empty.',
      'Go back to the deck list and tap the Sync button (the two arrows).',
      'AnkiDroid asks for an AnkiWeb "Email" and password: type your Hearth username in the Email box, then your Hearth password.',
    ],
  },
  {
    app: 'ankimobile',
    name: 'AnkiMobile',
    device: 'iPhone or iPad',
    steps: [
      'Open AnkiMobile and tap Settings → Syncing → Custom server.',
      'Paste the address above. If there is a separate media address field, leave it empty.',
      'Go back and tap Sync.',
      'When AnkiMobile asks for your AnkiWeb "Email", type your Hearth username, then your Hearth password.',
    ],
  },
  {
    app: 'desktop',
    name: 'Anki on a computer',
    device: 'Windows, Mac or Linux',
    steps: [
      'Open Anki and choose Tools → Preferences (on a Mac: Anki → Settings), then the Syncing tab.',
      'Paste the address above into "Self-hosted sync server" and close the window.',
      'Click Sync at the top of the main window.',
      'When Anki asks for your AnkiWeb "Email", type your Hearth username, then your Hearth password.',
    ],
  },
];

/** Tips shown with every set of steps. */
export const SETUP_TIPS: readonly string[] = [
  'Paste the whole address, including "http://" and the "/" at the end. Do not add "sync" to it.',
  'Older guides mention a separate "media sync URL": Hearth does not need one.',
  'If the app says it cannot connect to AnkiWeb, Hearth is not reachable: check that this computer is on and that Hearth is running.',
];

/** Picks the steps to show first from a browser's user agent. */
export function likelyApp(userAgent: string): AnkiApp {
  if (/android/i.test(userAgent)) return 'ankidroid';
  if (/iphone|ipad|ipod/i.test(userAgent) || (/macintosh/i.test(userAgent) && /mobile/i.test(userAgent))) return 'ankimobile';
  return 'desktop';
}
