/** A shared lookup that did not settle in time: the caller should try again later. */
export class LookupTimeout extends Error {
  constructor(key: string, waitMs: number) {
    super(`looking up ${key} took more than ${waitMs} ms: try again shortly`);
    this.name = 'LookupTimeout';
  }
}

/**
 * Lookups by key whose answer never changes (task definitions by content-hash family): the
 * first caller's lookup is shared by every caller that asks while it runs, and its answer kept.
 * A lookup that fails is forgotten, and so is one still running when a caller's wait runs out
 * (that caller gets LookupTimeout), so one call that never returns cannot hold up every launch
 * of its spec for the life of the process.
 */
export class SharedLookups<T> {
  private readonly lookups = new Map<string, Promise<T>>();

  constructor(private readonly waitMs: number) {}

  get(key: string, lookUp: () => Promise<T>): Promise<T> {
    let lookup = this.lookups.get(key);
    if (!lookup) {
      const started = lookUp();
      lookup = started;
      this.lookups.set(key, started);
      started.catch(() => this.forget(key, started));
    }
    const shared = lookup;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.forget(key, shared);
        reject(new LookupTimeout(key, this.waitMs));
      }, this.waitMs);
      shared.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  private forget(key: string, lookup: Promise<T>): void {
    if (this.lookups.get(key) === lookup) this.lookups.delete(key);
  }
}
