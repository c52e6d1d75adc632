/**
 * The temporary file a full upload is decoded into (`<user>/.upload-<random>.tmp`, beside the
 * collection it may replace, so the swap is a rename on one disk), and the sweep that removes
 * those a crash left behind: each can be as large as the upload limit.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const UPLOAD_TEMP = /^\.upload-[0-9a-f]{12}\.tmp(-wal|-shm|-journal)?$/;

export function newUploadTempPath(userDir: string): string {
  return join(userDir, `.upload-${randomBytes(6).toString('hex')}.tmp`);
}

/** Removes every upload temporary in `userDir`; call only when no upload of this person is in flight (start-up). Returns how many. */
export function sweepUploadTemps(userDir: string): number {
  let names: string[];
  try {
    names = readdirSync(userDir);
  } catch {
    return 0;
  }
  const stale = names.filter((n) => UPLOAD_TEMP.test(n));
  for (const name of stale) rmSync(join(userDir, name), { force: true });
  return stale.length;
}
