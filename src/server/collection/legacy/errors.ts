/**
 * A legacy object the reference would refuse: a missing required key, a value of the wrong
 * type where the reference is strict, an enum number it does not know (docs/protocol/collection-sync.md §7),
 * or a stored row it cannot read (a deck without a kind).
 *
 * Where to turn it into 400: in the reference the incoming legacy objects are parsed together
 * with the request body, so for input this is a JSON error: answer 400 *before* the session is
 * looked up and leave the session alone (docs/protocol/collection-sync.md §2, §11; docs/protocol/behaviours.md D37). Convert every
 * incoming object first, then start writing.
 */
export class LegacyConversionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LegacyConversionError';
  }
}
