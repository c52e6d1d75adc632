/**
 * `download` — full download (docs/protocol/collection-sync.md §5.12). Bumps usn and mod like the
 * reference, checkpoints and closes the collection so the file holds everything, then the
 * file is streamed as the reply (under the user's lock, so nothing changes it meanwhile).
 */
import { statSync } from 'node:fs';
import type { MethodCall } from '../user/context.ts';
import type { Reply } from '../wire/respond.ts';

export function download({ ctx }: MethodCall): Reply {
  const { user, clock } = ctx;
  user.withCollection((col) => col.prepare('UPDATE col SET usn = usn + 1, mod = ?').run(clock.nowMs()));
  user.closeCollection();
  const path = user.paths.collection;
  return { file: path, size: statSync(path).size };
}
