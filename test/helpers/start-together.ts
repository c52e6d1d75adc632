/**
 * Starts a test's servers, browsers and clients at once, like Promise.all, but when one fails the
 * others that did start are stopped before the error is thrown. With Promise.all a started Anki
 * driver or browser was never assigned, so no `after` hook could stop it, and its process kept
 * the test file from ever ending.
 */
export type Stoppable = { stop(): Promise<unknown> } | { close(): Promise<unknown> };

export async function startTogether<T extends readonly Stoppable[]>(...starts: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(starts);
  const failure = settled.find((s) => s.status === 'rejected');
  if (failure === undefined) return settled.map((s) => (s as PromiseFulfilledResult<Stoppable>).value) as unknown as T;
  await Promise.allSettled(
    settled.flatMap((s) => (s.status === 'fulfilled' ? ['stop' in s.value ? s.value.stop() : s.value.close()] : [])),
  );
  throw failure.reason;
}
