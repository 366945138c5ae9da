import type { ContainerStatus, Event, Pod } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import { call, eventually, hasKubectl, kubectlFor, useControlPlane } from './control-plane';

/**
 * Restart policies, back-off, probes and image pulls, driven through the ECS simulator's
 * annotations on a control plane whose clock runs 100 times fast: a 10 s back-off takes 100 ms,
 * `exit-after: 11m` 6.6 s. Delays are asserted in simulated seconds (the back-off messages) and,
 * as lower bounds, in real time.
 */
const timeScale = 0.01;
const plane = useControlPlane('podplane-restarts-', ['--nodes', '2', '--time-scale', String(timeScale)]);

const podsPath = '/api/v1/namespaces/default/pods';

interface PodSpecOptions {
  readonly restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  readonly annotations: Record<string, string>;
  readonly container?: Record<string, unknown>;
}

async function createPod(name: string, options: PodSpecOptions): Promise<void> {
  const created = await call(plane, 'POST', podsPath, {
    body: JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, annotations: options.annotations },
      spec: {
        ...(options.restartPolicy ? { restartPolicy: options.restartPolicy } : {}),
        containers: [{ name: 'app', image: 'busybox:1.36', ...options.container }],
      },
    }),
  });
  expect(created.status, created.body).toBe(201);
}

const getPod = async (name: string) => (await call(plane, 'GET', `${podsPath}/${name}`)).json<Pod>();
const app = (pod: Pod): ContainerStatus | undefined => pod.status?.containerStatuses?.[0];

/**
 * Every distinct status a pod shows, polled back to back (a 10 s back-off lasts 100 ms here),
 * with when it was first seen.
 */
