/**
 * Suite teardown: runs every step in order even when an earlier one fails (a stuck client must
 * not leave a server running or a temp folder behind), then rethrows the first failure.
 */
export async function runAll(...steps: ReadonlyArray<() => unknown>): Promise<void> {
  let first: { error: unknown } | undefined;
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      first ??= { error };
    }
  }
  if (first) throw first.error;
}
