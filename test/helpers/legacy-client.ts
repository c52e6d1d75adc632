/**
 * Requests in the framing of sync protocols 8–10 (Anki 2.1.50–2.1.56): a multipart form with the
 * body in `data` (gzip-compressed when `c` is "1"), the host key in `k` (or `sk`) and the session
 * key in `s`, in the order those clients send them (`data` first). For HTTP-level tests; the
 * real old clients are driven by test/interop/anki_driver.py.
 */
import { gzipSync } from 'node:zlib';
import { send } from './sync-client.ts';
import type { Reply } from './sync-client.ts';

export interface LegacyFields {
  /** The body: an object is sent as JSON; gzip-compressed when `c` is anything but "0" or absent. */
  readonly data?: unknown;
  /** Bytes sent as the `data` part as they are (e.g. not gzip although `c` says so). */
  readonly rawData?: Buffer;
  readonly c?: string;
  readonly k?: string;
  readonly sk?: string;
  readonly s?: string;
  readonly v?: string;
}

const BOUNDARY = '------------------------hearthlegacy';

export function legacyForm(fields: LegacyFields): Buffer {
  const parts: Buffer[] = [];
  const field = (name: string, value: Buffer, file = false): void => {
    const disposition = `form-data; name="${name}"${file ? `; filename="${name}"` : ''}`;
    parts.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n\r\n`), value, Buffer.from('\r\n'));
  };
  if (fields.rawData !== undefined) field('data', fields.rawData, true);
  else if (fields.data !== undefined) {
    const raw = Buffer.isBuffer(fields.data)
      ? fields.data
      : Buffer.from(typeof fields.data === 'string' ? fields.data : JSON.stringify(fields.data));
    field('data', fields.c !== undefined && fields.c !== '0' ? gzipSync(raw) : raw, true);
  }
  for (const name of ['c', 'k', 'sk', 's', 'v'] as const) {
    const value = fields[name];
    if (value !== undefined) field(name, Buffer.from(value));
  }
  parts.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(parts);
}

/** POSTs a legacy form to `path` (e.g. `sync/meta`). */
export function sendLegacy(endpoint: string, path: string, fields: LegacyFields): Promise<Reply> {
  return send(endpoint, path, { header: null, raw: legacyForm(fields), contentType: `multipart/form-data; boundary=${BOUNDARY}` });
}
