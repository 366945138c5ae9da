import {
  CoreV1Api,
  KubeConfig,
  makeInformer,
  type V1Pod,
  type V1PodList,
  Watch,
} from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { changeIndexName } from '../../functions/adapters/dynamodb/changes';
import { dynamo } from '../../functions/adapters/dynamodb/client';
import { hasKubectl } from './control-plane';
import { api, kubectlAsync, openWatch, spawnKubectl, until, useInProcessPlane } from './in-process-plane';

/**
 * Watches as streams (issue #12), end to end: kubectl, the official JavaScript client's informer
 * and raw HTTPS against a whole control plane. The plane runs in this process so the test can see
 * the server side too: the `watch` function's invocations, and the change-index queries each open
 * watch makes (about four a second), which must stop when its client leaves.
 */
const plane = useInProcessPlane('podplane-watch-');

/** Change-index queries the handlers made, by partition (`pods/<namespace>`), with when. */
const changeQueries: { pk: string; at: number }[] = [];
/**
 * The change index's queries since `from`: a test that wants one watch's polls looks at a moment
 * no other watch is open.
 */
const feedQueriesSince = (from: number) => changeQueries.filter((q) => q.at >= from);

beforeAll(() => {
  // The handlers' DynamoDB client is this process's (functions/adapters/dynamodb/client.ts).
  dynamo().middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as { IndexName?: string; ExpressionAttributeValues?: Record<string, unknown> };
      if (input.IndexName === changeIndexName) {
        const pk = input.ExpressionAttributeValues?.[':where'];
        changeQueries.push({ pk: typeof pk === 'string' ? pk : '*', at: Date.now() });
      }
      return next(args);
    },
    { step: 'initialize', name: 'watchTestChangeQueries' },
  );
});

const watchInvocations = () => plane.handle.invocations().watch ?? 0;

async function createNamespace(name: string): Promise<void> {
  const created = await api(plane, 'POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
  expect(created.status, created.body).toBe(201);
}

const pod = (
  name: string,
  extra: { annotations?: Record<string, string>; labels?: Record<string, string> } = {},
) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, ...extra },
  spec: {
    containers: [
      { name: 'app', image: 'busybox:1.36', resources: { requests: { cpu: '10m', memory: '16Mi' } } },
    ],
  },
});

async function createPod(namespace: string, body: object): Promise<number> {
  const created = await api(plane, 'POST', `/api/v1/namespaces/${namespace}/pods`, body);
  expect(created.status, created.body).toBe(201);
  return Date.now();
}

/** A resourceVersion (microseconds) from an hour ago: well past the ~9 minutes a watch can resume from. */
const staleResourceVersion = () => String((Date.now() - 3600_000) * 1000);

function clientConfig(): { config: KubeConfig; core: CoreV1Api; watchRequests: () => number } {
  const config = new KubeConfig();
  config.loadFromFile(plane.kubeconfig);
  // Only Watch (and log follow, health, metrics: unused here) calls applyToFetchOptions: one per watch request.
  let watchRequests = 0;
  const apply = config.applyToFetchOptions.bind(config);
  config.applyToFetchOptions = (options) => {
    watchRequests += 1;
    return apply(options);
  };
  return { config, core: config.makeApiClient(CoreV1Api), watchRequests: () => watchRequests };
}

async function inBatches<T>(
  items: readonly T[],
  size: number,
  act: (item: T) => Promise<unknown>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(act));
}

async function timed<T>(into: number[], act: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await act();
  } finally {
    into.push(Date.now() - started);
  }
}

const spread = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return `${sorted[Math.floor(sorted.length / 2)]}/${sorted.at(-1)} ms`;
};

