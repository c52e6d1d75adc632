/**
 * "Download a copy": a person's collection and media as a `.colpkg`, the file Anki restores a
 * whole profile from (File → Import). Shared by the app (a save dialog, src/main/collection-save.ts),
 * the headless admin page (a download, src/headless/download-offers.ts) and the command line
 * (`npm run backups -- export`, src/headless/backups-cli.ts).
 *
 * Two steps. prepare() takes a consistent copy of the collection: through the running server,
 * which holds the file and makes the copy between two syncs (ServerRunner.copyCollection), or on
 * the files when no server runs (copyCollectionOffline, under the folder's lock). Every reason it
 * cannot is a sentence here. The prepared copy then writes the package (collection and the media
 * folder, streamed, src/server/collection/colpkg.ts) once, to a file or an HTTP response, and is
 * removed after.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import type { CollectionCopyRefusal } from '../shared/server-process.ts';
import { COLPKG_EXTENSION, copyCollectionOffline, systemClock, userPaths, writeCollectionPackage } from '../server/index.ts';
import type { Clock, CollectionCopy, Logger, PackageSummary } from '../server/index.ts';
import type { ServerRunner } from './server-runner.ts';

export interface CollectionExportDeps {
  /** The data folder now. */
  readonly base: () => string;
  /** Who is a person now. */
  readonly people: () => Promise<readonly string[]>;
  readonly runner: Pick<ServerRunner, 'state' | 'copyCollection'>;
  /** True while the data folder is being moved (src/host/storage.ts). */
  readonly moving?: () => boolean;
  readonly logger: Logger;
  readonly clock?: Clock;
}

/** A consistent copy of a person's collection, ready to become a package once. */
export interface PreparedPackage {
  readonly username: string;
  /** A name for the file: `anna 2026-12-07.colpkg`. */
  readonly fileName: string;
  /** Writes the package to `out` (and ends it), then removes the copy; rejects when `out` fails or closes early. */
  write(out: Writable): Promise<PackageSummary>;
  /** Removes the copy without writing a package (nothing happens after write()). */
  discard(): Promise<void>;
}

export type PrepareResult = { readonly ok: true; readonly prepared: PreparedPackage } | { readonly ok: false; readonly problem: string };
export type SaveResult = { readonly ok: true; readonly summary: PackageSummary } | { readonly ok: false; readonly problem: string };

export interface CollectionExport {
  /** Why this person's collection cannot be downloaded now, before anything is copied; undefined when it can be tried. */
  check(username: string): Promise<string | undefined>;
  prepare(username: string): Promise<PrepareResult>;
  /** prepare(), then the package into `path`: written beside it first, renamed into place once complete. */
  saveTo(username: string, path: string): Promise<SaveResult>;
}

/** Each reason a copy cannot be made, as the window and the command line say it. */
export function copyProblem(reason: CollectionCopyRefusal, username: string): string {
  switch (reason) {
    case 'unknown-person':
      return `There is no person called “${username}”.`;
    case 'no-collection':
      return `${username} has not synced any cards to Hearth yet, so there is nothing to download.`;
    case 'syncing':
      return `${username}’s device has been syncing for several minutes. Try again when the sync has finished; nothing was saved.`;
    case 'in-use':
      return 'Hearth’s sync server is running on this data folder in another program: download the copy from its window or admin page, or stop it first.';
    case 'failed':
      return 'The copy could not be made; the log has the details. Nothing was saved.';
  }
}

const NOT_NOW = 'The sync server is starting or stopping. Try again in a moment.';
const MOVING = 'The sync data is being moved. Download a copy when the move has finished.';

/** `anna 2026-12-07.colpkg`, by the local date. */
export function packageFileName(username: string, nowMs: number): string {
  const d = new Date(nowMs);
  const day = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  return `${username} ${day}${COLPKG_EXTENSION}`;
}

export function createCollectionExport(deps: CollectionExportDeps): CollectionExport {
  const log = deps.logger.child('export');
  const clock = deps.clock ?? systemClock;

  const check = async (username: string): Promise<string | undefined> => {
    if (!(await deps.people()).includes(username)) return copyProblem('unknown-person', username);
    if (deps.moving?.()) return MOVING;
    const kind = deps.runner.state().kind;
    if (kind === 'starting' || kind === 'stopping') return NOT_NOW;
    return undefined;
  };

  const copyOf = async (base: string, username: string): Promise<CollectionCopy> => {
    try {
      const viaServer = await deps.runner.copyCollection(username);
      return viaServer === 'not-running' ? await copyCollectionOffline(base, username) : viaServer;
    } catch (err) {
      log.error('copying a collection failed', { user: username, why: err instanceof Error ? err.message : String(err) });
      return { ok: false, reason: 'failed' };
    }
  };

  const prepare = async (username: string): Promise<PrepareResult> => {
    const problem = await check(username);
    if (problem !== undefined) return { ok: false, problem };
    const base = deps.base();
    const copy = await copyOf(base, username);
    if (!copy.ok) return { ok: false, problem: copyProblem(copy.reason, username) };
    let used = false;
    const discard = async (): Promise<void> => {
      used = true;
      await rm(copy.file, { force: true });
    };
    return {
      ok: true,
      prepared: {
        username,
        fileName: packageFileName(username, clock.nowMs()),
        async write(out) {
          if (used) throw new Error('a prepared package is written once');
          used = true;
          try {
            const summary = await writeCollectionPackage({ collection: copy.file, mediaDir: userPaths(base, username).mediaDir }, out);
            log.info('collection package written', { user: username, mediaFiles: summary.mediaFiles, bytes: summary.bytes });
            if (summary.skippedMedia.length > 0) {
              log.warn('media files Anki would refuse were left out of the package', {
                user: username,
                count: summary.skippedMedia.length,
                first: summary.skippedMedia[0] ?? '',
              });
            }
            return summary;
          } finally {
            await rm(copy.file, { force: true });
          }
        },
        discard: () => (used ? Promise.resolve() : discard()),
      },
    };
  };

  return {
    check,
    prepare,
    async saveTo(username, path) {
      const ready = await prepare(username);
      if (!ready.ok) return ready;
      const temp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.part`);
      const file = createWriteStream(temp);
      try {
        const summary = await ready.prepared.write(file);
        await rename(temp, path);
        return { ok: true, summary };
      } catch (err) {
        if (!file.closed) await new Promise<void>((resolve) => file.destroy().once('close', () => resolve()));
        await rm(temp, { force: true });
        const code = (err as NodeJS.ErrnoException).code;
        log.error('saving a collection package failed', {
          user: username,
          code: code ?? '',
          why: err instanceof Error ? err.message : String(err),
        });
        return {
          ok: false,
          problem:
            code === 'ENOSPC'
              ? `There is not enough space for the copy in ${dirname(path)}. Nothing was saved.`
              : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
                ? `Hearth may not write in ${dirname(path)}. Choose another folder; nothing was saved.`
                : 'The copy could not be saved; the log has the details. Nothing was saved.',
        };
      }
    },
  };
}