async function watchPod(
  name: string,
  until: (pod: Pod) => boolean,
  timeoutMs = 20_000,
): Promise<{ at: number; pod: Pod }[]> {
  const seen: { at: number; pod: Pod }[] = [];
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const pod = await getPod(name);
    const key = JSON.stringify(pod.status);
    if (key !== last) seen.push({ at: Date.now(), pod });
    last = key;
    if (until(pod)) return seen;
    if (Date.now() > deadline)
      throw new Error(`timed out watching pod ${name}; last saw ${key.slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The back-offs seen, in order, must be the expected ones in order, ending with the last: a
 * short one may pass between two polls on a loaded machine, the state the watch stopped at not.
 */
function expectBackOffs(seen: { pod: Pod }[], expected: string[]): void {
  const observed = backOffMessages(seen);
  expect(observed.at(-1)).toBe(expected.at(-1));
  let next = 0;
  for (const message of observed) {
    const at = expected.indexOf(message ?? '', next);
    expect(at, `${message} out of order in ${JSON.stringify(observed)}`).toBeGreaterThanOrEqual(0);
    next = at + 1;
  }
}

const backOffMessages = (seen: { pod: Pod }[]) => [
  ...new Set(
    seen
      .flatMap(({ pod }) => app(pod)?.state?.waiting?.message ?? [])
      .map((m) => /back-off \d+s/.exec(m)?.[0]),
  ),
];

async function podEvents(name: string): Promise<Event[]> {
  const list = (await call(plane, 'GET', '/api/v1/namespaces/default/events')).json<{ items: Event[] }>();
  return list.items.filter((e) => e.involvedObject.name === name);
}

describe('restart policy and back-off', () => {
  it('restarts a container that exits 1 under Always: CrashLoopBackOff, growing restarts, doubling back-off', async () => {
    await createPod('crasher', {
      annotations: { 'sim.podplane.dev/exit-after': '2s', 'sim.podplane.dev/exit-code': '1' },
    });
    const seen = await watchPod('crasher', (pod) => (app(pod)?.restartCount ?? 0) >= 4);
    const waiting = seen
      .map(({ pod }) => app(pod)?.state?.waiting)
      .filter((w) => w?.reason === 'CrashLoopBackOff');
    expect(waiting[0]?.message).toMatch(
      /^back-off 10s restarting failed container=app pod=crasher_default\(/,
    );
    expectBackOffs(seen, ['back-off 10s', 'back-off 20s', 'back-off 40s', 'back-off 80s']);
    const counts = seen.map(({ pod }) => app(pod)?.restartCount ?? 0);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    const last = app(seen.at(-1)?.pod ?? {});
    expect(last?.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(seen.at(-1)?.pod.status?.phase).toBe('Running');

    // Real time between a crash and the next one is that back-off, scaled, or more (less a
    // poll's lag in seeing the earlier crash).
    const firstAt = (count: number) => seen.find(({ pod }) => app(pod)?.restartCount === count)?.at ?? 0;
    expect(firstAt(3) - firstAt(2)).toBeGreaterThanOrEqual(20_000 * timeScale * 0.75);
    expect(firstAt(4) - firstAt(3)).toBeGreaterThanOrEqual(40_000 * timeScale * 0.75);

    const backOffs = (await podEvents('crasher')).filter((e) => e.reason === 'BackOff');
    expect(backOffs.length).toBeGreaterThanOrEqual(3);
    expect(backOffs[0]?.message).toMatch(
      /^Back-off restarting failed container app in pod crasher_default\(/,
    );

    // A pod deleted while it backs off has no task to stop: it goes at once.
    expect((await call(plane, 'DELETE', `${podsPath}/crasher`)).status).toBe(200);
    await eventually(
      async () => (await call(plane, 'GET', `${podsPath}/crasher`)).status,
      (status) => status === 404,
      'crasher to be gone',
    );
  });

  it('lets a container that exits 0 under OnFailure finish: Succeeded, no restart', async () => {
    await createPod('job-ok', {
      restartPolicy: 'OnFailure',
      annotations: { 'sim.podplane.dev/exit-after': '1s', 'sim.podplane.dev/exit-code': '0' },
    });
    const seen = await watchPod('job-ok', (pod) => ['Succeeded', 'Failed'].includes(pod.status?.phase ?? ''));
    const done = seen.at(-1)?.pod ?? {};
    expect(done.status?.phase).toBe('Succeeded');
    expect(app(done)).toMatchObject({
      restartCount: 0,
      state: { terminated: { exitCode: 0, reason: 'Completed' } },
    });
  });

  it("restarts a container that exits 1 under OnFailure, and serves the previous run's logs", async () => {
    await createPod('job-retry', {
      restartPolicy: 'OnFailure',
      annotations: {
        'sim.podplane.dev/exit-after': '1s',
        'sim.podplane.dev/exit-code': '1',
        'sim.podplane.dev/logs': 'connecting to db\nconnection refused',
      },
    });
    const seen = await watchPod(
      'job-retry',
      (pod) => (app(pod)?.restartCount ?? 0) >= 2 && app(pod)?.state?.waiting?.reason === 'CrashLoopBackOff',
    );
    expect(seen.at(-1)?.pod.status?.phase).toBe('Running');
    const previous = await call(plane, 'GET', `${podsPath}/job-retry/log?previous=true`);
    expect(previous.status).toBe(200);
    expect(previous.body).toBe('connecting to db\nconnection refused\n');
  });

  it('fails a pod whose container exits 1 under Never, with the exit code', async () => {
    await createPod('once', {
      restartPolicy: 'Never',
      annotations: { 'sim.podplane.dev/exit-after': '1s', 'sim.podplane.dev/exit-code': '1' },
    });
    const seen = await watchPod('once', (pod) => ['Succeeded', 'Failed'].includes(pod.status?.phase ?? ''));
    const done = seen.at(-1)?.pod ?? {};
    expect(done.status?.phase).toBe('Failed');
    expect(app(done)).toMatchObject({
      restartCount: 0,
      state: { terminated: { exitCode: 1, reason: 'Error' } },
    });
    expect(seen.some(({ pod }) => app(pod)?.state?.waiting?.reason === 'CrashLoopBackOff')).toBe(false);
    const previous = await call(plane, 'GET', `${podsPath}/once/log?previous=true`);
    expect(previous.status).toBe(400);
    expect(previous.json()).toMatchObject({
      kind: 'Status',
      message: 'previous terminated container "app" in pod "once" not found',
    });
  });

  it('starts the back-off afresh after a run of more than 10 minutes', async () => {
    await createPod('long-runner', {
      annotations: { 'sim.podplane.dev/exit-after': '11m', 'sim.podplane.dev/exit-code': '1' },
    });
    await createPod('short-runner', {
      annotations: { 'sim.podplane.dev/exit-after': '1m', 'sim.podplane.dev/exit-code': '1' },
    });
    const [long, short] = await Promise.all([
      // Each of its back-offs lasts 100 ms: wait until one is seen, after the second run at least.
      watchPod(
        'long-runner',
        (pod) =>
          (app(pod)?.restartCount ?? 0) >= 2 && app(pod)?.state?.waiting?.reason === 'CrashLoopBackOff',
        40_000,
      ),
      watchPod('short-runner', (pod) => (app(pod)?.restartCount ?? 0) >= 3, 40_000),
    ]);
    expect(backOffMessages(long)).toEqual(['back-off 10s']);
    expectBackOffs(short, ['back-off 10s', 'back-off 20s', 'back-off 40s']);
  });
});

describe('activeDeadlineSeconds', () => {
  it('fails a pod, crash-looping or not, once it has been active longer than its deadline', async () => {
    for (const [name, annotations] of [
      ['deadline-running', {}],
      ['deadline-crashing', { 'sim.podplane.dev/exit-after': '5s', 'sim.podplane.dev/exit-code': '1' }],
    ] as const) {
      const created = await call(plane, 'POST', podsPath, {
        body: JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, annotations },
          spec: { activeDeadlineSeconds: 120, containers: [{ name: 'app', image: 'busybox:1.36' }] },
        }),
      });
      expect(created.status, created.body).toBe(201);
    }
    // Watched together from creation: the deadline is 1.2 s here.
    const [running, crashing] = await Promise.all(
      ['deadline-running', 'deadline-crashing'].map((name) =>
        watchPod(name, (pod) => pod.status?.phase === 'Failed'),
      ),
    );
    for (const seen of [running ?? [], crashing ?? []])
      expect(seen.at(-1)?.pod.status).toMatchObject({ phase: 'Failed', reason: 'DeadlineExceeded' });
    expect(running?.some(({ pod }) => app(pod)?.state?.running)).toBe(true);
    // The crash loop was under way when the deadline ended it.
    expect(app(crashing?.at(-1)?.pod ?? {})?.restartCount).toBeGreaterThanOrEqual(1);
    const events = await podEvents('deadline-running');
    expect(events.find((e) => e.reason === 'DeadlineExceeded')?.message).toBe(
      'Pod was active on the node longer than the specified deadline',
    );
  });
});

describe('probes', () => {
  it('restarts a container whose liveness probe fails, and says why', async () => {
    await createPod('unhealthy', {
      annotations: { 'sim.podplane.dev/unhealthy-after': '15s' },
      container: { livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] } } },
    });
    const seen = await watchPod('unhealthy', (pod) => (app(pod)?.restartCount ?? 0) >= 1);
    expect(seen.some(({ pod }) => app(pod)?.state?.running)).toBe(true);
    expect(app(seen.at(-1)?.pod ?? {})?.lastState?.terminated).toBeDefined();
    const events = await podEvents('unhealthy');
    expect(events.find((e) => e.reason === 'Killing')?.message).toBe(
      'Container app failed liveness probe, will be restarted',
    );
    expect(events.some((e) => e.reason === 'Unhealthy' && e.type === 'Warning')).toBe(true);
  });

  it('marks a container whose readiness probe fails not ready, and keeps it Running', async () => {
    await createPod('not-ready', {
      annotations: { 'sim.podplane.dev/unhealthy-after': '30s' },
      container: { readinessProbe: { exec: { command: ['cat', '/tmp/ready'] } } },
    });
    let wasReady = false;
    const seen = await watchPod('not-ready', (pod) => {
      if (app(pod)?.ready) wasReady = true;
      return wasReady && app(pod)?.ready === false;
    });
    const last = seen.at(-1)?.pod ?? {};
    expect(last.status?.phase).toBe('Running');
    expect(app(last)).toMatchObject({ ready: false, restartCount: 0, state: { running: {} } });
    expect(last.status?.conditions?.find((c) => c.type === 'ContainersReady')?.status).toBe('False');
    expect(seen.some(({ pod }) => app(pod)?.ready === true)).toBe(true);
  });
});

describe('image pulls', () => {
  it('shows ErrImagePull, then ImagePullBackOff, and pulls again after the back-off', async () => {
    await createPod('no-image', { annotations: { 'sim.podplane.dev/image-pull-error': 'true' } });
    const reasons: string[] = [];
    const seen = await watchPod('no-image', (pod) => {
      const reason = app(pod)?.state?.waiting?.reason;
      if (reason && reason !== reasons.at(-1)) reasons.push(reason);
      return reasons.filter((r) => r === 'ImagePullBackOff').length >= 2;
    });
    // ErrImagePull shows for a moment (10 ms at this time scale), so it may be missed between polls.
    expect(
      reasons.filter((r) => !['ContainerCreating', 'ErrImagePull', 'ImagePullBackOff'].includes(r)),
    ).toEqual([]);
    const last = seen.at(-1)?.pod ?? {};
    expect(last.status?.phase).toBe('Pending');
    expect(app(last)).toMatchObject({
      restartCount: 0,
      state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "busybox:1.36"' } },
    });
    const events = await podEvents('no-image');
    const failedPulls = events.filter((e) => e.reason === 'Failed');
    expect(failedPulls.length).toBeGreaterThanOrEqual(2);
    expect(failedPulls[0]?.message).toMatch(/^Failed to pull image "busybox:1.36": CannotPullContainerError/);
    expect(
      events.some((e) => e.reason === 'BackOff' && e.message === 'Back-off pulling image "busybox:1.36"'),
    ).toBe(true);
  });
});

describe('kubectl', () => {
  const { status: kubectl } = kubectlFor(plane, { cacheDir: false });

  it.skipIf(!hasKubectl)(
    'shows CrashLoopBackOff and a growing RESTARTS column for examples/crashloop.yaml',
    async () => {
      expect(kubectl('apply', '-f', 'examples/crashloop.yaml').stdout.trim()).toBe('pod/crashloop created');
      // NAME READY STATUS RESTARTS [(age ago)] AGE
      const row = () => {
        const [, ready, status, restarts] = kubectl('get', 'pod', 'crashloop', '--no-headers')
          .stdout.trim()
          .split(/\s+/);
        return { ready, status, restarts: Number(restarts) };
      };
      const first = await eventually(
        async () => row(),
        (r) => r.status === 'CrashLoopBackOff' && r.restarts >= 2,
        'kubectl to show CrashLoopBackOff',
      );
      expect(first.ready).toBe('0/1');
      const later = await eventually(
        async () => row(),
        (r) => r.status === 'CrashLoopBackOff' && r.restarts > first.restarts,
        'RESTARTS to grow',
      );
      expect(later.restarts).toBeGreaterThan(first.restarts);
    },
  );

  it.skipIf(!hasKubectl)('prints how the probes of examples/probes.yaml run, as a warning', () => {
    const applied = kubectl('apply', '-f', 'examples/probes.yaml');
    expect(applied.stdout.trim()).toBe('pod/probed created');
    expect(applied.stderr).toContain(
      'Warning: spec.containers[0].readinessProbe: ECS runs one health check per container; it runs the livenessProbe, and readiness follows that check',
    );
  });
});
