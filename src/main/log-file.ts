/**
 * The log file in the app data folder: the server process's stdout/stderr and the main
 * process's own lines, one per line, rotated by size so it never fills a family's disk:
 * `hearth.log` → `hearth.log.1` → … → `hearth.log.<keep>` (the oldest is deleted).
 *
 * The decisions (when to rotate, which files move where) are pure functions; the writer is a
 * thin layer over a small fs interface, tested against a temp folder.
 */
import { appendFileSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';

export const LOG_MAX_BYTES = 2 * 1024 * 1024;
/** Rotated files kept besides the current one. */
export const LOG_KEEP = 3;

/** Rotate before a write that would take a non-empty file past the limit. */
export function needsRotation(currentBytes: number, incomingBytes: number, maxBytes: number): boolean {
  return currentBytes > 0 && currentBytes + incomingBytes > maxBytes;
}

/** The steps of one rotation, in order: delete the oldest, then shift each file up by one. */
export function rotationPlan(
  path: string,
  keep: number,
): { readonly remove: string; readonly renames: readonly (readonly [string, string])[] } {
  const renames: [string, string][] = [];
  for (let i = keep - 1; i >= 1; i--) renames.push([`${path}.${i}`, `${path}.${i + 1}`]);
  renames.push([path, `${path}.1`]);
  return { remove: `${path}.${keep}`, renames };
}

export interface LogFs {
  size(path: string): number;
  append(path: string, text: string): void;
  rename(from: string, to: string): void;
  remove(path: string): void;
  ensureDir(dir: string): void;
}

export const nodeLogFs: LogFs = {
  size(path) {
    try {
      return statSync(path).size;
    } catch {
      return 0;
    }
  },
  append: (path, text) => appendFileSync(path, text),
  rename(from, to) {
    try {
      renameSync(from, to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  },
  remove: (path) => rmSync(path, { force: true }),
  ensureDir: (dir) => mkdirSync(dir, { recursive: true }),
};

export interface LogFile {
  readonly path: string;
  /** Appends one line (a newline is added). Never throws: a full disk must not stop the app. */
  writeLine(line: string): void;
}

export interface LogFileOptions {
  readonly path: string;
  readonly maxBytes?: number;
  readonly keep?: number;
  readonly fs?: LogFs;
  /** Where to say that the log cannot be written (once). */
  readonly onError?: (err: unknown) => void;
}

export function createLogFile(options: LogFileOptions): LogFile {
  const { path } = options;
  const maxBytes = options.maxBytes ?? LOG_MAX_BYTES;
  const keep = options.keep ?? LOG_KEEP;
  const fs = options.fs ?? nodeLogFs;
  let size: number | undefined;
  let reported = false;

  const rotate = (): void => {
    const plan = rotationPlan(path, keep);
    fs.remove(plan.remove);
    for (const [from, to] of plan.renames) fs.rename(from, to);
    size = 0;
  };

  return {
    path,
    writeLine(line) {
      const text = line.endsWith('\n') ? line : line + '\n';
      const bytes = Buffer.byteLength(text);
      try {
        if (size === undefined) {
          fs.ensureDir(dirname(path));
          size = fs.size(path);
        }
        if (needsRotation(size, bytes, maxBytes)) rotate();
        fs.append(path, text);
        size += bytes;
      } catch (err) {
        size = undefined;
        if (!reported) {
          reported = true;
          options.onError?.(err);
        }
      }
    },
  };
}

/** Splits a stream into lines and hands each to `onLine` (for the server process's stdout and stderr). */
export function pipeLines(stream: NodeJS.ReadableStream | null | undefined, onLine: (line: string) => void): void {
  if (!stream) return;
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  lines.on('line', onLine);
}
