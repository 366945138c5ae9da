/**
 * Waits `ms` unless the stream's signal aborts first (the client left, or a buffering transport
 * has held long enough): true when the time passed, false when aborted, so a polling loop stops
 * at once instead of sleeping out its interval for nobody.
 */
export function pause(
  sleep: (ms: number) => Promise<void>,
  ms: number,
  signal: AbortSignal,
): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
    sleep(ms).then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(!signal.aborted);
    });
  });
}
