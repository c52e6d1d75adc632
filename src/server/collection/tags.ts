/**
 * Tags: the space-separated tag string of a note (docs/protocol/collection-sync.md §6.3) and the `tags`
 * table the client keeps its tag list in (§8.4), handled as the reference does
 * (rslib `tags/mod.rs`, `tags/register.rs`, `storage/tag`).
 */
import type Database from 'better-sqlite3';

/** The reference splits a note's tag string on U+0020 and U+3000 (ideographic space) only. */
const TAG_SEPARATORS = /[ \u3000]/;

/** A note's tags from its tag string; separators repeat freely and empty parts are dropped. */
export function splitTags(tags: string): string[] {
  return tags.split(TAG_SEPARATORS).filter((tag) => tag !== '');
}

/** The stored and wire form of a note's tags: `" a b "`, or `""` when there are none. */
export function joinTags(tags: readonly string[]): string {
  return tags.length === 0 ? '' : ` ${tags.join(' ')} `;
}

/**
 * A note's tag string in the reference's canonical form: split and re-joined, nothing else.
 * Used both for a received note before it is stored (the sync path neither canonicalises
 * the case of note tags nor registers them) and for a stored note before it is sent (§6.3).
 */
export function canonicalNoteTags(tags: string): string {
  return joinTags(splitTags(tags));
}

/** The tags element of an outgoing note row (§6.3): the stored string, re-split and re-joined. */
export const joinTagsForWire = canonicalNoteTags;

/** ASCII control characters (U+0000–U+001F, U+007F) and the two tag separators. */
const INVALID_TAG_CHARS = /[\u0000-\u001f\u007f \u3000]/g;

/**
 * Rust's `str::trim` removes characters with the Unicode `White_Space` property, which is
 * not JS's `trim` set: Rust trims U+0085 (NEXT LINE) and keeps U+FEFF (BOM); JS does the
 * opposite. The ASCII ones and U+0020/U+3000 are already gone when this runs, but are listed
 * for completeness.
 */
const RUST_WHITE_SPACE = '[\\u0009-\\u000d\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const RUST_TRIM = new RegExp(`^${RUST_WHITE_SPACE}+|${RUST_WHITE_SPACE}+$`, 'gu');

/**
 * One `::`-separated component of a tag name (reference `normalized_tag_name_component`):
 * NFC, then ASCII control characters, U+0020 and U+3000 deleted, then trimmed; an empty
 * result becomes `blank`.
 */
function normaliseTagComponent(component: string): string {
  const trimmed = component.normalize('NFC').replace(INVALID_TAG_CHARS, '').replace(RUST_TRIM, '');
  return trimmed === '' ? 'blank' : trimmed;
}

/**
 * A tag name as the reference registers it (§8.4, `normalize_tag_name`): every
 * `::`-component normalised. `""` becomes `blank` and `"a::"` becomes `a::blank`.
 */
export function normaliseTagName(name: string): string {
  return name.split('::').map(normaliseTagComponent).join('::');
}

/** The name without its last `::` component, or null for a top-level name (`rsplit_once("::")`). */
function parentName(name: string): string | null {
  const at = name.lastIndexOf('::');
  return at === -1 ? null : name.slice(0, at);
}

/** Non-overlapping occurrences of `::`, counted left to right like Rust's `str::matches`. */
function separatorCount(name: string): number {
  return name.split('::').length - 1;
}

/** The outcome of registering one name. */
export interface RegisteredTag {
  /** The name as it is now stored: the existing spelling, or the (case-adjusted) new one. */
  name: string;
  /** Whether a row was inserted. */
  added: boolean;
}

/**
 * Registers tag names in the `tags` table as the reference's `register_tag` does (used by
 * `applyChanges`, §8.4), in order, each seeing the rows the previous ones inserted:
 * - the name is normalised (`normaliseTagName`);
 * - if a tag equal to it under the `unicase` collation exists, nothing changes (in
 *   particular its usn is kept) and its stored spelling is reported;
 * - otherwise, if an ancestor exists (nearest first: `a::b` before `a` for `a::b::c`), the
 *   name takes that ancestor's stored spelling for the prefix it covers, so `Parent::child`
 *   after `parent` is stored as `parent::child`;
 * - then it is inserted with the given usn, `collapsed = 1` (the reference's new `Tag` is not
 *   expanded) and `config` NULL. Missing ancestors are not registered.
 *
 * The comparisons rely on the column's `COLLATE unicase`, so `db` must come from
 * `openCollection` (which registers the collation).
 */
export function registerTags(db: Database.Database, names: readonly string[], usn: number): RegisteredTag[] {
  const find = db.prepare<[string], { tag: string }>('SELECT tag FROM tags WHERE tag = ?');
  // INSERT OR REPLACE like the reference's add.sql; the lookup above already ruled out an
  // equal row, so nothing is ever replaced.
  const insert = db.prepare<[string, number]>('INSERT OR REPLACE INTO tags (tag, usn, collapsed) VALUES (?, ?, 1)');
  const storedSpelling = (name: string): string | null => find.get(name)?.tag ?? null;

  const out: RegisteredTag[] = [];
  for (const raw of names) {
    const name = normaliseTagName(raw);
    const existing = storedSpelling(name);
    if (existing !== null) {
      out.push({ name: existing, added: false });
      continue;
    }
    const adjusted = withAncestorSpelling(name, storedSpelling);
    insert.run(adjusted, usn);
    out.push({ name: adjusted, added: true });
  }
  return out;
}

/**
 * `adjusted_case_for_parents`: the nearest existing ancestor's stored spelling followed by
 * the rest of `name`'s components; `name` itself when no ancestor exists.
 */
function withAncestorSpelling(name: string, storedSpelling: (name: string) => string | null): string {
  for (let parent = parentName(name); parent !== null; parent = parentName(parent)) {
    const stored = storedSpelling(parent);
    if (stored !== null) {
      const rest = name.split('::').slice(separatorCount(stored) + 1);
      return `${stored}::${rest.join('::')}`;
    }
  }
  return name;
}

/**
 * Tag names to send in `applyChanges` (reference `tags_pending_sync`): rows with
 * `usn >= minUsn`, or, for the client-side marker -1, rows with `usn = -1`; in the
 * table's (unicase) order.
 */
export function tagsChangedSince(db: Database.Database, minUsn: number): string[] {
  const clause = minUsn === -1 ? 'usn = ?' : 'usn >= ?';
  return db.prepare<[number], string>(`SELECT tag FROM tags WHERE ${clause}`).pluck().all(minUsn);
}
