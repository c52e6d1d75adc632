/**
 * The built server for benchmarks that measure memory: `npm run build` (scripts/build.mjs) in the
 * project root the servers module runs from, so `startServer(…, { built: true })` starts
 * `dist/headless/cli.js`, the compiled JavaScript the app ships, rather than the TypeScript sources
 * through Node's type stripper (which alone costs ~25 MB of resident memory the app does not have).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** Longest a build may take (tsc, esbuild for the preload and the window). */
const BUILD_TIMEOUT_MS = 180_000;

/** Builds `root` once per process; later calls return at once. */
const built = new Set<string>();
export function buildServer(root: string, log: (line: string) => void = console.log): void {
  if (built.has(root)) return;
  log(`building the server in ${root} (npm run build)…`);
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit', timeout: BUILD_TIMEOUT_MS });
  built.add(root);
}
