/**
 * How to point each Anki app at Hearth, in the words a family member sees. Shared by the phone
 * setup page (served by the sync server) and the window, so both always say the same thing.
 * The known traps are answered here: the apps still say "AnkiWeb" and ask for an "email"
 * (it is the Hearth username), today's apps need no separate media URL (only AnkiDroid 2.15 and
 * older do), and the address must be pasted exactly, trailing slash included.
 *
 * Today's apps come first (CLIENT_SETUPS). The older apps Hearth also serves (sync protocols
 * 8–10) need addresses made from the one shown, so their steps are functions of it
 * (OLDER_CLIENT_SETUPS): each page passes the address it shows and gets the exact text to paste.
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

/** The title of the older apps' steps, shown folded away under today's. */
export const OLDER_SETUPS_TITLE = 'Older versions: AnkiDroid 2.15 or older, Anki 2.1.50–2.1.56';

/** The first words inside it: who needs these steps. */
export const OLDER_SETUPS_INTRO = 'Only for an app that does not have the setting named in the steps above.';

/**
 * The apps too old for any of it. They speak protocol 8 or 9 to a collection that needs newer
 * (docs/protocol/http.md §6), or older than 8: the official server's refusals, which they show.
 */
export const TOO_OLD_SETUP =
  'Anki 2.0 and AnkiDroid older than about 2.9 cannot sync with Hearth. They say "Please upgrade to the latest version of Anki", or that the client does not support "the v2 scheduler" or "the new timezone handling". Update Anki on that device, then follow its steps above.';

/** A step of the older apps: what to do, and the exact text to paste or type, if there is one. */
export interface SetupStep {
  readonly text: string;
  readonly paste?: {
    /** What it is, for the copy button ("Copy the media sync address"). */
    readonly what: string;
    readonly value: string;
  };
}

export interface OlderClientSetup {
  readonly id: 'ankidroid-old' | 'desktop-old';
  /** Today's app it is an older version of (the setup page shows the visitor's app first). */
  readonly app: AnkiApp;
  readonly name: string;
  readonly device: string;
  /** The advice before the steps: update if possible. */
  readonly advice: string;
  /** The steps for `address`, the address shown on the page (with its "/" at the end). */
  steps(address: string): readonly SetupStep[];
}

/**
 * The two addresses the older apps use, made from the address shown: they add the method's name
 * to it themselves, so each needs the path of its half of the server (`sync/`, `msync/`).
 */
export function olderAddresses(address: string): { readonly sync: string; readonly media: string } {
  const base = address.endsWith('/') ? address : `${address}/`;
  return { sync: `${base}sync/`, media: `${base}msync/` };
}

export const OLDER_CLIENT_SETUPS: readonly OlderClientSetup[] = [
  {
    id: 'ankidroid-old',
    app: 'ankidroid',
    name: 'AnkiDroid 2.15 or older',
    device: 'Android phone or tablet',
    advice: 'If you can, update AnkiDroid (free, in Google Play) and follow the AnkiDroid steps above. If this phone cannot:',
    // AnkiDroid before 2.16 asks for the media address separately and uses it as it is
    // (its RemoteMediaServer.syncURL), so it must end in msync/.
    steps: (address) => [
      { text: 'Open AnkiDroid, open the menu and choose Settings → Advanced → Custom sync server.' },
      { text: 'Turn on "Use custom sync server".' },
      { text: 'Tap "Sync url", enter this address and tap OK:', paste: { what: 'the sync address', value: address } },
      {
        text: 'Tap "Media sync url", enter this address (the same with "msync/" at the end) and tap OK:',
        paste: { what: 'the media sync address', value: olderAddresses(address).media },
      },
      { text: 'Go back to the deck list and tap the Sync button.' },
      {
        text: 'AnkiDroid asks for an AnkiWeb "Email" and password: type your Hearth username in the Email box, then your Hearth password.',
      },
    ],
  },
  {
    id: 'desktop-old',
    app: 'desktop',
    name: 'Anki 2.1.50 to 2.1.56 on a computer',
    device: 'Windows, Mac or Linux',
    advice:
      'These versions have no setting for a sync server. Best: update Anki, free at https://apps.ankiweb.net (your cards stay), and follow the steps for Anki on a computer above. If this computer cannot run a newer Anki, start Anki with Hearth’s addresses instead:',
    steps: (address) => {
      const { sync, media } = olderAddresses(address);
      return [
        { text: 'Close Anki if it is open.' },
        {
          text: 'On Windows: open the Start menu, type cmd and press Enter. In the window that opens, paste this line and press Enter:',
          // set "NAME=value": without the quotes cmd keeps the space before "&" in the value, and
          // these Ankis use the value as it is (".../sync/ hostKey" is not found).
          paste: {
            what: 'the command for Windows',
            value: `set "SYNC_ENDPOINT=${sync}" & set "SYNC_ENDPOINT_MEDIA=${media}" & "C:\\Program Files\\Anki\\anki.exe"`,
          },
        },
        {
          text: 'On a Mac: open Terminal (in Applications → Utilities), paste this line and press Return:',
          paste: {
            what: 'the command for a Mac',
            value: `SYNC_ENDPOINT="${sync}" SYNC_ENDPOINT_MEDIA="${media}" /Applications/Anki.app/Contents/MacOS/anki`,
          },
        },
        {
          text: 'On Linux: open a terminal, paste this line and press Enter:',
          paste: { what: 'the command for Linux', value: `SYNC_ENDPOINT="${sync}" SYNC_ENDPOINT_MEDIA="${media}" anki` },
        },
        { text: 'Anki opens. Click Sync; when Anki asks for your AnkiWeb "Email", type your Hearth username, then your Hearth password.' },
        { text: 'Anki finds Hearth only when it is started this way: start it with the same line each time you want to sync.' },
      ];
    },
  },
];

/** Tips shown with every set of steps. */
export const SETUP_TIPS: readonly string[] = [
  'Paste the whole address, including "http://" and the "/" at the end. Do not add "sync" to it (only the older versions below need longer addresses, and show them).',
  'Leave any "media sync URL" empty: today’s apps do not need one. Only AnkiDroid 2.15 or older needs it, set to the address followed by "msync/" (see "Older versions" below).',
  'Cannot find the setting the steps name? The app is probably older: see "Older versions" below.',
  'If the app says it cannot connect to AnkiWeb, Hearth is not reachable: check that this computer is on and that Hearth is running.',
];

/** Picks the steps to show first from a browser's user agent. */
export function likelyApp(userAgent: string): AnkiApp {
  if (/android/i.test(userAgent)) return 'ankidroid';
  if (/iphone|ipad|ipod/i.test(userAgent) || (/macintosh/i.test(userAgent) && /mobile/i.test(userAgent))) return 'ankimobile';
  return 'desktop';
}
