import { describe, expect, it } from 'vitest';
import { parseGoRfc3339 } from '../../functions/core/api/go-time';
import { handleApiRequest, type ServerDeps } from '../../functions/core/api/server';
import type { Pod } from '../../functions/core/k8s';
import { followPollMs } from '../../functions/core/logs/follow';
import type { PodLogEvent, PodLogPosition, PodLogs, PodRecord } from '../../functions/core/ports';
import { apiHarness, now } from './api-harness';

/**
 * `kubectl logs -f` against fakes: a CloudWatch-like log (tokens past the end, the same token
 * while nothing is new, startTime honoured) and a pod record the test changes between polls.
 * Sleeps pass at once and move a clock; `at(ms, change)` runs a change when the clock gets there.
 */

const taskArn = 'arn:aws:ecs:us-east-1:123456789012:task/podplane/abc';
const path = '/api/v1/namespaces/default/pods/web/log';
const t0 = now.getTime();

interface LogCall {
  readonly taskArn: string;
  readonly container: string;
  readonly position: PodLogPosition;
  readonly startTime?: number;
}

function cloudWatchLike() {
  const streams = new Map<string, PodLogEvent[]>();
  const calls: LogCall[] = [];
  const logs: PodLogs = {
    async read(task, container, position, startTime) {
      calls.push({ taskArn: task, container, position, ...(startTime !== undefined ? { startTime } : {}) });
      const lines = streams.get(`${task}|${container}`);
      if (!lines) return { events: [] };
      const inRange = (e: PodLogEvent) => startTime === undefined || e.timestamp >= startTime;
      const end = `f/${lines.length}`;
      if (position.from === 'tail')
        return { events: lines.filter(inRange).slice(-Math.max(position.lines, 1)), nextToken: end };
      const from = position.from === 'token' ? Number(position.token.slice(2)) : 0;
      return { events: lines.slice(from).filter(inRange), nextToken: end };
    },
  };
  const write = (messages: string[], at: number, container = 'app', task = taskArn) => {
    const lines = streams.get(`${task}|${container}`) ?? [];
    streams.set(`${task}|${container}`, lines);
    for (const message of messages) lines.push({ timestamp: at, message });
  };
  return { logs, calls, write };
}

const pod = (status: Pod['status'] = { phase: 'Running' }, containers = ['app']): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', uid: 'uid-web' },
  spec: { containers: containers.map((name) => ({ name, image: 'nginx' })), nodeName: 'node-1' },
  status,
});

const running = (name = 'app') => ({
  name,
  ready: true,
  restartCount: 0,
  image: 'nginx',
  imageID: '',
  state: { running: { startedAt: '2026-03-01T12:00:00Z' } },
});

const terminated = (name = 'app') => ({
  ...running(name),
  ready: false,
  state: { terminated: { exitCode: 0, reason: 'Completed' } },
});

function world(override: Partial<Pick<ServerDeps, 'logs' | 'sleep'>> = {}) {
  const log = cloudWatchLike();
  const timeline: { at: number; change: () => unknown }[] = [];
  let clock = 0;
  const harness = apiHarness({
    logs: log.logs,
    now: () => new Date(t0 + clock),
    sleep: async (ms) => {
      clock += ms;
      for (const step of timeline.filter((s) => s.at <= clock)) {
        timeline.splice(timeline.indexOf(step), 1);
        await step.change();
      }
    },
    ...override,
  });
  const seed = (status?: Pod['status'], extra: Partial<Omit<PodRecord, 'pod' | 'resourceVersion'>> = {}) =>
    harness.stores.pods.seed(pod(status), extra);
  /** The response to GET .../log with this query, its stream run to its end (or to `abort`). */
  const get = async (query: Record<string, string>, signal = new AbortController().signal) => {
    // The response as the core answers it: its stream is run here, chunk by chunk.
    const response = await handleApiRequest({ method: 'GET', path, query, headers: {} }, harness.deps);
    const chunks: { at: number; text: string }[] = [];
    await response.stream?.(async (text) => {
      chunks.push({ at: clock, text });
    }, signal);
    return { response, chunks, text: `${response.body}${chunks.map((c) => c.text).join('')}` };
  };
  return {
    ...log,
    ...harness,
    seed,
    get,
    at: (ms: number, change: () => unknown) => timeline.push({ at: ms, change }),
    clock: () => clock,
  };
}

