/**
 * The media sync wire protocol (docs/protocol/media-sync.md): limits, request and reply shapes, and the
 * parsers that turn a decoded request body into a typed request. Wire names (`lastUsn`, `sk`,
 * `local`) stay as they are on the wire; each method's file works with these types.
 */
import { badRequest } from '../errors.ts';
import { expectObject, parseJsonBody } from '../wire/json-body.ts';

/** Names per `downloadFiles` request and entries per upload zip (docs/protocol/media-sync.md §7). */
export const MAX_FILES_IN_ZIP = 25;
/** A download zip stops after the file that makes its total exceed this (docs/protocol/media-sync.md §3.3, 2.5 MiB). */
export const TARGET_ZIP_BYTES = 2_621_440;
/** Largest single media file (docs/protocol/media-sync.md §7, 100 MiB). */
export const MAX_FILE_BYTES = 104_857_600;
/** The reference reads only this much of an upload's `_meta` (docs/protocol/media-sync.md §3.4, 50 KiB). */
export const MAX_UPLOAD_META_BYTES = 51_200;
/** Entries per `mediaChanges` reply (docs/protocol/media-sync.md §3.2). */
export const MAX_CHANGES_PER_REPLY = 1000;
/** Longest filename in UTF-8 bytes the server accepts (docs/protocol/media-sync.md §6; clients stay under 120). */
export const MAX_FILENAME_BYTES = 255;
/**
 * Media JSON requests are tiny (at most 25 names); anything bigger is refused with 400 rather
 * than read into memory. The reference reads up to the collection limit, then fails on the
 * size checks anyway.
 */
export const MAX_JSON_REQUEST_BYTES = 1024 * 1024;

/**
 * Every JSON reply of a media method is wrapped like this; `err` is always "" because legacy
 * clients require the key, and errors are HTTP statuses instead (docs/protocol/media-sync.md §1).
 */
export interface JsonResult<T> {
  readonly data: T;
  readonly err: '';
}

export function jsonResult<T>(data: T): JsonResult<T> {
  return { data, err: '' };
}

/** `begin` reply (docs/protocol/media-sync.md §3.1): the media usn, and the host key in the legacy session-key slot. */
export interface BeginReply {
  readonly usn: number;
  readonly sk: string;
}

/** One `mediaChanges` entry (docs/protocol/media-sync.md §3.2): `[fname, usn, sha1 hex or "" when deleted]`. */
export type MediaChange = [fname: string, usn: number, sha1: string];

/** `uploadChanges` reply (docs/protocol/media-sync.md §3.4): `[processed, currentUsn]`. */
export type UploadReply = [processed: number, currentUsn: number];

/** `mediaSanity` reply (docs/protocol/media-sync.md §3.5). */
export type SanityReply = 'OK' | 'mediaSanity';

/** One `_meta` item of an upload zip: a file to add (`zipName` = its entry) or to delete. */
export type UploadMetaItem = { readonly fname: string; readonly zipName: string } | { readonly fname: string; readonly zipName: null };

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

/** `begin` body `{"v": "<client version>"}`; the reference refuses a missing or empty version (docs/protocol/media-sync.md §3.1). */
export function parseBeginRequest(body: Buffer): { v: string } {
  const { v } = expectObject(parseJsonBody(body), 'begin');
  if (v !== undefined && typeof v !== 'string') throw badRequest('begin: v must be a string');
  if (v === undefined || v === '') throw badRequest('begin: missing client version');
  return { v };
}

/** `mediaChanges` body `{"lastUsn": 12}`. */
export function parseMediaChangesRequest(body: Buffer): { lastUsn: number } {
  const { lastUsn } = expectObject(parseJsonBody(body), 'mediaChanges');
  if (!isInteger(lastUsn)) throw badRequest('mediaChanges: lastUsn must be an integer');
  return { lastUsn };
}

/** `downloadFiles` body `{"files": ["a.jpg", …]}`; more than 25 names is a 400 (docs/protocol/media-sync.md §3.3). */
export function parseDownloadFilesRequest(body: Buffer): { files: string[] } {
  const { files } = expectObject(parseJsonBody(body), 'downloadFiles');
  if (!Array.isArray(files) || !files.every((f): f is string => typeof f === 'string')) {
    throw badRequest('downloadFiles: files must be an array of strings');
  }
  if (files.length > MAX_FILES_IN_ZIP) throw badRequest(`downloadFiles: ${files.length} names requested, at most ${MAX_FILES_IN_ZIP}`);
  return { files };
}

/** `mediaSanity` body `{"local": 1234}`: the client's count of files with content (a u32 in the reference). */
export function parseSanityRequest(body: Buffer): { local: number } {
  const { local } = expectObject(parseJsonBody(body), 'mediaSanity');
  if (!isInteger(local) || local < 0 || local > 0xffff_ffff) throw badRequest('mediaSanity: local must be a non-negative integer');
  return { local };
}

/**
 * The upload zip's `_meta` (docs/protocol/media-sync.md §3.4): a JSON array of `[filename, zipEntryName | null]`.
 * `null`, or `""` from older clients and AnkiDroid, means "deleted". At most 25 items.
 */
export function parseUploadMeta(text: string): UploadMetaItem[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badRequest('uploadChanges: _meta is not valid JSON');
  }
  if (!Array.isArray(parsed)) throw badRequest('uploadChanges: _meta must be an array');
  if (parsed.length > MAX_FILES_IN_ZIP) throw badRequest(`uploadChanges: ${parsed.length} changes in one zip, at most ${MAX_FILES_IN_ZIP}`);
  return parsed.map((item: unknown, i): UploadMetaItem => {
    if (!Array.isArray(item) || item.length !== 2) throw badRequest(`uploadChanges: _meta item ${i} must be [filename, entry]`);
    const [fname, zipName] = item as [unknown, unknown];
    if (typeof fname !== 'string') throw badRequest(`uploadChanges: _meta item ${i} has no filename`);
    if (zipName === null || zipName === '') return { fname, zipName: null };
    if (typeof zipName !== 'string') throw badRequest(`uploadChanges: _meta item ${i} has a bad entry name`);
    return { fname, zipName };
  });
}
