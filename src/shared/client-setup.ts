/**
 * How to point each Anki app at Hearth, in the words a family member sees. Shared by the phone
 * setup page (served by the sync server) and the window, so both always say the same thing.
 * The known traps are answered here: the apps still say "AnkiWeb" and ask for an "Email"
 * (it is the Hearth username), an app still logged in to AnkiWeb never asks for it (log out
 * first), the first sync asks "upload or download" (FROM_ANKIWEB, FIRST_SYNC_STEP), today's apps
 * need no separate media URL (only AnkiDroid 2.15 and older do), and the address must be pasted
 * exactly, trailing slash included.
 *
 * The menu paths and field names are the apps' own: AnkiDroid 2.16+ from its sources
 * (res/xml/preferences_sync.xml: Settings › Sync, "AnkiWeb account", and under Advanced "Custom
 * sync server", whose screen has one "Sync url" field with a switch, "Sync URL" from 2.24;
 * the login box says "Email address"), Anki on a computer from its translations (Preferences,
 * the "Syncing" tab, "Self-hosted sync server", "Log Out", the login's "Email:", the buttons
 * "Upload to AnkiWeb" / "Download from AnkiWeb"). AnkiMobile's sources are not public: its steps
 * name only what its manual and Anki's sync-server manual say (Settings › Syncing; the iPhone's
 * "Local Network" switch).
 *
 * Today's apps come first (CLIENT_SETUPS), then the tips (SETUP_TIPS). The older apps Hearth also
 * serves (sync protocols 8–10) need addresses made from the one shown, so their steps are
 * functions of it (OLDER_CLIENT_SETUPS): each page passes the address it shows and gets the
 * exact text to paste.
 */
export type AnkiApp = 'ankidroid' | 'ankimobile' | 'desktop';

export interface ClientSetup {
  readonly app: AnkiApp;
  readonly name: string;
  readonly device: string;
  readonly steps: readonly string[];
}

/**
 * The last step of every app: what to answer when the first sync asks. Anki asks "upload or
 * download" when this device and Hearth both have cards that cannot be merged; with Hearth still
 * empty it asks "AnkiWeb collection has no cards. Replace it with local collection?", and on a
 * device without cards "Local collection has no cards. Download from AnkiWeb?".
 */
export const FIRST_SYNC_STEP =
  'The first sync may ask a question about “AnkiWeb” (it means Hearth). On the first device you sync, the one with the cards you want to keep, let its cards go to Hearth: “Upload to AnkiWeb”, or Yes to “Replace it with local collection?”. On every other device choose “Download from AnkiWeb”.';

export const CLIENT_SETUPS: readonly ClientSetup[] = [
  {
    app: 'ankidroid',
    name: 'AnkiDroid',
    device: 'Android phone or tablet',
    steps: [
      'Open AnkiDroid, open the menu (☰) and choose Settings → Sync.',
      'If “AnkiWeb account” shows an email address, AnkiDroid is logged in to AnkiWeb (Anki’s own online sync service, which Hearth replaces): tap it, then “Log out”.',
      'Near the bottom, under Advanced, tap “Custom sync server”, then “Sync url” (“Sync URL” in newer versions): the address AnkiDroid syncs with. Paste the address above and tap OK; the switch beside it turns on. There is no separate media address to fill in.',
      'Go back to the deck list and tap the Sync button (the two arrows at the top).',
      'AnkiDroid asks for an “Email address” and password: type your Hearth username (not an email address), then your Hearth password.',
      FIRST_SYNC_STEP,
    ],
  },
  {
    app: 'ankimobile',
    name: 'AnkiMobile',
    device: 'iPhone or iPad',
    steps: [
      'Open AnkiMobile and tap Settings → Syncing.',
      'If it shows you logged in to AnkiWeb (Anki’s own online sync service, which Hearth replaces), log out there first.',
      'Tap the custom sync server setting (the address AnkiMobile syncs with), paste the address above and go back.',
      'Tap Sync on the deck list.',
      'AnkiMobile asks for an “Email” and password: type your Hearth username (not an email address), then your Hearth password.',
      FIRST_SYNC_STEP,
      'If AnkiMobile cannot connect but the phone’s web browser opens the address: open the iPhone’s Settings app, find Anki near the bottom, and switch “Local Network” off and on again.',
    ],
  },
  {
    app: 'desktop',
    name: 'Anki on a computer',
    device: 'Windows, Mac or Linux',
    steps: [
      'Open Anki and choose Tools → Preferences (on a Mac: Anki → Settings), then the Syncing tab.',
      'If there is a “Log Out” button, Anki is logged in to AnkiWeb (Anki’s own online sync service, which Hearth replaces): click it first.',
      'Paste the address above into “Self-hosted sync server” (a sync server of your own: Hearth) and close the window.',
      'Click Sync at the top of the main window.',
      'Anki asks for an “Email” and password: type your Hearth username (not an email address), then your Hearth password.',
      FIRST_SYNC_STEP,
    ],
  },
];

/**
 * For a family that syncs with AnkiWeb today: the order that keeps their cards. Shown before the
 * apps' steps (each app's first steps say where to log out).
 */
export const FROM_ANKIWEB = {
  title: 'Coming from AnkiWeb?',
  intro: 'If your family syncs with AnkiWeb (Anki’s own online sync service) today, go in this order:',
  steps: [
    'On every device, log out of AnkiWeb before you set Hearth’s address (each app’s steps below say where). An app still logged in to AnkiWeb never asks for the Hearth username: its first sync fails with a login error.',
    'Sync first the one device that has the cards you want to keep (the most up to date). When Anki asks, let it upload: “Upload to AnkiWeb”, or Yes to “Replace it with local collection?”. Anki still says “AnkiWeb”; it means Hearth.',
    'Then the other devices, one at a time: when Anki asks “Upload or Download?”, choose “Download from AnkiWeb”. Their cards then come from Hearth.',
    'Your cards on AnkiWeb stay as they were: Hearth does not change them.',
  ],
} as const;

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
        text: 'AnkiDroid asks for an AnkiWeb "Email address" and password: type your Hearth username in that box (not an email address), then your Hearth password.',
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

/** Tips shown after every set of steps. */
export const SETUP_TIPS: readonly string[] = [
  'Paste the whole address, including "http://" and the "/" at the end. Do not add "sync" to it (only the older versions below need longer addresses, and show them).',
  'Leave any "media sync URL" empty: today’s apps do not need one. Only AnkiDroid 2.15 or older needs it, set to the address followed by "msync/" (see "Older versions" below).',
  'Cannot find the setting the steps name? The app is probably older: see "Older versions" below.',
  'Anki still says “AnkiWeb” where it now means Hearth. If the app says it cannot connect to AnkiWeb, Hearth is not reachable: check that this computer is on and that Hearth is running.',
  'A login error although the password is right? Check that the app is logged out of AnkiWeb, and that the username is the Hearth one, not an email address.',
];

/** Picks the steps to show first from a browser's user agent. */
export function likelyApp(userAgent: string): AnkiApp {
  if (/android/i.test(userAgent)) return 'ankidroid';
  if (/iphone|ipad|ipod/i.test(userAgent) || (/macintosh/i.test(userAgent) && /mobile/i.test(userAgent))) return 'ankimobile';
  return 'desktop';
}