describe('kubectl logs -f', () => {
  it('writes the lines there are, then each new one, and ends once the container has stopped', async () => {
    const w = world();
    w.seed({ phase: 'Running', containerStatuses: [running()] }, { taskArn });
    w.write(['one', 'two'], t0);
    w.at(followPollMs, () => w.write(['three'], t0 + 1000));
    w.at(2 * followPollMs, () => w.write(['four'], t0 + 2000));
    w.at(3 * followPollMs, () => {
      // The last line lands as the container exits: the read after the stop still sends it.
      w.write(['five'], t0 + 3000);
      w.seed({ phase: 'Succeeded', containerStatuses: [terminated()] }, { taskArn });
    });
    w.at(4 * followPollMs, () => w.write(['never'], t0 + 4000));
    const { response, chunks, text } = await w.get({ follow: 'true' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(text).toBe('one\ntwo\nthree\nfour\nfive\n');
    // Each line went out at the poll after it was written, not at the end.
    expect(chunks).toEqual([
      { at: 0, text: 'one\ntwo\n' },
      { at: followPollMs, text: 'three\n' },
      { at: 2 * followPollMs, text: 'four\n' },
      { at: 3 * followPollMs, text: 'five\n' },
    ]);
    expect(w.clock()).toBe(3 * followPollMs);
    // Reads go on from the last page's token: no line is read twice.
    expect(w.calls.slice(0, 2).map((c) => c.position)).toEqual([
      { from: 'head' },
      { from: 'token', token: 'f/2' },
    ]);
  });

  it.each([
    ['the pod moved on to another task', { phase: 'Running' }, { taskArn: `${taskArn}-next` }],
    ['the task was forgotten for a restart', { phase: 'Running' }, {}],
    ['the pod waits out a back-off', { phase: 'Running' }, { taskArn, restartDue: t0 + 10_000 }],
    ['the pod failed', { phase: 'Failed' }, { taskArn }],
    [
      'the container terminated while another runs on',
      { phase: 'Running', containerStatuses: [terminated()] },
      { taskArn },
    ],
  ] as const)('ends when %s', async (_, status, extra) => {
    const w = world();
    w.seed({ phase: 'Running', containerStatuses: [running()] }, { taskArn });
    w.write(['one'], t0);
    w.at(2 * followPollMs, () => {
      w.write(['last'], t0 + 1);
      w.seed(status as Pod['status'], extra);
    });
    const { text } = await w.get({ follow: 'true' });
    expect(text).toBe('one\nlast\n');
    expect(w.clock()).toBe(2 * followPollMs);
  });

  it('ends when the pod is deleted', async () => {
    const w = world();
    const record = w.seed({ phase: 'Running', containerStatuses: [running()] }, { taskArn });
    w.write(['one'], t0);
    w.at(followPollMs, () => w.stores.pods.deletePod(record));
    const { text } = await w.get({ follow: 'true' });
    expect(text).toBe('one\n');
    expect(w.clock()).toBe(followPollMs);
  });

  it('sends the lines of a container that has already stopped, and ends at once', async () => {
    const w = world();
    w.seed({ phase: 'Succeeded', containerStatuses: [terminated()] }, { taskArn });
    w.write(['done'], t0);
    const { text } = await w.get({ follow: 'true' });
    expect(text).toBe('done\n');
    expect(w.clock()).toBe(0);
  });

  it('waits for a pod still starting, then follows its task', async () => {
    const w = world();
    const waiting = {
      phase: 'Pending',
      containerStatuses: [{ ...running(), state: { waiting: { reason: 'ContainerCreating' } } }],
    };
    w.seed(waiting);
    // Without follow it is apiserver's 400, as before.
    const refused = await w.call('GET', path);
    expect(refused.statusCode).toBe(400);
    expect(refused.json.message).toBe('container "app" in pod "web" is waiting to start: ContainerCreating');
    w.at(3 * followPollMs, () => {
      w.seed({ phase: 'Running', containerStatuses: [running()] }, { taskArn });
      w.write(['started'], t0 + 3000);
    });
    w.at(4 * followPollMs, () => w.write(['working'], t0 + 4000));
    w.at(5 * followPollMs, () =>
      w.seed({ phase: 'Succeeded', containerStatuses: [terminated()] }, { taskArn }),
    );
    const { response, chunks } = await w.get({ follow: 'true' });
    expect(response.statusCode).toBe(200);
    expect(chunks).toEqual([
      { at: 3 * followPollMs, text: 'started\n' },
      { at: 4 * followPollMs, text: 'working\n' },
    ]);
    expect(w.clock()).toBe(5 * followPollMs);
  });

  it('ends, having written nothing, when the pod it waits for is deleted', async () => {
    const w = world();
    const record = w.seed({ phase: 'Pending' });
    w.at(2 * followPollMs, () => w.stores.pods.deletePod(record));
    const { text } = await w.get({ follow: 'true' });
    expect(text).toBe('');
    expect(w.clock()).toBe(2 * followPollMs);
  });

  it('refuses what it refused before streaming anything: another container, no container named', async () => {
    const w = world();
    w.stores.pods.seed(pod({ phase: 'Pending' }, ['app', 'sidecar']));
    const unnamed = await w.call('GET', path, { query: { follow: 'true' } });
    expect(unnamed.statusCode).toBe(400);
    expect(unnamed.json.message).toBe(
      'a container name must be specified for pod web, choose one of: [app sidecar]',
    );
    const other = await w.call('GET', path, { query: { follow: 'true', container: 'db' } });
    expect(other.statusCode).toBe(400);
    expect(other.json.message).toBe('container db is not valid for pod web');
  });

  it('follows the container named with -c', async () => {
    const w = world();
    w.stores.pods.seed(
      pod({ phase: 'Running', containerStatuses: [running(), running('sidecar')] }, ['app', 'sidecar']),
      {
        taskArn,
      },
    );
    w.write(['app line'], t0);
    w.write(['sidecar line'], t0, 'sidecar');
    w.at(followPollMs, () =>
      w.stores.pods.seed(
        pod({ phase: 'Running', containerStatuses: [running(), terminated('sidecar')] }, ['app', 'sidecar']),
        {
          taskArn,
        },
      ),
    );
    const { text } = await w.get({ follow: 'true', container: 'sidecar' });
    expect(text).toBe('sidecar line\n');
  });

  it('stops at once when the signal aborts, mid-wait', async () => {
    // A sleep that never ends by itself: only the abort gets the stream out of its wait.
    let sleeping = false;
    const w = world({
      sleep: () => {
        sleeping = true;
        return new Promise(() => undefined);
      },
    });
    w.seed({ phase: 'Running', containerStatuses: [running()] }, { taskArn });
    w.write(['one'], t0);
    const response = await handleApiRequest(
      { method: 'GET', path, query: { follow: 'true' }, headers: {} },
      w.deps,
    );
    const controller = new AbortController();
    const written: string[] = [];
    const following = response.stream?.(async (text) => {
      written.push(text);
    }, controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sleeping).toBe(true);
    controller.abort();
    await expect(following).resolves.toBeUndefined();
    expect(written).toEqual(['one\n']);
  });

  it('reads on while CloudWatch answers empty pages with a moving token', async () => {
    const pages = [
      { events: [], nextToken: 't1' },
      { events: [{ timestamp: t0, message: 'late' }], nextToken: 't2' },
      { events: [], nextToken: 't2' },
    ];
    const w = world({ logs: { read: async () => pages.shift() ?? { events: [], nextToken: 't2' } } });
    w.seed({ phase: 'Succeeded', containerStatuses: [terminated()] }, { taskArn });
    expect((await w.get({ follow: 'true' })).text).toBe('late\n');
    expect(pages).toEqual([]);
  });

  it('ends once limitBytes is written, cutting the line it falls in, as kubelet does', async () => {
    const w = world();
    w.seed({ phase: 'Running', containerStatuses: [running()] }, { taskArn });
    w.write(['one'], t0);
    w.at(followPollMs, () => w.write(['two', 'three'], t0 + 1000));
    const { text } = await w.get({ follow: 'true', limitBytes: '6' });
    expect(text).toBe('one\ntw');
    expect(w.clock()).toBe(followPollMs);
  });

  it('starts from the last lines with tailLines, then goes on with new ones', async () => {
    const w = world();
    w.seed({ phase: 'Running', containerStatuses: [running()] }, { taskArn });
    w.write(['a', 'b', 'c'], t0);
    w.at(followPollMs, () => {
      w.write(['d'], t0 + 1000);
      w.seed({ phase: 'Succeeded', containerStatuses: [terminated()] }, { taskArn });
    });
    expect((await w.get({ follow: 'true', tailLines: '2' })).text).toBe('b\nc\nd\n');
    const none = world();
    none.seed({ phase: 'Succeeded', containerStatuses: [terminated()] }, { taskArn });
    none.write(['a'], t0);
    expect((await none.get({ follow: 'true', tailLines: '0' })).text).toBe('');
  });
});

describe('kubectl logs options', () => {
  it('prefixes each line with its time in RFC 3339 with nine fraction digits (--timestamps)', async () => {
    const w = world();
    w.seed({ phase: 'Running', containerStatuses: [running()] }, { taskArn });
    w.write(['hello'], Date.parse('2026-11-30T10:00:00.123Z'));
    w.write(['world'], Date.parse('2026-11-30T10:00:01Z'));
    const response = await w.call('GET', path, { query: { timestamps: 'true' } });
    expect(response.body).toBe(
      '2026-11-30T10:00:00.123000000Z hello\n2026-11-30T10:00:01.000000000Z world\n',
    );
  });

  it('reads only lines at or after --since and --since-time, with or without follow', async () => {
    const w = world();
    w.seed({ phase: 'Running', containerStatuses: [running()] }, { taskArn });
    w.write(['old'], t0 - 20_000);
    w.write(['recent'], t0 - 10_000);
    w.write(['now'], t0);
    expect((await w.call('GET', path, { query: { sinceSeconds: '10' } })).body).toBe('recent\nnow\n');
    expect(w.calls.at(-1)?.startTime).toBe(t0 - 10_000);
    const sinceTime = new Date(t0 - 10_000).toISOString().replace('.000Z', 'Z');
    expect((await w.call('GET', path, { query: { sinceTime } })).body).toBe('recent\nnow\n');
    w.at(followPollMs, () => {
      w.write(['later'], t0 + 1000);
      w.seed({ phase: 'Succeeded', containerStatuses: [terminated()] }, { taskArn });
    });
    expect((await w.get({ follow: 'true', sinceSeconds: '5' })).text).toBe('now\nlater\n');
  });

  it('refuses options as ValidatePodLogOptions does: 422 PodLogOptions, before looking for the pod', async () => {
    const { call } = world();
    const both = await call('GET', '/api/v1/namespaces/default/pods/nowhere/log', {
      query: { sinceSeconds: '10', sinceTime: '2026-03-01T11:00:00Z' },
    });
    expect(both.statusCode).toBe(422);
    expect(both.json).toMatchObject({
      reason: 'Invalid',
      message:
        'PodLogOptions "nowhere" is invalid: : Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified',
      details: {
        name: 'nowhere',
        kind: 'PodLogOptions',
        causes: [
          {
            reason: 'FieldValueForbidden',
            field: '',
            message: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified',
          },
        ],
      },
    });
    const zero = await call('GET', path, { query: { sinceSeconds: '0' } });
    expect(zero.statusCode).toBe(422);
    expect(zero.json.message).toBe(
      'PodLogOptions "web" is invalid: sinceSeconds: Invalid value: 0: must be greater than 0',
    );
    const several = await call('GET', path, { query: { tailLines: '-1', limitBytes: '0' } });
    expect(several.json.message).toBe(
      'PodLogOptions "web" is invalid: [tailLines: Invalid value: -1: must be greater than or equal to 0, limitBytes: Invalid value: 0: must be greater than 0]',
    );
  });

  it('answers a parameter that does not parse with the parameter codec 400', async () => {
    const { call } = world();
    const follow = await call('GET', path, { query: { follow: 'maybe' } });
    expect(follow.statusCode).toBe(400);
    expect(follow.json.message).toBe('strconv.ParseBool: parsing "maybe": invalid syntax');
    const timestamps = await call('GET', path, { query: { timestamps: 'yes' } });
    expect(timestamps.statusCode).toBe(400);
    const sinceTime = await call('GET', path, { query: { sinceTime: '2026-03-01 11:00:00' } });
    expect(sinceTime.statusCode).toBe(400);
    expect(sinceTime.json.message).toBe(
      'parsing time "2026-03-01 11:00:00" as "2006-01-02T15:04:05Z07:00": cannot parse " 11:00:00" as "T"',
    );
  });
});

describe("sinceTime, parsed as Go's time.Parse(time.RFC3339) parses it", () => {
  it.each([
    ['2026-03-01T11:00:00Z', Date.parse('2026-03-01T11:00:00Z')],
    ['2026-03-01T12:00:00+01:00', Date.parse('2026-03-01T11:00:00Z')],
    ['2026-03-01T11:00:00.0005Z', Date.parse('2026-03-01T11:00:00Z') + 0.5],
    ['2024-02-29T00:00:00Z', Date.parse('2024-02-29T00:00:00Z')],
    ['2026-13-01T00:00:00Z', 'parsing time "2026-13-01T00:00:00Z": month out of range'],
    ['2026-02-29T00:00:00Z', 'parsing time "2026-02-29T00:00:00Z": day out of range'],
    ['2026-03-01T11:00:00Zjunk', 'parsing time "2026-03-01T11:00:00Zjunk": extra text: "junk"'],
    ['26-03-01', 'parsing time "26-03-01" as "2006-01-02T15:04:05Z07:00": cannot parse "26-03-01" as "2006"'],
    [
      '2026-03-01T11:00:00',
      'parsing time "2026-03-01T11:00:00" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "Z07:00"',
    ],
  ])('%s', (value, expected) => {
    expect(parseGoRfc3339(value)).toBe(expected);
  });
});
