/**
 * `download` — full download (spec collection-sync.md §5.12). Bumps usn and mod like the
 * reference, checkpoints and closes the collection so the file holds everything, then the
 * caller streams the file (under the user's lock, so nothing changes it meanwhile).
 */
import { statSync } from 'node:fs';
import type { MethodContext } from '../user/context.ts';

export function prepareDownload(ctx: MethodContext): { path: string; size: number } {
  const { user, clock } = ctx;
  user.withCollection((col) => col.prepare('UPDATE col SET usn = usn + 1, mod = ?').run(clock.nowMs()));
  user.closeCollection();
  const path = user.paths.collection;
  return { path, size: statSync(path).size };
}
