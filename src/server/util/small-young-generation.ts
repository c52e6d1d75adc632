/**
 * Keeps V8's young generation at its starting size (1 MiB semi-spaces) for the server process.
 *
 * Why: V8 doubles the young generation each time a scavenge finds it busy, up to 16 MiB per
 * semi-space on 64-bit systems, and both semi-spaces stay resident until the memory reducer runs
 * about 8 s after the process goes idle. A sync allocates briskly (parsed JSON, rows, replies), so
 * one sync grew it to ~17 MB and a benchmark of busy allocation to 134 MB: the largest part of the
 * server's peak above the official server's. The size limit itself (`--max-semi-space-size`) is
 * read only when the heap is made, which no host controls in the same way (the app's utility
 * process takes Chromium's `--js-flags`, the command line takes Node's flags); the growth factor
 * is read each time the young generation would grow, so setting it to 1 from inside the process
 * works in both. Measured: docs/memory.md.
 */
import { setFlagsFromString } from 'node:v8';

/** Call once, early, in a process that serves syncs (not in tests that share the test runner's heap). */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}
