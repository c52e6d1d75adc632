/**
 * Devices with media waiting to be uploaded, built once and cached in bench/.cache/media/.
 *
 * A template is what a device folder holds after the editor added the files: `collection.anki2`
 * (a new, empty collection), `collection.media/` with the files and `collection.media.db2`, the
 * client's media database, which lists every file as pending upload. bench/media_fill.py builds
 * it with the real client (`col.media.write_data` per file; slow for thousands of files, hence
 * the cache). A benchmark copies the template (timestamps kept, so the client sees no change to
 * re-scan) into a fresh device folder for every run.
 *
 * A template is rebuilt when media_fill.py, this file or the recipe changes.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { CACHE_DIR, PROJECT_ROOT } from './bench-collections.ts';
import type { Harness } from './harness.ts';

/** Longest building one template with the real client may take (5,000 files: ~15 s). */
export const MEDIA_BUILD_TIMEOUT_MS = 120_000;

export interface MediaRecipe {
  /** Folder name in bench/.cache/media/. */
  readonly key: string;
  readonly count: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly seed: number;
  /** File names are `<prefix>-00000.bin`, … */
  readonly prefix: string;
}

export interface MediaTemplate {
  readonly recipe: MediaRecipe;
  /** Holds collection.anki2, collection.media/ and collection.media.db2. */
  readonly dir: string;
  readonly bytes: number;
  /** name → lowercase hex SHA-1, as the device's media folder holds them. */
  readonly sha1: Record<string, string>;
}

interface Manifest {
  fingerprint: string;
  bytes: number;
  sha1: Record<string, string>;
}

function fingerprint(recipe: MediaRecipe): string {
  const h = createHash('sha256');
  h.update(readFileSync(path.join(PROJECT_ROOT, 'bench', 'media_fill.py')));
  h.update(readFileSync(fileURLToPath(import.meta.url)));
  h.update(JSON.stringify(recipe));
  return h.digest('hex').slice(0, 16);
}

export async function ensureMediaTemplate(h: Harness, recipe: MediaRecipe): Promise<MediaTemplate> {
  const root = path.join(CACHE_DIR, 'media');
  const dir = path.join(root, recipe.key);
  const manifestPath = path.join(dir, 'manifest.json');
  const fp = fingerprint(recipe);
  if (existsSync(manifestPath)) {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    if (m.fingerprint === fp) return { recipe, dir, bytes: m.bytes, sha1: m.sha1 };
  }
  h.log(`building the media template ${recipe.key} (${recipe.count} files) with the real Anki client (cached in bench/.cache/media/) …`);
  const building = `${dir}.building`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  const out = await h.runPython<{ count: number; bytes: number }>(
    'media_fill.py',
    [
      '--device',
      path.join(building, 'collection.anki2'),
      '--count',
      String(recipe.count),
      '--min-bytes',
      String(recipe.minBytes),
      '--max-bytes',
      String(recipe.maxBytes),
      '--seed',
      String(recipe.seed),
      '--prefix',
      recipe.prefix,
    ],
    MEDIA_BUILD_TIMEOUT_MS,
    'MEDIA_BUILD_TIMEOUT_MS',
  );
  const mediaDir = path.join(building, 'collection.media');
  const sha1: Record<string, string> = {};
  for (const name of readdirSync(mediaDir).sort()) {
    sha1[name] = createHash('sha1')
      .update(readFileSync(path.join(mediaDir, name)))
      .digest('hex');
  }
  if (Object.keys(sha1).length !== recipe.count) throw new Error(`${recipe.key}: the media folder holds ${Object.keys(sha1).length} files`);
  writeFileSync(path.join(building, 'manifest.json'), JSON.stringify({ fingerprint: fp, bytes: out.bytes, sha1 } satisfies Manifest));
  rmSync(dir, { recursive: true, force: true });
  renameSync(building, dir);
  return { recipe, dir, bytes: out.bytes, sha1 };
}

/** Copies a template into `deviceDir` (created); returns the collection path. Timestamps are kept. */
export function copyTemplate(template: MediaTemplate, deviceDir: string): string {
  mkdirSync(deviceDir, { recursive: true });
  for (const name of ['collection.anki2', 'collection.media.db2', 'collection.media']) {
    cpSync(path.join(template.dir, name), path.join(deviceDir, name), { recursive: true, preserveTimestamps: true });
  }
  return path.join(deviceDir, 'collection.anki2');
}
