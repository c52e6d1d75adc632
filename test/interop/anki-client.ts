/**
 * TypeScript side of the interop harness: spawns test/interop/anki_driver.py
 * (the real Anki client core, via the `anki` Python package in .venv) and talks
 * to it with JSON lines. One driver process serves many "devices"; a device is
 * the path of a collection file.
 *
 * `AnkiClient.start({ version: '2.1.50' })` runs an old client instead (from
 * .venv-2.1.50, made by scripts/setup-anki-clients.sh); the same commands work,
 * with the differences listed at `legacy` below.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Longest a single driver request (login, sync, full upload, …) may take. */
export const DRIVER_REQUEST_TIMEOUT_MS = 120_000;
/** Longest the driver may take to import `anki` and answer the first ping. */
export const DRIVER_START_TIMEOUT_MS = 60_000;
/** Longest `stop()` waits for the driver to exit before killing it. */
export const DRIVER_STOP_TIMEOUT_MS = 10_000;

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DRIVER_SCRIPT = fileURLToPath(new URL('./anki_driver.py', import.meta.url));
const DEFAULT_PYTHON = path.join(PROJECT_ROOT, '.venv', 'bin', 'python');
const STDERR_KEEP_CHARS = 64 * 1024;

/**
 * The old clients the harness can run, each from a venv of its own (.venv-<version>). They speak
 * sync protocol 10 (multipart requests, no zstd: docs/protocol/http.md §7), as every client before 2.1.57.
 */
export const OLD_CLIENT_VERSIONS = ['2.1.50', '2.1.56'] as const;
export type OldClientVersion = (typeof OLD_CLIENT_VERSIONS)[number];

/** True for client versions before 2.1.57, which speak sync protocol 10. */
export function speaksLegacyProtocol(ankiVersion: string): boolean {
  const [major = 0, minor = 0, patch = 0] = ankiVersion.split('.').map((p) => Number.parseInt(p, 10) || 0);
  return major < 2 || (major === 2 && (minor < 1 || (minor === 1 && patch < 57)));
}

/** How the real client's sync reports what (still) has to happen. */
export type ChangesRequired = 'NO_CHANGES' | 'NORMAL_SYNC' | 'FULL_SYNC' | 'FULL_DOWNLOAD' | 'FULL_UPLOAD';

/**
 * Error kinds the driver classifies failures into. Sync errors use the names of
 * the client's SyncErrorKind; "timeout" and "driver_exited" come from this wrapper.
 */
export type AnkiErrorKind =
  | 'auth'
  | 'conflict'
  | 'server_error'
  | 'client_too_old'
  | 'clock_incorrect'
  | 'db_check_required'
  | 'resync_required'
  | 'upload_too_large'
  | 'sync_not_started'
  | 'server_message'
  | 'sync_other'
  | 'network'
  | 'interrupted'
  | 'db'
  | 'io'
  | 'invalid_input'
  | 'not_found'
  | 'backend'
  | 'no_auth'
  | 'bad_request'
  | 'driver'
  | 'timeout'
  | 'driver_exited';

export class AnkiClientError extends Error {
  readonly kind: AnkiErrorKind;
  readonly command: string;
  /** Raw BackendError.Kind name from the Rust backend, when there is one. */
  readonly backendKind: string | null;
  /** The backend's message without the exception class prefix. */
  readonly detail: string;

  constructor(command: string, kind: AnkiErrorKind, message: string, detail: string, backendKind: string | null) {
    super(`${command}: [${kind}] ${message}`);
    this.name = 'AnkiClientError';
    this.kind = kind;
    this.command = command;
    this.detail = detail;
    this.backendKind = backendKind;
  }
}

export interface LoginResult {
  hkey: string;
  endpoint: string;
}

export interface SyncResult {
  required: ChangesRequired;
  server_message: string;
  /** null from old clients: their sync reply carries no media usn. */
  server_media_usn: number | null;
  host_number: number;
  new_endpoint: string | null;
  /** True when a normal (incremental) sync was carried out; it then reports NO_CHANGES. */
  normal_sync_performed: boolean;
}

export interface SyncStatusResult {
  required: 'NO_CHANGES' | 'NORMAL_SYNC' | 'FULL_SYNC';
  /** Always null from old clients. */
  new_endpoint: string | null;
}