describe.skipIf(!hasKubectl)('kubectl over streaming watches', () => {
  it('kubectl get pods -w shows a pod start, run and terminate, all over one watch request', async () => {
    await createNamespace('kw');
    const before = watchInvocations();
    const kubectl = spawnKubectl(plane, ['get', 'pods', '-n', 'kw', '-w', '-v=6']);
    let stdout = '';
    let stderr = '';
    kubectl.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    kubectl.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const watchRequests = () => stderr.match(/\bGET https:\/\/\S+[?&]watch=true\b/g) ?? [];
    const statuses = () =>
      stdout
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .filter((columns) => columns[0] === 'watched')
        .map((columns) => columns[2]);
    try {
      // kubectl lists (nothing yet), then watches: its -v=6 line for the watch is printed once the
      // response's headers are in, before any event.
      await until(
        () => watchRequests().length,
        (n) => n >= 1,
        'kubectl to start watching',
      );
      const created = await createPod(
        'kw',
        pod('watched', { annotations: { 'sim.podplane.dev/start-delay': '1s' } }),
      );
      await until(statuses, (seen) => seen.includes('Running'), 'kubectl to print watched Running');
      const runningAfterMs = Date.now() - created;
      const deleted = await api(plane, 'DELETE', '/api/v1/namespaces/kw/pods/watched');
      expect(deleted.status, deleted.body).toBe(200);
      await until(statuses, (seen) => seen.includes('Terminating'), 'kubectl to print watched Terminating');

      const distinct = statuses().filter((status, i, all) => status !== all[i - 1]);
      // Every change arrives once, in order; a pod written twice between two polls of the change
      // index (250 ms) arrives at the later write (docs/decisions.md, "Order and repeats"), so the
      // first row may already be ContainerCreating. The 1 s start delay keeps it there long
      // enough to be seen before Running.
      expect(distinct.join(' ')).toMatch(
        /^(Pending (ContainerCreating )?|ContainerCreating )Running Terminating$/,
      );
      expect(stdout.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
      expect(stdout).toMatch(/^watched\s+1\/1\s+Running\s+0\s+\S+$/m);
      // One watch connection carried every change.
      expect(watchRequests()).toHaveLength(1);
      expect(watchRequests()[0]).toMatch(/\/api\/v1\/namespaces\/kw\/pods\?resourceVersion=\d+&watch=true$/);
      console.log(
        `kubectl get -w: rows ${statuses().join(' → ')}; Running printed ${runningAfterMs} ms after the POST; ` +
          `${watchRequests().length} watch request(s); watch-function invocations ${watchInvocations() - before}, ` +
          `kubectl's GETs: ${(stderr.match(/\bGET https:\/\/[^/\s]+(\S+)/g) ?? []).map((line) => line.replace(/^GET https:\/\/[^/]+/, '')).join(' ')}`,
      );
    } finally {
      kubectl.kill('SIGTERM');
    }
  }, 90_000);

  it('kubectl wait returns once the pod is Ready, and kubectl delete once it is gone', async () => {
    await createNamespace('kwait');
    await createPod('kwait', pod('ready'));
    const waited = await kubectlAsync(plane, [
      'wait',
      '-n',
      'kwait',
      '--for=condition=Ready',
      'pod/ready',
      '--timeout=60s',
    ]);
    expect(waited.stderr).toBe('');
    expect(waited.stdout).toBe('pod/ready condition met\n');
    expect(waited.code).toBe(0);
    expect(waited.ms).toBeLessThan(15_000);
    const status = (await api(plane, 'GET', '/api/v1/namespaces/kwait/pods/ready')).json<V1Pod>().status;
    expect(status?.phase).toBe('Running');

    const deleted = await kubectlAsync(plane, ['delete', '-n', 'kwait', 'pod', 'ready']);
    expect(deleted.stdout).toBe('pod "ready" deleted\n');
    expect(deleted.code).toBe(0);
    expect(deleted.ms).toBeLessThan(30_000);
    const gone = await kubectlAsync(plane, ['get', '-n', 'kwait', 'pod', 'ready']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('Error from server (NotFound): pods "ready" not found\n');
    console.log(`kubectl wait: ${waited.ms} ms; kubectl delete: ${deleted.ms} ms`);
  }, 90_000);
});

describe('@kubernetes/client-node informers', () => {
  it('keeps an informer cache in step through 200 creates and deletes over a few watch requests', async () => {
    const namespace = 'informer';
    await createNamespace(namespace);
    const { config, core, watchRequests } = clientConfig();
    let lists = 0;
    const informer = makeInformer(config, `/api/v1/namespaces/${namespace}/pods`, () => {
      lists += 1;
      return core.listNamespacedPod({ namespace });
    });
    const errors: unknown[] = [];
    informer.on('error', (error) => errors.push(error));
    let ourLists = 0;
    const serverPods = async () => {
      ourLists += 1;
      return (await core.listNamespacedPod({ namespace })).items;
    };
    const versions = (pods: readonly V1Pod[]) =>
      JSON.stringify(
        pods
          .map((p) => `${p.metadata?.name}@${p.metadata?.resourceVersion}`)
          .sort((a, b) => a.localeCompare(b)),
      );
    const before = watchInvocations();
    const started = Date.now();
    await informer.start();
    try {
      const names = Array.from({ length: 200 }, (_, i) => `p-${String(i).padStart(3, '0')}`);
      const createCalls: number[] = [];
      await inBatches(names, 20, (name) =>
        timed(createCalls, () =>
          core.createNamespacedPod({ namespace, body: pod(name, { labels: { batch: 'informer' } }) }),
        ),
      );
      const createdAt = Date.now();
      const createMs = createdAt - started;
      await until(
        () => informer.list().length,
        (n) => n === 200,
        'the informer to hold 200 pods',
        30_000,
        50,
      );
      const allInCacheMs = Date.now() - createdAt;
      // The cache converges on the server's objects, at their latest versions (status changes too).
      const listed = await until(
        async () => ({ cache: versions(informer.list()), server: versions(await serverPods()) }),
        ({ cache, server }) => cache === server,
        "the informer's cache to match the server's list",
        45_000,
        500,
      );
      expect(JSON.parse(listed.server)).toHaveLength(200);

      const matchedMs = Date.now() - createdAt;
      const phases: Record<string, number> = {};
      for (const p of informer.list())
        phases[p.status?.phase ?? '?'] = (phases[p.status?.phase ?? '?'] ?? 0) + 1;
      const deleting = Date.now();
      const deleteCalls: number[] = [];
      await inBatches(names, 20, (name) =>
        timed(deleteCalls, () => core.deleteNamespacedPod({ name, namespace })),
      );
      const deleteMs = Date.now() - deleting;
      await until(
        async () => ({ cache: informer.list().length, server: (await serverPods()).length }),
        ({ cache, server }) => cache === 0 && server === 0,
        'the pods to be gone from the server and the cache',
        60_000,
        500,
      );
      expect(errors).toEqual([]);
      const informerInvocations = watchInvocations() - before - ourLists;
      console.log(
        `informer: 200 creates + deletes in ${Date.now() - started} ms (POSTs ${createMs} ms, all 200 in cache ${allInCacheMs} ms after the last POST, ` +
          `cache = server list ${matchedMs} ms after it; DELETEs ${deleteMs} ms, all gone ${Date.now() - deleting - deleteMs} ms after the last); ` +
          `per call p50/max: POST ${spread(createCalls)}, DELETE ${spread(deleteCalls)}; phases then ${JSON.stringify(phases)}; watch requests ${watchRequests()}, lists ${lists}; watch-function invocations by the informer ${informerInvocations} ` +
          `(+${ourLists} lists by the test)`,
      );
      expect(lists).toBe(1);
      expect(watchRequests()).toBeGreaterThanOrEqual(1);
      expect(watchRequests()).toBeLessThanOrEqual(3);
      expect(informerInvocations).toBeLessThanOrEqual(10);
    } finally {
      await informer.stop();
    }
  }, 180_000);

  it('answers a stale resourceVersion with one 410 Expired ERROR event, and an informer relists and recovers', async () => {
    const namespace = 'stale';
    await createNamespace(namespace);
    for (const name of ['s-1', 's-2', 's-3']) await createPod(namespace, pod(name));

    const stale = staleResourceVersion();
    const raw = openWatch(plane, `/api/v1/namespaces/${namespace}/pods?watch=1&resourceVersion=${stale}`);
    const response = await raw.response;
    expect(response.status).toBe(200);
    const ended = await Promise.race([
      raw.done,
      new Promise((r) => setTimeout(() => r('still open'), 5_000)),
    ]);
    expect(ended).toBeUndefined();
    expect(raw.text().trim().split('\n')).toHaveLength(1);
    expect(raw.events).toEqual([
      expect.objectContaining({
        type: 'ERROR',
        object: expect.objectContaining({ kind: 'Status', status: 'Failure', code: 410, reason: 'Expired' }),
      }),
    ]);
    const rawEndMs = (raw.endedAt() ?? 0) - response.at;

    // client-node's Watch: the ERROR event to the callback, then done without an error.
    const { config, core, watchRequests } = clientConfig();
    const seen: unknown[] = [];
    const doneWith = await new Promise<unknown>((resolve) => {
      void new Watch(config).watch(
        `/api/v1/namespaces/${namespace}/pods`,
        { resourceVersion: stale },
        (type, object) => seen.push([type, object.code, object.reason]),
        resolve,
      );
    });
    expect(seen).toEqual([['ERROR', 410, 'Expired']]);
    expect(doneWith).toBeNull();

    // An informer whose first list hands it a stale version: the 410 makes it list again.
    let lists = 0;
    const informer = makeInformer(
      config,
      `/api/v1/namespaces/${namespace}/pods`,
      async (): Promise<V1PodList> => {
        lists += 1;
        const list = await core.listNamespacedPod({ namespace });
        return lists === 1 ? { ...list, metadata: { ...list.metadata, resourceVersion: stale } } : list;
      },
    );
    const errors: unknown[] = [];
    informer.on('error', (error) => errors.push(error));
    const watchesBefore = watchRequests();
    await informer.start();
    try {
      await until(
        () => ({ lists, watches: watchRequests() - watchesBefore }),
        (n) => n.lists === 2 && n.watches === 2,
        'the informer to list again after the 410 and watch from there',
      );
      await createPod(namespace, pod('late'));
      await until(
        () =>
          informer
            .list()
            .map((p) => p.metadata?.name)
            .sort(),
        (names) => names.join() === 's-1,s-2,s-3,late'.split(',').sort().join(),
        'the recovered informer to see a pod created after it recovered',
      );
      expect(errors).toEqual([]);
      expect(lists).toBe(2);
      expect(watchRequests() - watchesBefore).toBe(2);
      console.log(`stale resourceVersion: raw stream ended ${rawEndMs} ms after its headers`);
    } finally {
      await informer.stop();
    }
  }, 90_000);
});

describe('raw watch requests', () => {
  it('answers bad watch and follow queries with a 400 Status at once, and starts no watch', async () => {
    await createNamespace('bad');
    await createPod('bad', pod('b'));
    const cases = [
      ['/api/v1/namespaces/bad/pods?watch=1&timeoutSeconds=-1', /timeoutSeconds/],
      ['/api/v1/namespaces/bad/pods?watch=1&resourceVersion=abc', /abc/],
      ['/api/v1/namespaces/bad/pods?watch=1&fieldSelector=spec.bogus%3Dx', /spec\.bogus/],
      ['/api/v1/namespaces/bad/pods/b/log?follow=maybe', /maybe/],
      ['/api/v1/namespaces/bad/pods?watch=maybe', /maybe/],
    ] as const;
    const timings: string[] = [];
    const started = Date.now();
    for (const [path, mentions] of cases) {
      const reply = await api(plane, 'GET', path);
      expect(reply.status, `${path}: ${reply.body}`).toBe(400);
      const status = reply.json();
      expect(status, path).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 400 });
      expect(String(status.message), path).toMatch(mentions);
      expect(reply.ms, path).toBeLessThan(3_000);
      timings.push(`${path.split('?')[1]} ${reply.ms} ms (${status.reason}: ${status.message})`);
    }
    // Nothing kept polling for these requests.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(feedQueriesSince(started)).toEqual([]);
    console.log(`bad input:\n  ${timings.join('\n  ')}`);
  });

  it('streams an ADDED event promptly over a chunked response, and ends at timeoutSeconds', async () => {
    const namespace = 'stream';
    await createNamespace(namespace);
    const list = await api(plane, 'GET', `/api/v1/namespaces/${namespace}/pods`);
    const resourceVersion = list.json<V1PodList>().metadata?.resourceVersion;
    expect(resourceVersion).toMatch(/^\d+$/);
    const watch = openWatch(
      plane,
      `/api/v1/namespaces/${namespace}/pods?watch=1&resourceVersion=${resourceVersion}&timeoutSeconds=60`,
    );
    try {
      const response = await watch.response;
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('application/json');
      expect(response.headers['content-length']).toBeUndefined();
      expect(response.headers['transfer-encoding']).toBe('chunked');

      const posted = await createPod(namespace, pod('fresh'));
      const firstEventOf = (name: string) =>
        until(
          () => watch.events.find((e) => e.object?.metadata?.name === name),
          (event) => event !== undefined,
          `an event for ${name}`,
          10_000,
          10,
        );
      const added = await firstEventOf('fresh');
      expect(added).toMatchObject({
        type: 'ADDED',
        object: { kind: 'Pod', metadata: { namespace, name: 'fresh' } },
      });
      expect(watch.events[0]).toBe(added);
      // It came while the response was still open: streamed, not buffered until the end.
      expect(watch.endedAt()).toBeUndefined();
      expect(watch.firstByteAt()).toBeLessThanOrEqual(added?.at ?? 0);
      // A few more, POSTed at different moments of the watch's 250 ms poll cycle, for the latency figures.
      const latencies = [(added?.at ?? 0) - posted];
      for (const [i, pause] of [310, 370, 430, 490].entries()) {
        await new Promise((r) => setTimeout(r, pause));
        const at = await createPod(namespace, pod(`fresh-${i}`));
        const event = await firstEventOf(`fresh-${i}`);
        expect(event?.type).toBe('ADDED');
        latencies.push((event?.at ?? 0) - at);
      }
      expect(watch.endedAt()).toBeUndefined();
      console.log(`watch latency: ADDED arrived ${latencies.join(', ')} ms after the POSTs' responses`);
    } finally {
      watch.request.destroy();
    }

    // A watch without a resourceVersion starts with the objects now, and ends at its timeoutSeconds.
    const timed = openWatch(plane, `/api/v1/namespaces/${namespace}/pods?watch=1&timeoutSeconds=2`);
    const headers = await timed.response;
    expect(await timed.done).toBeUndefined();
    const lasted = (timed.endedAt() ?? 0) - headers.at;
    expect(timed.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'fresh' } } });
    expect(lasted).toBeGreaterThanOrEqual(1_500);
    expect(lasted).toBeLessThan(10_000);
    console.log(`timeoutSeconds=2 watch lasted ${lasted} ms`);
  }, 60_000);

  it('stops the server-side watch soon after its client disconnects', async () => {
    const namespace = 'leave';
    await createNamespace(namespace);
    const before = watchInvocations();
    const watch = openWatch(plane, `/api/v1/namespaces/${namespace}/pods?watch=1`);
    expect((await watch.response).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(watchInvocations() - before).toBe(1);
    // While the client is there the watch polls the change index (every 250 ms); no other watch is open.
    const opened = Date.now() - 1_000;
    expect(feedQueriesSince(opened).length).toBeGreaterThanOrEqual(2);
    const left = Date.now();
    watch.request.destroy();
    await until(
      () => feedQueriesSince(opened).at(-1)?.at ?? 0,
      (last) => Date.now() - last > 1_500,
      'the watch to stop polling',
      15_000,
      100,
    );
    const lastQuery = feedQueriesSince(opened).at(-1)?.at ?? 0;
    expect(lastQuery - left).toBeLessThan(3_000);
    // Every watch this file opened has ended: kubectl's (killed), the informers' (stopped), the raw ones.
    const quietSince = Date.now();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(changeQueries.filter((q) => q.at >= quietSince)).toEqual([]);
    console.log(
      `disconnect: last change-index query ${lastQuery - left} ms after the client left; ` +
        `${changeQueries.length} change-index queries in the file, by partition ${JSON.stringify(
          Object.fromEntries(
            [...new Set(changeQueries.map((q) => q.pk))].map((pk) => [
              pk,
              changeQueries.filter((q) => q.pk === pk).length,
            ]),
          ),
        )}`,
    );
  }, 60_000);
});
