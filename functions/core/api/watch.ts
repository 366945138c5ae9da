import type { SeenChange, StoredChange } from '../ports';
import { listResourceVersion, watchWindowSeconds } from '../resource-version';
import { type ApiRequest, type ApiResponse, streamed } from './http';
import { pause } from './pause';
import { queryBool, queryInt } from './query';

/** Where a watch's events come from: the objects now, and what was written after a version. */
export interface WatchSource<T> {
  list(): Promise<T[]>;
  changesSince(resourceVersion: number, seen: SeenChange): Promise<StoredChange<T>[]>;
}

export interface WatchOptions<T> {
  /** The kind a BOOKMARK's object carries, and its apiVersion (`v1` unless said). */
  readonly kind: string;
  readonly apiVersion?: string;
  readonly keyOf: (object: T) => string;
  readonly resourceVersionOf: (object: T) => number;
  /** The label and field selectors. */
  readonly selected: (object: T) => boolean;
  /** The object as the client asked to see it (a one-row Table for `kubectl get -w`). */
  readonly present: (object: T) => unknown;
  /** Tells a new object from a deleted one of the same name. */
  readonly uidOf?: (object: T) => string | undefined;
}

export interface WatchDeps {
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
}

/** How often a watch looks for changes: a write reaches the client within about this. */
export const watchPollMs = 250;
/**
 * Longest a watch lasts: under API Gateway's 15 minutes per streamed response and the watch
 * function's 900 s timeout, so a watch ends cleanly and the client watches again.
 */
export const maxWatchSeconds = 840;
/** How often a watch that asked for them gets a BOOKMARK (kube-apiserver: about a minute). */
export const bookmarkEveryMs = 60_000;
/**
 * A watch without bookmarks that has been quiet this long writes an empty line, so API Gateway's
 * 5-minute idle timeout never cuts it. client-go's JSON framing skips whitespace between events,
 * and the JavaScript and Python clients skip empty lines; a write also finds a client that left.
 */
export const heartbeatEveryMs = 60_000;

/**
 * How far back each poll looks before the newest version it sent: writers stamp versions from
 * their own clocks before they commit, so a write can become readable after one stamped later.
 * Lambda clocks agree within milliseconds and a commit takes tens of them; one second is ample,
 * and each poll re-reads only the index entries of that second.
 */
export const lookBackMicros = 1_000_000;

/**
 * A write stamped this long before a poll began was readable at that poll: its commit and the
 * change index's propagation (a fraction of a second under normal conditions, AWS says) are done
 * by then. Three times the look-back: the margin costs a quiet watch only a few more entries
 * read, and a write readable later than this would be missed by a quiet watch.
 */
export const settledAfterMicros = 3 * lookBackMicros;

/** Polls in a row that may fail (each retried after a growing pause) before a watch ends. */
export const maxFailedPolls = 8;

const internalErrorStatus = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'an error on the server prevented the request from succeeding',
  reason: 'InternalError',
  code: 500,
};

/** The oldest resourceVersion a watch can start from: older ones may have lost their deletions. */
export function oldestWatchable(now: Date): number {
  return (now.getTime() - (watchWindowSeconds - 60) * 1000) * 1000;
}

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/**
 * A watch as kube-apiserver serves it, as a stream of JSON watch events, one per line:
 * - no resourceVersion (or `0`): the selected objects now as ADDED, then every later change;
 * - a resourceVersion: every change after it, once and in order; one older than what podplane
 *   keeps gets an ERROR event with a 410 Expired Status, so informers list again;
 * - `sendInitialEvents=true`: the objects now, then a BOOKMARK annotated
 *   `k8s.io/initial-events-end`;
 * - `allowWatchBookmarks`: a BOOKMARK every minute with the version the watch has reached;
 * - objects that start or stop matching the selectors arrive as ADDED and DELETED.
 * It ends at `timeoutSeconds` (at most maxWatchSeconds), or as soon as the client leaves.
 */
export function watch<T>(
  request: ApiRequest,
  source: WatchSource<T>,
  options: WatchOptions<T>,
  deps: WatchDeps,
): ApiResponse {
  const params = watchParameters(request);
  return streamed(200, 'application/json', (write, signal) =>
    runWatch(params, source, options, deps, write, signal),
  );
}

