/**
 * "Download a copy" on the headless admin page. The HearthApi is JSON over POST with a bearer
 * token (src/shared/api-http.ts), but a browser saves a file only from a plain GET it makes
 * itself, which carries no header of ours; fetching the file with the token and handing it to
 * the browser as a blob would hold gigabytes of media in the page's memory. And the token must
 * not go into an address (it would stay in the history). So the download is two steps:
 *
 *   1. downloadCollection(username), an ordinary API call with the token: the copy of the
 *      collection is made then (every refusal is a sentence in the window), and the answer is an
 *      address `/download/<offer>` with a new random offer id;
 *   2. the window lets the browser GET that address (admin-server.ts, after the same Host and
 *      Origin checks as every request): the package is streamed as an attachment.
 *
 * An offer is good once, for DOWNLOAD_OFFER_TTL_MS; then its copy is removed. Whoever can call
 * the API could download anyway, and the offer id is as unguessable as the token.
 */
import { randomBytes } from 'node:crypto';
import type { CollectionDownload } from '../shared/api.ts';
import type { Logger } from '../server/index.ts';
import type { CollectionExport, PreparedPackage } from '../host/collection-export.ts';

export const DOWNLOAD_PATH_PREFIX = '/download/';
/** How long a download address works after the window asked for it. */
export const DOWNLOAD_OFFER_TTL_MS = 60_000;
const OFFER_ID = /^[A-Za-z0-9_-]{43}$/;

export interface DownloadOffers {
  /** The address (path) the browser fetches the package from, once. */
  offer(prepared: PreparedPackage): string;
  /** The package offered under this id, taken (a second take gets nothing); undefined when unknown or expired. */
  take(offerId: string): PreparedPackage | undefined;
  /** Removes every copy still on offer. */
  close(): Promise<void>;
}

export function createDownloadOffers(deps: { readonly logger: Logger; readonly ttlMs?: number }): DownloadOffers {
  const log = deps.logger.child('downloads');
  const offers = new Map<string, { prepared: PreparedPackage; timer: NodeJS.Timeout }>();
  const drop = (id: string): PreparedPackage | undefined => {
    const offer = offers.get(id);
    if (!offer) return undefined;
    offers.delete(id);
    clearTimeout(offer.timer);
    return offer.prepared;
  };
  return {
    offer(prepared) {
      const id = randomBytes(32).toString('base64url');
      const timer = setTimeout(() => {
        log.info('a download was not fetched in time; its copy is removed', { user: prepared.username });
        void drop(id)?.discard();
      }, deps.ttlMs ?? DOWNLOAD_OFFER_TTL_MS);
      timer.unref();
      offers.set(id, { prepared, timer });
      return `${DOWNLOAD_PATH_PREFIX}${id}`;
    },
    take: (offerId) => (OFFER_ID.test(offerId) ? drop(offerId) : undefined),
    async close() {
      await Promise.all([...offers.keys()].map((id) => drop(id)?.discard()));
    },
  };
}

/** The admin page's downloadCollection: the copy now, the file from the address it answers. */
export function offerCollectionDownload(exporter: Pick<CollectionExport, 'prepare'>, offers: DownloadOffers) {
  return async (username: string): Promise<CollectionDownload> => {
    const ready = await exporter.prepare(username);
    if (!ready.ok) return { kind: 'problem', problem: ready.problem };
    return { kind: 'download', url: offers.offer(ready.prepared), fileName: ready.prepared.fileName };
  };
}
