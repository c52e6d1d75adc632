/** The wire method names (case-sensitive, spec http.md §1). */
export const SYNC_METHODS = [
  'hostKey',
  'meta',
  'start',
  'applyGraves',
  'applyChanges',
  'chunk',
  'applyChunk',
  'sanityCheck2',
  'finish',
  'abort',
  'upload',
  'download',
] as const;
export type SyncMethod = (typeof SYNC_METHODS)[number];

export const MEDIA_METHODS = ['begin', 'mediaChanges', 'uploadChanges', 'downloadFiles', 'mediaSanity'] as const;
export type MediaMethod = (typeof MEDIA_METHODS)[number];

export type Route =
  { kind: 'sync'; method: SyncMethod } | { kind: 'media'; method: MediaMethod } | { kind: 'health' } | { kind: 'landing' };

export function isSyncMethod(name: string): name is SyncMethod {
  return (SYNC_METHODS as readonly string[]).includes(name);
}

export function isMediaMethod(name: string): name is MediaMethod {
  return (MEDIA_METHODS as readonly string[]).includes(name);
}