export interface PopulateOptions {
  notes: number;
  decks?: string[];
  tags?: string[];
  /** How many cards to answer (default: min(notes, 20)). */
  reviews?: number;
}

export interface PopulateResult {
  notes_added: number;
  reviews: number;
  notes: number;
  cards: number;
  decks: number;
  revlog: number;
  tags: number;
}

export interface MediaSyncResult {
  checked: string;
  added: string;
  removed: string;
}

/** A file in a device's media folder. */
export interface MediaFile {
  name: string;
  size: number;
  /** Lowercase hex SHA-1 of the content. */
  sha1: string;
}

export interface MediaFolder {
  /** The device's media folder (next to the collection file). */
  dir: string;
  /** Sorted by name. */
  files: MediaFile[];
}

export interface DumpNote {
  id: number;
  guid: string;
  mid: number;
  mod: number;
  tags: string[];
  flds: string[];
  flags: number;
  data: string;
}

export interface DumpCard {
  id: number;
  nid: number;
  did: number;
  ord: number;
  mod: number;
  type: number;
  queue: number;
  due: number;
  ivl: number;
  factor: number;
  reps: number;
  lapses: number;
  left: number;
  odue: number;
  odid: number;
  flags: number;
  data: string;
}

export interface DumpDeck {
  id: number;
  name: string;
  dyn: number;
  conf: number | null;
  desc: string;
}

export interface DumpDeckConfig {
  id: number;
  name: string;
  config: Record<string, unknown>;
}

export interface DumpNotetype {
  id: number;
  name: string;
  type: number;
  sortf: number;
  css: string;
  fields: { ord: number; name: string }[];
  templates: { ord: number; name: string; qfmt: string; afmt: string }[];
}

export interface DumpRevlog {
  id: number;
  cid: number;
  ease: number;
  ivl: number;
  lastIvl: number;
  factor: number;
  time: number;
  type: number;
}

/** Canonical, device-independent view of a collection (no usn, ls or col mod). */
export interface CollectionDump {
  crt: number;
  notes: DumpNote[];
  cards: DumpCard[];
  decks: DumpDeck[];
  deck_configs: DumpDeckConfig[];
  notetypes: DumpNotetype[];
  tags: string[];
  revlog: DumpRevlog[];
}

/**
 * Deck config keys of the current format that 2.1.50–2.1.56 do not know. The official server
 * writes all of them (with their defaults, unless a current client set them) into every deck
 * config it sends, in a full download as in a normal sync, and old clients keep unknown keys as
 * they came. So on old clients a deck config holds them or not depending on whether it last came
 * from the server.
 */
export const NEWER_DECK_CONFIG_KEYS = [
  'answerAction',
  'desiredRetention',
  'easyDaysPercentages',
  'fsrsParams5',
  'fsrsParams6',
  'fsrsWeights',
  'ignoreRevlogsBeforeDate',
  'questionAction',
  'secondsToShowAnswer',
  'secondsToShowQuestion',
  'sm2Retention',
  'stopTimerOnAnswer',
  'waitForAudio',
  'weightSearch',
] as const;

/** The dump without NEWER_DECK_CONFIG_KEYS: what old clients' dumps can be compared on. */
export function withoutNewerDeckConfigKeys(dump: CollectionDump): CollectionDump {
  const drop = new Set<string>(NEWER_DECK_CONFIG_KEYS);
  return {
    ...dump,
    deck_configs: dump.deck_configs.map((c) => ({
      ...c,
      config: Object.fromEntries(Object.entries(c.config).filter(([key]) => !drop.has(key))),
    })),
  };
}

/** A note to add with AnkiClient.addNotes. */
export interface NewNote {
  /** Notetype name (default "Basic"). */
  notetype?: string;
  /** Deck name, created if missing (default: the current deck). */
  deck?: string;
  /** Field values in order, or by field name. */
  fields: string[] | Record<string, string>;
  tags?: string[];
}

export interface NoteEdit {
  /** New field values by field name or by index ("0", "1", …). */
  fields?: Record<string, string>;
  tagsAdd?: string[];
  tagsRemove?: string[];
}

export interface DeckConfigEdit {
  /** The config to change (default: the deck's current one). */
  configId?: number;
  /** Adds a new config with this name (a copy of the deck's current one) and changes that. */
  newConfigName?: string;
  /** Assigns the config to this deck. */
  deckId?: number;
  /** Merged recursively into the config's legacy JSON (e.g. {new: {perDay: 7}}). */
  changes?: Record<string, unknown>;
}