interface WatchParameters {
  readonly resourceVersion: number;
  readonly initialEvents: boolean;
  readonly initialEventsEnd: boolean;
  readonly bookmarks: boolean;
  readonly timeoutMs: number;
}

function watchParameters(request: ApiRequest): WatchParameters {
  const resourceVersion = Number(request.query.resourceVersion || 0);
  const sendInitialEvents = queryBool(request, 'sendInitialEvents');
  const timeoutSeconds = queryInt(request, 'timeoutSeconds');
  const seconds =
    timeoutSeconds !== undefined && timeoutSeconds > 0
      ? Math.min(timeoutSeconds, maxWatchSeconds)
      : maxWatchSeconds;
  return {
    resourceVersion,
    initialEvents: sendInitialEvents ?? resourceVersion === 0,
    initialEventsEnd: sendInitialEvents === true,
    bookmarks: queryBool(request, 'allowWatchBookmarks') === true,
    timeoutMs: seconds * 1000,
  };
}

async function runWatch<T>(
  params: WatchParameters,
  source: WatchSource<T>,
  options: WatchOptions<T>,
  deps: WatchDeps,
  write: (chunk: string) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const startedAt = deps.now();
  const deadline = startedAt.getTime() + params.timeoutMs;
  const send = (type: EventType, object: unknown) => write(`${JSON.stringify({ type, object })}\n`);
  const bookmark = (resourceVersion: number, initialEventsEnd = false) =>
    send('BOOKMARK', {
      kind: options.kind,
      apiVersion: options.apiVersion ?? 'v1',
      metadata: {
        resourceVersion: String(resourceVersion),
        ...(initialEventsEnd ? { annotations: { 'k8s.io/initial-events-end': 'true' } } : {}),
      },
    });

  // The objects the client holds as matching (to send DELETED when one stops matching), and the
  // version of each object last sent (a change is sent once, never an older one after a newer).
  const inView = new Map<string, T>();
  const sent = new Map<string, number>();
  // Writes already read, so the look back over the last moments does not read them again.
  const read = new Map<string, number>();
  let cursor: number;
  if (params.initialEvents) {
    const objects = (await source.list()).filter(options.selected);
    for (const object of objects) {
      const key = options.keyOf(object);
      inView.set(key, object);
      sent.set(key, options.resourceVersionOf(object));
      await send('ADDED', options.present(object));
    }
    cursor = Math.max(params.resourceVersion, Number(listResourceVersion(startedAt)));
    if (params.initialEventsEnd) await bookmark(cursor, true);
  } else if (params.resourceVersion === 0) {
    // sendInitialEvents=false without a resourceVersion: from now on, with nothing before.
    cursor = Number(listResourceVersion(startedAt));
  } else {
    if (params.resourceVersion < oldestWatchable(startedAt)) {
      await send('ERROR', {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `too old resource version: ${params.resourceVersion} (${oldestWatchable(startedAt)})`,
        reason: 'Expired',
        code: 410,
      });
      return;
    }
    cursor = params.resourceVersion;
  }
  const floor = cursor;
  // Versions at or below this were all readable at a poll that succeeded, so no later poll needs
  // to read them: it moves on with the clock, so that a quiet watch reads only the last moments
  // (not, until the next write, the last second of whatever burst came before).
  let settled = floor;
  let lastWrite = deps.now().getTime();
  let lastBookmark = lastWrite;
  let failures = 0;
  while (!signal.aborted && deps.now().getTime() < deadline) {
    const pollStarted = deps.now().getTime();
    // Writers stamp versions from their own clocks, so a write may become visible after one with
    // a higher version: each poll looks back a little and sends what it had not seen.
    const since = Math.max(floor, cursor - lookBackMicros, settled);
    let changes: StoredChange<T>[];
    try {
      changes = await source.changesSince(since, (written, rv) => read.has(`${written}@${rv}`));
      failures = 0;
    } catch {
      // A throttled or failed read loses nothing (the cursor stays): the next poll reads again.
      // A store that keeps failing ends the watch with kube-apiserver's ERROR event; the client
      // watches again from its last resourceVersion.
      if (++failures >= maxFailedPolls) {
        await send('ERROR', internalErrorStatus);
        return;
      }
      if (!(await pause(deps.sleep, watchPollMs * 2 ** Math.min(failures, 4), signal))) return;
      continue;
    }
    for (const change of changes) {
      if (signal.aborted) return;
      read.set(`${change.written}@${change.resourceVersion}`, change.resourceVersion);
      // What the client had when its watch began (the version it resumed from, or the list).
      if (change.resourceVersion <= floor) continue;
      const last = sent.get(change.key);
      if (last !== undefined && change.resourceVersion <= last) continue;
      sent.set(change.key, change.resourceVersion);
      cursor = Math.max(cursor, change.resourceVersion);
      const held = inView.get(change.key);
      // A new object under a deleted one's name whose deletion this watch did not see (the
      // store keeps one item per name): the old one is gone, the new one added.
      if (held !== undefined && !change.deleted && options.uidOf?.(held) !== options.uidOf?.(change.object)) {
        inView.delete(change.key);
        await send('DELETED', options.present(held));
      }
      const type = eventTypeOf(change, inView.has(change.key), params.initialEvents, floor, options);
      if (!type) continue;
      if (type === 'DELETED') inView.delete(change.key);
      else inView.set(change.key, change.object);
      await send(type, options.present(change.object));
      lastWrite = deps.now().getTime();
    }
    settled = Math.max(settled, pollStarted * 1000 - settledAfterMicros);
    forgetOlderThan(read, cursor - 2 * lookBackMicros);
    forgetOlderThan(sent, cursor - 2 * lookBackMicros);
    const now = deps.now().getTime();
    if (params.bookmarks && now - lastBookmark >= bookmarkEveryMs) {
      await bookmark(cursor);
      lastBookmark = now;
    } else if (!params.bookmarks && now - lastWrite >= heartbeatEveryMs) {
      await write('\n');
      lastWrite = now;
    }
    // Polls start every watchPollMs: the time a poll took under load is not added to the wait.
    const wait = Math.max(0, watchPollMs - (deps.now().getTime() - pollStarted));
    if (!(await pause(deps.sleep, wait, signal))) return;
  }
}

