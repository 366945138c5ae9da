import { describe, expect, it } from 'vitest';
import type { ApiRequest } from '../../functions/core/api/http';
import {
  bookmarkEveryMs,
  heartbeatEveryMs,
  listedSource,
  type WatchSource,
  watch,
} from '../../functions/core/api/watch';
import type { StoredChange } from '../../functions/core/ports';

interface Thing {
  readonly name: string;
  readonly rv: number;
  readonly color: string;
}

const start = new Date('2026-11-30T10:00:00Z');
const micros = (ms: number) => (start.getTime() + ms) * 1000;

/**
 * A store of things written at set times (on the watch's clock), and a clock that only sleeps
 * move. `visibleAt` lets a write become readable later than its version says, as a writer with a
 * slow clock or a slow commit does.
 */
function world(
  writes: { at: number; visibleAt?: number; thing: Thing; deleted?: boolean; created?: number }[],
) {
  let elapsed = 0;
  let polls = 0;
  const visible = () => writes.filter((w) => (w.visibleAt ?? w.at) <= elapsed);
  const latest = () => {
    const byName = new Map<string, (typeof writes)[number]>();
    for (const w of visible()) {
      const seen = byName.get(w.thing.name);
      if (!seen || seen.thing.rv < w.thing.rv) byName.set(w.thing.name, w);
    }
    return [...byName.values()];
  };
  const source: WatchSource<Thing> = {
    list: async () =>
      latest()
        .filter((w) => !w.deleted)
        .map((w) => w.thing),
    async changesSince(rv, seen) {
      polls++;
      return latest()
        .filter((w) => w.thing.rv > rv && !seen(w.thing.name, w.thing.rv))
        .sort((a, b) => a.thing.rv - b.thing.rv)
        .map(
          (w): StoredChange<Thing> => ({
            key: w.thing.name,
            written: w.thing.name,
            object: w.thing,
            resourceVersion: w.thing.rv,
            createdResourceVersion: w.created ?? w.thing.rv,
            deleted: w.deleted === true,
          }),
        );
    },
  };
  const deps = {
    now: () => new Date(start.getTime() + elapsed),
    sleep: async (ms: number) => {
      elapsed += ms;
    },
  };
  return { source, deps, polls: () => polls, elapsed: () => elapsed };
}

const options = (selected: (t: Thing) => boolean = () => true) => ({
  kind: 'Thing',
  keyOf: (t: Thing) => t.name,
  resourceVersionOf: (t: Thing) => t.rv,
  selected,
  present: (t: Thing) => t,
});

const request = (query: Record<string, string>): ApiRequest => ({
  method: 'GET',
  path: '/api/v1/things',
  query: { watch: 'true', ...query },
  headers: {},
});

async function run(
  w: ReturnType<typeof world>,
  query: Record<string, string>,
  selected?: (t: Thing) => boolean,
  signal = new AbortController().signal,
  source: WatchSource<Thing> = w.source,
) {
  const response = watch(request(query), source, options(selected), w.deps);
  const events: {
    type: string;
    object: { name?: string; rv?: number; color?: string; metadata?: Record<string, unknown> };
  }[] = [];
  await response.stream?.(async (chunk) => {
    for (const line of chunk.split('\n').filter(Boolean)) events.push(JSON.parse(line));
  }, signal);
  return events;
}

const thing = (name: string, at: number, color = 'red'): Thing => ({ name, rv: micros(at), color });

