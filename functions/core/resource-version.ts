/**
 * podplane's resourceVersion is the write time in microseconds, kept strictly increasing per
 * object. It is still an opaque string to clients and still the optimistic-concurrency
 * condition, but unlike a per-object counter it orders writes across objects, so a watch can
 * ask for "everything written after X" without one global counter item (which would cap the
 * whole cluster at one DynamoDB item's write rate).
 */
export function nextResourceVersion(previous = 0, now = Date.now()): number {
  return Math.max(now * 1000, previous + 1);
}

/**
 * The resourceVersion a list reports: a little before the read started, because lists read
 * eventually consistent indexes and clocks of concurrent writers differ slightly. A watch from
 * it may repeat a change the list already showed (as MODIFIED), but never misses one.
 */
export const listSlackMicros = 2_000_000;

export function listResourceVersion(readStartedAt: Date): string {
  return String(readStartedAt.getTime() * 1000 - listSlackMicros);
}

/**
 * How long a deletion stays readable (a deleted object's item lingers as a tombstone): a watch
 * can resume from a resourceVersion up to about this old without missing one.
 */
export const watchWindowSeconds = 600;
