// Shared helpers for the collection tests: temp folders, the real Anki Python client, free ports.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';

export const PROJECT_ROOT = resolve(import.meta.dirname, '../../..');

/** The venv holding the official `anki` package (client core and `anki.syncserver`). */
export const VENV_PYTHON = join(PROJECT_ROOT, '.venv', 'bin', 'python');
export const HAS_ANKI_PYTHON = existsSync(VENV_PYTHON);
export const NO_ANKI_PYTHON = HAS_ANKI_PYTHON ? false : `needs the anki venv at ${VENV_PYTHON}`;

/** A fresh temp folder removed when the test ends. */
export function tempDir(t: TestContext, prefix = 'hearth-col-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Runs a Python snippet with the venv interpreter. The snippet gets `sys.argv[1]` = a path it
 * must write its JSON result to (stdout is left to the library, which may print), and the
 * extra arguments after it. Fails after `timeoutMs` with the snippet's stderr.
 */
export async function runPython<T>(dir: string, script: string, args: readonly string[], timeoutMs = 60_000): Promise<T> {
  const resultPath = join(dir, `py-result-${Date.now()}-${Math.random().toString(16).slice(2)}.json`);
  await new Promise<void>((resolvePromise, reject) => {
    execFile(
      VENV_PYTHON,
      ['-c', script, resultPath, ...args],
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, _stdout, stderr) => {
        if (err) reject(new Error(`python snippet failed (timeout ${timeoutMs} ms): ${err.message}\n${stderr}`));
        else resolvePromise();
      },
    );
  });
  return JSON.parse(readFileSync(resultPath, 'utf8')) as T;
}

/** A TCP port that was free a moment ago on 127.0.0.1 (for servers that cannot take port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolvePromise(port));
    });
  });
}

/** A fixed clock for deterministic creation. */
export function fixedClock(nowMs: number): { nowMs(): number } {
  return { nowMs: () => nowMs };
}
