/**
 * `download` — full download (docs/protocol/collection-sync.md §5.12). Bumps usn and mod like the
 * reference, checkpoints and closes the collection so the file holds everything, then the
 * file is streamed as the reply (under the user's lock, so nothing changes it meanwhile).
 *
 * Anki before 2.1.57 (protocols 8–10) accepts only schema 11 in the rollback-journal mode: it
 * gets a copy brought down to schema 11 (collection/downgrade.ts), removed once sent. The
 * official server downgrades its own file instead and upgrades it again at the next open, which
 * changes a few things in it (tags collapsed, config usn reset); the copy leaves it alone.
 */
import { rmSync, statSync } from 'node:fs';
import { writeSchema11Copy } from '../collection/downgrade.ts';
import type { MethodCall } from '../user/context.ts';
import { newUploadTempPath } from '../user/upload-temps.ts';
import type { Reply } from '../wire/respond.ts';

export function download({ ctx }: MethodCall): Reply {
  const { user, clock } = ctx;
  user.withCollection((col) => col.prepare('UPDATE col SET usn = usn + 1, mod = ?').run(clock.nowMs()));
  user.closeCollection();
  const path = user.paths.collection;
  if (ctx.framing === 'zstd') return { file: path, size: statSync(path).size };
  // Named like an upload's temporary, so that one left by a crash is swept at the next start.
  const copy = newUploadTempPath(user.paths.dir);
  try {
    writeSchema11Copy(path, copy);
    return { file: copy, size: statSync(copy).size, removeAfter: true };
  } catch (err) {
    for (const p of [copy, `${copy}-journal`]) rmSync(p, { force: true });
    throw err;
  }
}