export interface CheckResult {
  /** Problems reported by the client's Check Database (empty = none). */
  problems: string[];
  /** Rows of `PRAGMA integrity_check` (["ok"] = fine). */
  integrity: string[];
  db_error: string | null;
  ok: boolean;
}

/** What the client itself reports about what was studied (anki_driver.py `study_figures`). */
export interface ClientStudyFigures {
  /** The driver's clock when it asked, seconds. */
  now: number;
  /** Days since the collection was created (sched_timing_today). */
  today: number;
  /** When the client's next day starts, seconds. */
  day_cutoff: number;
  /** "Studied N cards in … today" (col.studied_today()). */
  studied_today: string;
  /** Today's answers on the statistics page. */
  answered_today: number;
  /** Answers per day of the statistics page's Reviews graph: "0" today, "-1" yesterday; days without answers absent. */
  reviews_per_day: Record<string, number>;
  /** Cards the client's search `is:due` finds. */
  due: number;
  notes: number;
  cards: number;
  config: {
    rollover: unknown;
    localOffset: unknown;
    creationOffset: unknown;
    schedVer: unknown;
    lastUnburied: unknown;
    collapseTime: unknown;
  };
  crt: number;
}

export interface AnkiClientOptions {
  /**
   * Run this old client, from <root>/.venv-<version>/bin/python (HEARTH_ANKI_PYTHON does not
   * apply). Default: the current client.
   */
  version?: OldClientVersion;
  /** Python interpreter with the `anki` package (default: <root>/.venv/bin/python, or HEARTH_ANKI_PYTHON). */
  python?: string;
  /** Per-request timeout in ms (default DRIVER_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number;
  /** Copy the driver's stderr to this process's stderr as it arrives. */
  echoStderr?: boolean;
  /** Extra environment variables for the driver (e.g. TZ: the client's own time zone). */
  env?: Readonly<Record<string, string>>;
}

interface DriverResponse {
  id: number | null;
  ok: boolean;
  result?: unknown;
  error?: string;
  kind?: string;
  backend_kind?: string | null;
  message?: string;
}

interface Pending {
  command: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** A notetype given by id or by name, as the driver's editing commands take it. */
function notetypeRef(notetype: number | string): { notetype_id: number } | { notetype: string } {
  return typeof notetype === 'number' ? { notetype_id: notetype } : { notetype };
}

export class AnkiClient {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #pending = new Map<number, Pending>();
  readonly #requestTimeoutMs: number;
  readonly #exited: Promise<void>;
  #nextId = 1;
  #stderr = '';
  #exitInfo: string | null = null;
  #version = '';