describe('watch', () => {
  it('starts with the objects now as ADDED, then sends each later change once and in order', async () => {
    const w = world([
      { at: -5000, thing: thing('a', -5000) },
      { at: 1000, thing: thing('b', 1000), created: micros(1000) },
      { at: 2000, thing: thing('a', 2000, 'blue'), created: micros(-5000) },
      { at: 3000, thing: thing('b', 3000), deleted: true, created: micros(1000) },
    ]);
    const events = await run(w, { timeoutSeconds: '10' });
    expect(events.map((e) => `${e.type} ${e.object.name}`)).toEqual([
      'ADDED a',
      'ADDED b',
      'MODIFIED a',
      'DELETED b',
    ]);
    expect(w.elapsed()).toBeGreaterThanOrEqual(10_000);
  });

  it('resumes after a resourceVersion with what was written after it only', async () => {
    const w = world([
      { at: -3000, thing: thing('old', -3000) },
      { at: 500, thing: thing('old', 500, 'green'), created: micros(-3000) },
      { at: 700, thing: thing('new', 700), created: micros(700) },
    ]);
    const events = await run(w, { resourceVersion: String(micros(0)), timeoutSeconds: '5' });
    expect(events.map((e) => `${e.type} ${e.object.name}`)).toEqual(['MODIFIED old', 'ADDED new']);
  });

  it('starts from now without initial events when sendInitialEvents=false names no version', async () => {
    const w = world([
      { at: -5000, thing: thing('old', -5000) },
      { at: 1000, thing: thing('new', 1000), created: micros(1000) },
    ]);
    const events = await run(w, { sendInitialEvents: 'false', timeoutSeconds: '3' });
    expect(events.map((e) => `${e.type} ${e.object.name}`)).toEqual(['ADDED new']);
  });

  it('answers a resourceVersion older than it keeps with a 410 Expired ERROR event and ends', async () => {
    const w = world([]);
    const events = await run(w, { resourceVersion: String(micros(-3_600_000)) });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'ERROR',
      object: { kind: 'Status', code: 410, reason: 'Expired' },
    });
    expect(w.polls()).toBe(0);
  });

  it('sends a write that became visible after a newer one, once', async () => {
    const w = world([
      { at: 1000, thing: thing('fast', 1200) },
      // Stamped earlier than `fast` but readable only later: a writer's clock or commit lagged.
      { at: 1100, visibleAt: 2000, thing: thing('slow', 1100) },
    ]);
    const events = await run(w, { resourceVersion: String(micros(0)), timeoutSeconds: '5' });
    expect(events.map((e) => e.object.name)).toEqual(['fast', 'slow']);
  });

  it('sends DELETED when an object stops matching the selector and ADDED when it starts', async () => {
    const w = world([
      { at: -1000, thing: thing('a', -1000, 'red') },
      { at: 1000, thing: thing('a', 1000, 'blue'), created: micros(-1000) },
      { at: 2000, thing: thing('a', 2000, 'red'), created: micros(-1000) },
    ]);
    const events = await run(w, { timeoutSeconds: '5' }, (t) => t.color === 'red');
    expect(events.map((e) => `${e.type} ${e.object.color ?? ''}`)).toEqual([
      'ADDED red',
      'DELETED blue',
      'ADDED red',
    ]);
  });

  it('sends DELETED then ADDED when an object is replaced by a new one of the same name', async () => {
    const w = world([
      { at: -1000, thing: thing('a', -1000, 'red') },
      { at: 1000, thing: thing('a', 1000, 'blue'), created: micros(1000) },
    ]);
    const response = watch(
      request({ timeoutSeconds: '3' }),
      w.source,
      { ...options(), uidOf: (t: Thing) => t.color },
      w.deps,
    );
    const events: string[] = [];
    await response.stream?.(async (chunk) => {
      const event = JSON.parse(chunk);
      events.push(`${event.type} ${event.object.color}`);
    }, new AbortController().signal);
    expect(events).toEqual(['ADDED red', 'DELETED red', 'ADDED blue']);
  });

  it('sends a BOOKMARK a minute when asked, and marks the end of the initial events', async () => {
    const w = world([{ at: -1000, thing: thing('a', -1000) }]);
    const events = await run(w, {
      sendInitialEvents: 'true',
      resourceVersionMatch: 'NotOlderThan',
      allowWatchBookmarks: 'true',
      timeoutSeconds: String((2 * bookmarkEveryMs) / 1000 + 1),
    });
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'BOOKMARK', 'BOOKMARK', 'BOOKMARK']);
    expect(events[1]?.object.metadata?.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    expect(events[2]?.object.metadata?.annotations).toBeUndefined();
    expect(Number(events[2]?.object.metadata?.resourceVersion)).toBeGreaterThan(0);
  });

  it('keeps a quiet watch without bookmarks alive with an empty line a minute', async () => {
    const w = world([]);
    const response = watch(
      request({
        resourceVersion: String(micros(0)),
        timeoutSeconds: String((3 * heartbeatEveryMs) / 1000 + 1),
      }),
      w.source,
      options(),
      w.deps,
    );
    const chunks: string[] = [];
    await response.stream?.(async (chunk) => {
      chunks.push(chunk);
    }, new AbortController().signal);
    expect(chunks).toEqual(['\n', '\n', '\n']);
  });

  it('stops polling as soon as its signal aborts (the client left)', async () => {
    const w = world([]);
    const controller = new AbortController();
    const response = watch(request({ resourceVersion: String(micros(0)) }), w.source, options(), {
      ...w.deps,
      sleep: async (ms) => {
        await w.deps.sleep(ms);
        if (w.polls() >= 3) controller.abort();
      },
    });
    await response.stream?.(async () => undefined, controller.signal);
    expect(w.polls()).toBe(3);
  });

  it('reads, once quiet, only what a write still in flight could be: not the burst before', async () => {
    // A burst of 50 writes over the first half second, then nothing for 10 s.
    const w = world(Array.from({ length: 50 }, (_, i) => ({ at: i * 10, thing: thing(`p${i}`, i * 10) })));
    const sinces: number[] = [];
    const reads: WatchSource<Thing> = {
      list: w.source.list,
      async changesSince(rv, seen) {
        sinces.push(rv);
        return w.source.changesSince(rv, seen);
      },
    };
    const events = await run(
      w,
      { resourceVersion: String(micros(-1)), timeoutSeconds: '10' },
      undefined,
      undefined,
      reads,
    );
    expect(events).toHaveLength(50);
    // Every poll from 4 s on (3 s after a poll that began past the burst's last write, at 490
    // ms) asks for writes after a version past that write, where it once kept asking from a
    // second before it, until the next write.
    const late = sinces.slice(4000 / 250);
    expect(late.length).toBeGreaterThan(20);
    expect(Math.min(...late)).toBeGreaterThan(micros(490));
  });

  it('reads again after a failed poll, and ends with an InternalError event when reads keep failing', async () => {
    const w = world([{ at: 1000, thing: thing('a', 1000) }]);
    let failing = 2;
    const flaky: WatchSource<Thing> = {
      list: w.source.list,
      async changesSince(rv, seen) {
        if (failing-- > 0) throw new Error('ProvisionedThroughputExceededException');
        return w.source.changesSince(rv, seen);
      },
    };
    const response = watch(
      request({ resourceVersion: String(micros(0)), timeoutSeconds: '5' }),
      flaky,
      options(),
      w.deps,
    );
    const lines: string[] = [];
    await response.stream?.(async (chunk) => {
      lines.push(chunk);
    }, new AbortController().signal);
    expect(lines.map((l) => JSON.parse(l).type)).toEqual(['ADDED']);

    const broken: WatchSource<Thing> = {
      list: w.source.list,
      changesSince: async () => {
        throw new Error('down');
      },
    };
    const ended = watch(request({ resourceVersion: String(micros(0)) }), broken, options(), w.deps);
    const events: { type: string; object: { code?: number } }[] = [];
    await ended.stream?.(async (chunk) => {
      events.push(JSON.parse(chunk));
    }, new AbortController().signal);
    expect(events).toEqual([
      { type: 'ERROR', object: expect.objectContaining({ code: 500, reason: 'InternalError' }) },
    ]);
  });
});

describe('listedSource', () => {
  it('reports objects written after the version and a deletion for one gone since the last poll', async () => {
    let objects: Thing[] = [thing('a', 0), thing('b', 0)];
    const source = listedSource(
      async () => objects,
      (t) => t.name,
      (t) => t.rv,
      () => new Date(start.getTime() + 5000),
    );
    expect(await source.list()).toHaveLength(2);
    objects = [thing('a', 1000, 'blue')];
    const changes = await source.changesSince(micros(500), () => false);
    expect(changes.map((c) => `${c.key} ${c.deleted}`)).toEqual(['a false', 'b true']);
  });
});