/**
 * What a change is to this watch: a deletion of an object it holds, an object that starts or
 * stops matching, or a change of one it holds. A watch that did not list first (it resumed from
 * a resourceVersion) does not know what its client holds: it goes by the change itself.
 */
function eventTypeOf<T>(
  change: StoredChange<T>,
  held: boolean,
  listed: boolean,
  floor: number,
  options: WatchOptions<T>,
): 'ADDED' | 'MODIFIED' | 'DELETED' | undefined {
  const matches = options.selected(change.object);
  if (change.deleted) return held || (!listed && matches) ? 'DELETED' : undefined;
  if (!matches) return held ? 'DELETED' : undefined;
  if (held) return 'MODIFIED';
  if (listed) return 'ADDED';
  const created = change.createdResourceVersion;
  return created === undefined || created > floor ? 'ADDED' : 'MODIFIED';
}

function forgetOlderThan(versions: Map<string, number>, oldest: number): void {
  for (const [key, rv] of versions) if (rv < oldest) versions.delete(key);
}

/**
 * A source for kinds with few objects (namespaces, nodes): each poll lists them all and reports
 * those written after the version, and a deletion for each one gone since the last poll.
 * `presumed` are objects a watch that resumes (without a list) takes to exist when it begins,
 * so that one already gone is reported deleted (a watch of one named object, as `kubectl
 * delete` waits on).
 */
export function listedSource<T>(
  list: () => Promise<T[]>,
  keyOf: (object: T) => string,
  resourceVersionOf: (object: T) => number,
  now: () => Date,
  presumed: readonly T[] = [],
): WatchSource<T> {
  const snapshot = (objects: readonly T[]) => new Map(objects.map((object) => [keyOf(object), object]));
  let previous = snapshot(presumed);
  return {
    async list() {
      const objects = await list();
      previous = snapshot(objects);
      return objects;
    },
    async changesSince(resourceVersion) {
      const objects = await list();
      const current = snapshot(objects);
      const changes: StoredChange<T>[] = objects
        .filter((object) => resourceVersionOf(object) > resourceVersion)
        .map((object) => ({
          key: keyOf(object),
          written: keyOf(object),
          object,
          resourceVersion: resourceVersionOf(object),
          deleted: false,
        }));
      for (const [key, object] of previous)
        if (!current.has(key))
          changes.push({
            key,
            written: key,
            object,
            resourceVersion: now().getTime() * 1000,
            deleted: true,
          });
      previous = current;
      return changes.sort((a, b) => a.resourceVersion - b.resourceVersion);
    },
  };
}