  private constructor(options: AnkiClientOptions, python: string) {
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DRIVER_REQUEST_TIMEOUT_MS;
    this.#child = spawn(python, [DRIVER_SCRIPT], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...options.env, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const echo = options.echoStderr ?? process.env['HEARTH_INTEROP_VERBOSE'] === '1';
    this.#child.stderr.setEncoding('utf8');
    this.#child.stderr.on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_KEEP_CHARS);
      if (echo) process.stderr.write(`[anki-driver] ${chunk}`);
    });
    const lines = createInterface({ input: this.#child.stdout, crlfDelay: Infinity });
    lines.on('line', (line) => this.#onLine(line));
    this.#exited = new Promise<void>((resolve) => {
      this.#child.on('error', (err) => {
        this.#exitInfo = `could not run ${python}: ${err.message}`;
        this.#failAll();
        resolve();
      });
      this.#child.on('exit', (code, signal) => {
        this.#exitInfo ??= `driver exited (code ${code}, signal ${signal})`;
        this.#failAll();
        resolve();
      });
    });
    // A broken pipe after the driver died is reported through the pending requests.
    this.#child.stdin.on('error', () => {});
  }

  /** Spawns the driver and waits until the `anki` package is imported. */
  static async start(options: AnkiClientOptions = {}): Promise<AnkiClient> {
    let python = options.python ?? process.env['HEARTH_ANKI_PYTHON'] ?? DEFAULT_PYTHON;
    if (options.version !== undefined) {
      python = options.python ?? path.join(PROJECT_ROOT, `.venv-${options.version}`, 'bin', 'python');
      if (!existsSync(python)) {
        throw new Error(`Anki ${options.version} is not installed: ${python} is missing (bash scripts/setup-anki-clients.sh makes it)`);
      }
    }
    const client = new AnkiClient(options, python);
    try {
      const { anki_version } = (await client.#request('ping', {}, DRIVER_START_TIMEOUT_MS)) as { anki_version: string };
      if (options.version !== undefined && anki_version !== options.version) {
        throw new Error(`${python} runs Anki ${anki_version}, not ${options.version} (bash scripts/setup-anki-clients.sh remakes it)`);
      }
      client.#version = anki_version;
    } catch (err) {
      await client.stop();
      throw err;
    }
    return client;
  }

  /** The client's Anki version, e.g. "26.9.3" or "2.1.50". */
  get version(): string {
    return this.#version;
  }

  /**
   * True for an old client (before 2.1.57: sync protocol 10). The driver answers every command as
   * for the current client, except that a sync's `server_media_usn` and `new_endpoint` are null,
   * media syncs (also those after `sync` and full syncs) finish before the command returns, and
   * a server's message arrives as a `server_message` error even where the current client has a
   * specific kind for it.
   */
  get legacy(): boolean {
    return speaksLegacyProtocol(this.#version);
  }

  /** The driver's recent stderr, for diagnostics. */
  get stderr(): string {
    return this.#stderr;
  }

  ping(): Promise<{ anki_version: string }> {
    return this.#request('ping', {}) as Promise<{ anki_version: string }>;
  }

  /** Logs the device in; wrong credentials throw AnkiClientError with kind "auth". */
  login(device: string, endpoint: string, username: string, password: string): Promise<LoginResult> {
    return this.#request('login', { device, endpoint, username, password }) as Promise<LoginResult>;
  }

  /** Uses a known host key without logging in (e.g. to test invalid keys). */
  setAuth(device: string, endpoint: string, hkey: string): Promise<void> {
    return this.#request('set_auth', { device, endpoint, hkey }).then(() => undefined);
  }

  populate(device: string, options: PopulateOptions): Promise<PopulateResult> {
    return this.#request('populate', { device, ...options }) as Promise<PopulateResult>;
  }

  /** Normal sync (col.sync_collection, media off unless asked). */
  sync(device: string, options: { media?: boolean } = {}): Promise<SyncResult> {
    return this.#request('sync', { device, media: options.media ?? false }) as Promise<SyncResult>;
  }

  syncStatus(device: string): Promise<SyncStatusResult> {
    return this.#request('sync_status', { device }) as Promise<SyncStatusResult>;
  }

  /**
   * Full upload. `serverUsn` is the server's media USN from the preceding sync;
   * when given, the client runs a media sync afterwards (as the desktop app does
   * with media syncing enabled); when omitted, media is skipped.
   */
  fullUpload(device: string, options: { serverUsn?: number } = {}): Promise<void> {
    return this.#request('full_upload', { device, server_usn: options.serverUsn ?? null }).then(() => undefined);
  }

  /** Full download; see fullUpload for `serverUsn`. */
  fullDownload(device: string, options: { serverUsn?: number } = {}): Promise<void> {
    return this.#request('full_download', { device, server_usn: options.serverUsn ?? null }).then(() => undefined);
  }

  syncMedia(device: string, options: { timeoutSecs?: number } = {}): Promise<MediaSyncResult> {
    return this.#request('sync_media', { device, timeout: options.timeoutSecs ?? 120 }) as Promise<MediaSyncResult>;
  }

  /**
   * Adds a file to the device's media folder as the editor would (col.media.write_data): the
   * client may adjust the name; the name it used is returned. The file is pending upload.
   */
  mediaWrite(device: string, name: string, data: Buffer): Promise<string> {
    return this.#request('media_write', { device, name, data_b64: data.toString('base64') }).then((r) => (r as { name: string }).name);
  }

  /** Moves media files to the client's trash (col.media.trash_files); the deletions are pending upload. */
  mediaTrash(device: string, names: string[]): Promise<void> {
    return this.#request('media_trash', { device, names }).then(() => undefined);
  }

  /** Lists the device's media folder with sizes and SHA-1s. */
  mediaFiles(device: string): Promise<MediaFolder> {
    return this.#request('media_files', { device }) as Promise<MediaFolder>;
  }

  /**
   * File → Import of a collection package (.colpkg), as the desktop app does it: the device's
   * collection and media are replaced by the package's. A package the client refuses throws.
   */
  importColpkg(device: string, packagePath: string): Promise<void> {
    return this.#request('import_colpkg', { device, path: packagePath }).then(() => undefined);
  }

  dump(device: string): Promise<CollectionDump> {
    return this.#request('dump', { device }) as Promise<CollectionDump>;
  }

  /** The client's own Check Database plus PRAGMA integrity_check. */
  check(device: string): Promise<CheckResult> {
    return this.#request('check', { device }) as Promise<CheckResult>;
  }

  /** Runs SQL on the device's collection (meant for read-only assertions). */
  execSql(device: string, sql: string, args: unknown[] = []): Promise<unknown[][]> {
    return this.#request('exec_sql', { device, sql, args }) as Promise<unknown[][]>;
  }

  /** The client's own figures of what was studied: its day, studied today, statistics, `is:due`, counts. */
  studyFigures(device: string): Promise<ClientStudyFigures> {
    return this.#request('study_figures', { device }) as Promise<ClientStudyFigures>;
  }

  // Editing commands, made through the client's own API (see "editing commands" in anki_driver.py).

  addNotes(device: string, notes: NewNote[]): Promise<{ note_ids: number[]; card_ids: number[] }> {
    return this.#request('add_notes', { device, notes }) as Promise<{ note_ids: number[]; card_ids: number[] }>;
  }

  /** Edits a note's fields and tags (col.update_note); returns the note's new mod (s). */
  editNote(device: string, noteId: number, edit: NoteEdit): Promise<{ mod: number }> {
    return this.#request('edit_note', {
      device,
      note_id: noteId,
      fields: edit.fields,
      tags_add: edit.tagsAdd,
      tags_remove: edit.tagsRemove,
    }) as Promise<{ mod: number }>;
  }

  /** Answers up to `count` cards from the scheduler's queue (of `deck` if given), adding revlog rows. */
  review(
    device: string,
    count: number,
    options: { deck?: string; eases?: number[] } = {},
  ): Promise<{ answered: number; card_ids: number[] }> {
    return this.#request('review', { device, count, ...options }) as Promise<{ answered: number; card_ids: number[] }>;
  }

  setCard(
    device: string,
    cardId: number,
    changes: { queue?: number; type?: number; due?: number; ivl?: number; flags?: number },
  ): Promise<void> {
    return this.#request('set_card', { device, card_id: cardId, ...changes }).then(() => undefined);
  }

  /** Moves cards to a deck (created if missing); returns its id. */
  moveCards(device: string, cardIds: number[], deck: string): Promise<number> {
    return this.#request('move_cards', { device, card_ids: cardIds, deck }).then((r) => (r as { deck_id: number }).deck_id);
  }

  addDeck(device: string, name: string): Promise<number> {
    return this.#request('add_deck', { device, name }).then((r) => (r as { id: number }).id);
  }

  renameDeck(device: string, deckId: number, name: string): Promise<void> {
    return this.#request('rename_deck', { device, deck_id: deckId, name }).then(() => undefined);
  }

  /** Removes decks with their child decks and cards; returns the number of cards removed. */
  removeDecks(device: string, deckIds: number[]): Promise<number> {
    return this.#request('remove_decks', { device, deck_ids: deckIds }).then((r) => (r as { count: number }).count);
  }

  removeNotes(device: string, noteIds: number[]): Promise<number> {
    return this.#request('remove_notes', { device, note_ids: noteIds }).then((r) => (r as { count: number }).count);
  }

  /** Removes cards, and notes left without cards. */
  removeCards(device: string, cardIds: number[]): Promise<number> {
    return this.#request('remove_cards', { device, card_ids: cardIds }).then((r) => (r as { count: number }).count);
  }

  /** Changes (or adds, then changes) a deck config and optionally assigns it to a deck; returns its id. */
  setDeckConfig(device: string, edit: DeckConfigEdit): Promise<number> {
    return this.#request('set_deck_config', {
      device,
      config_id: edit.configId,
      new_config_name: edit.newConfigName,
      deck_id: edit.deckId,
      changes: edit.changes,
    }).then((r) => (r as { config_id: number }).config_id);
  }

  /** Adds a copy of notetype `source` named `name`; returns its id. */
  addNotetypeCopy(device: string, source: string, name: string): Promise<number> {
    return this.#request('add_notetype_copy', { device, source, name }).then((r) => (r as { id: number }).id);
  }

  /** `notetype` is the notetype's id or its name. */
  renameNotetype(device: string, notetype: number | string, name: string): Promise<void> {
    return this.#request('rename_notetype', { device, ...notetypeRef(notetype), name }).then(() => undefined);
  }

  /** Adds a field to a notetype (a schema change: the next sync is a full sync). */
  addField(device: string, notetype: number | string, name: string): Promise<void> {
    return this.#request('add_field', { device, ...notetypeRef(notetype), name }).then(() => undefined);
  }

  /** Removes a notetype and its notes (a schema change). */
  removeNotetype(device: string, notetype: number | string): Promise<void> {
    return this.#request('remove_notetype', { device, ...notetypeRef(notetype) }).then(() => undefined);
  }

  setConfig(device: string, key: string, value: unknown): Promise<void> {
    return this.#request('set_config', { device, key, value }).then(() => undefined);
  }

  /** Preferences → "Next day starts at" (0-23), as the app sets it; the client works out its day again. */
  setNextDayStartsAt(device: string, hour: number): Promise<void> {
    return this.#request('set_next_day_starts_at', { device, hour }).then(() => undefined);
  }

  /** The whole config map (col.all_config()). */
  getConfig(device: string): Promise<Record<string, unknown>> {
    return this.#request('get_config', { device }) as Promise<Record<string, unknown>>;
  }

  close(device: string): Promise<void> {
    return this.#request('close', { device }).then(() => undefined);
  }

  /** Closes all collections and ends the driver (killing it if it does not exit). */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null && this.#exitInfo === null) {
      try {
        await this.#request('quit', {}, DRIVER_STOP_TIMEOUT_MS);
      } catch {
        // fall through to the kill below
      }
      this.#child.stdin.end();
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), DRIVER_STOP_TIMEOUT_MS);
      await this.#exited;
      clearTimeout(timer);
    }
    await this.#exited;
  }

  #request(command: string, args: Record<string, unknown>, timeoutMs = this.#requestTimeoutMs): Promise<unknown> {
    if (this.#exitInfo !== null) {
      return Promise.reject(this.#exitedError(command));
    }
    const id = this.#nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new AnkiClientError(
            command,
            'timeout',
            `no answer from the Anki driver within ${timeoutMs} ms (DRIVER_REQUEST_TIMEOUT_MS); killing it\n${this.#stderrTail()}`,
            'timeout',
            null,
          ),
        );
        // The driver handles requests one at a time, so it is stuck: kill it.
        this.#child.kill('SIGKILL');
      }, timeoutMs);
      this.#pending.set(id, { command, resolve, reject, timer });
      this.#child.stdin.write(`${JSON.stringify({ id, cmd: command, ...args })}\n`);
    });
  }

  #onLine(line: string): void {
    if (line.trim() === '') return;
    let response: DriverResponse;
    try {
      response = JSON.parse(line) as DriverResponse;
    } catch {
      this.#stderr = (this.#stderr + `\n[unparsable stdout line] ${line}\n`).slice(-STDERR_KEEP_CHARS);
      return;
    }
    const id = response.id;
    if (typeof id !== 'number') return;
    const pending = this.#pending.get(id);
    if (pending === undefined) return; // answer to a request that already timed out
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (response.ok) {
      pending.resolve(response.result);
    } else {
      const kind = (response.kind ?? 'driver') as AnkiErrorKind;
      const message = response.error ?? 'unknown error';
      const full = kind === 'driver' || kind === 'backend' ? `${message}\n${this.#stderrTail()}` : message;
      pending.reject(new AnkiClientError(pending.command, kind, full, response.message ?? message, response.backend_kind ?? null));
    }
  }

  #failAll(): void {
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      this.#pending.delete(id);
      pending.reject(this.#exitedError(pending.command));
    }
  }

  #exitedError(command: string): AnkiClientError {
    const info = this.#exitInfo ?? 'driver exited';
    return new AnkiClientError(command, 'driver_exited', `${info}\n${this.#stderrTail()}`, info, null);
  }

  #stderrTail(): string {
    const tail = this.#stderr.slice(-4000).trim();
    return tail === '' ? '(driver stderr empty)' : `driver stderr:\n${tail}`;
  }
}
