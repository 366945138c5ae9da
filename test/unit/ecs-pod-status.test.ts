import { describe, expect, it } from 'vitest';
import { podStatusFromTask, probeKillReason } from '../../functions/core/ecs/pod-status';
import type { ContainerView, TaskView } from '../../functions/core/ecs/types';
import type { Container, Pod, PodCondition, PodStatus } from '../../functions/core/k8s';

// What the kubelet reports (pkg/kubelet/status/generate.go and kubelet_pods.go), read off an
// ECS task: Pending with waiting ContainerCreating until the containers run; Running and ready
// while they run (not ready if unhealthy); once stopped, Succeeded if every container exited 0,
// Failed otherwise, with terminated reasons Completed / Error / OOMKilled; an image that cannot
// be pulled leaves the container waiting with ErrImagePull.

const now = '2026-03-01T12:00:10Z';
const taskArn = 'arn:aws:ecs:eu-west-1:123456789012:task/podplane/0f3c6d1e2b7a4c59a1d2e3f4a5b6c7d8';

const pod = (
  containers: Container[] = [{ name: 'app', image: 'nginx:1.27' }],
  extra: Partial<Pod> = {},
): Pod => ({
  metadata: { name: 'web', namespace: 'default', uid: 'u-1' },
  spec: { nodeName: 'i-0abc', restartPolicy: 'Never', containers },
  status: {
    phase: 'Pending',
    qosClass: 'BestEffort',
    conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-03-01T12:00:00Z' }],
  },
  ...extra,
});

const task = (lastStatus: string, containers: ContainerView[], extra: Partial<TaskView> = {}): TaskView => ({
  taskArn,
  lastStatus,
  createdAt: '2026-03-01T12:00:01Z',
  containers,
  ...extra,
});

const condition = (status: PodStatus, type: string): PodCondition | undefined =>
  status.conditions?.find((c) => c.type === type);

describe('podStatusFromTask', () => {
  it.each(['PROVISIONING', 'PENDING', 'ACTIVATING'])(
    'reports a %s task as Pending with ContainerCreating',
    (state) => {
      const status = podStatusFromTask(pod(), task(state, [{ name: 'app', lastStatus: 'PENDING' }]), now);
      expect(status.phase).toBe('Pending');
      expect(status.containerStatuses).toEqual([
        expect.objectContaining({
          name: 'app',
          image: 'nginx:1.27',
          ready: false,
          started: false,
          restartCount: 0,
          state: { waiting: { reason: 'ContainerCreating' } },
        }),
      ]);
      expect(condition(status, 'Ready')).toMatchObject({
        status: 'False',
        reason: 'ContainersNotReady',
        message: 'containers with unready status: [app]',
      });
    },
  );

  it('reports a RUNNING task as Running and ready, with the pod IP from the container', () => {
    const running = task(
      'RUNNING',
      [{ name: 'app', lastStatus: 'RUNNING', privateIpv4Address: '10.0.1.23' }],
      {
        startedAt: '2026-03-01T12:00:05Z',
      },
    );
    const status = podStatusFromTask(pod(), running, now);
    expect(status.phase).toBe('Running');
    expect(status.podIP).toBe('10.0.1.23');
    expect(status.podIPs).toEqual([{ ip: '10.0.1.23' }]);
    expect(status.containerStatuses).toEqual([
      expect.objectContaining({
        name: 'app',
        ready: true,
        started: true,
        state: { running: { startedAt: '2026-03-01T12:00:05Z' } },
      }),
    ]);
  });

  it("keeps the node's address the kubelet wrote as hostIP, whatever the task's own address", () => {
    const onNode = pod(undefined, {
      status: { ...pod().status, hostIP: '172.31.0.5', hostIPs: [{ ip: '172.31.0.5' }] },
    });
    const first = task('RUNNING', [{ name: 'app', lastStatus: 'RUNNING', privateIpv4Address: '10.0.1.23' }]);
    const status = podStatusFromTask(onNode, first, now);
    expect(status).toMatchObject({
      hostIP: '172.31.0.5',
      hostIPs: [{ ip: '172.31.0.5' }],
      podIP: '10.0.1.23',
    });
    const next = task('RUNNING', [{ name: 'app', lastStatus: 'RUNNING', privateIpv4Address: '10.0.1.99' }]);
    expect(podStatusFromTask({ ...onNode, status }, next, now).hostIP).toBe('172.31.0.5');
  });

  it("makes a pod whose node has no address (Fargate) its own host: hostIP is its task's address", () => {
    const first = task('RUNNING', [{ name: 'app', lastStatus: 'RUNNING', privateIpv4Address: '10.0.1.23' }]);
    const status = podStatusFromTask(pod(), first, now);
    expect(status).toMatchObject({ hostIP: '10.0.1.23', hostIPs: [{ ip: '10.0.1.23' }] });
    // The next task of a restarted pod has a new network interface; hostIP follows it.
    const next = task('RUNNING', [{ name: 'app', lastStatus: 'RUNNING', privateIpv4Address: '10.0.2.7' }]);
    expect(podStatusFromTask({ ...pod(), status }, next, now)).toMatchObject({
      podIP: '10.0.2.7',
      hostIP: '10.0.2.7',
    });
  });

  it('leaves hostIP unset while neither the node nor the task has an address (EC2 bridge mode)', () => {
    const status = podStatusFromTask(pod(), task('RUNNING', [{ name: 'app', lastStatus: 'RUNNING' }]), now);
    expect(status).not.toHaveProperty('hostIP');
    expect(status).not.toHaveProperty('hostIPs');
  });

  it('sets the four pod conditions for a running pod', () => {
    const status = podStatusFromTask(pod(), task('RUNNING', [{ name: 'app', lastStatus: 'RUNNING' }]), now);
    expect(Object.fromEntries((status.conditions ?? []).map((c) => [c.type, c.status]))).toEqual({
      PodScheduled: 'True',
      Initialized: 'True',
      ContainersReady: 'True',
      Ready: 'True',
    });
  });

  it('keeps PodScheduled.lastTransitionTime and stamps the conditions that changed', () => {
    const status = podStatusFromTask(pod(), task('RUNNING', [{ name: 'app', lastStatus: 'RUNNING' }]), now);
    expect(condition(status, 'PodScheduled')?.lastTransitionTime).toBe('2026-03-01T12:00:00Z');
    expect(condition(status, 'Ready')?.lastTransitionTime).toBe(now);
  });

  it('reports an UNHEALTHY container as running but not ready', () => {
    const status = podStatusFromTask(
      pod(),
      task('RUNNING', [{ name: 'app', lastStatus: 'RUNNING', healthStatus: 'UNHEALTHY' }]),
      now,
    );
    expect(status.phase).toBe('Running');
    expect(status.containerStatuses?.[0]).toMatchObject({ ready: false, state: { running: {} } });
    expect(condition(status, 'ContainersReady')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
    });
    expect(condition(status, 'Ready')).toMatchObject({
      status: 'False',
      message: 'containers with unready status: [app]',
    });
  });

  it('lists every unready container, space-separated, in the Ready message', () => {
    const status = podStatusFromTask(
      pod([
        { name: 'app', image: 'a' },
        { name: 'cache', image: 'b' },
        { name: 'proxy', image: 'c' },
      ]),
      task('RUNNING', [
        { name: 'app', lastStatus: 'RUNNING', healthStatus: 'UNHEALTHY' },
        { name: 'cache', lastStatus: 'RUNNING', healthStatus: 'HEALTHY' },
        { name: 'proxy', lastStatus: 'PENDING' },
      ]),
      now,
    );
    expect(condition(status, 'Ready')?.message).toBe('containers with unready status: [app proxy]');
  });

  it('reports a task whose containers all exited 0 as Succeeded / Completed', () => {
    const status = podStatusFromTask(
      pod(),
      task('STOPPED', [{ name: 'app', lastStatus: 'STOPPED', exitCode: 0 }], {
        startedAt: '2026-03-01T12:00:05Z',
        stoppedAt: '2026-03-01T12:00:09Z',
        stopCode: 'EssentialContainerExited',
      }),
      now,
    );
    expect(status.phase).toBe('Succeeded');
    expect(status.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
      startedAt: '2026-03-01T12:00:05Z',
      finishedAt: '2026-03-01T12:00:09Z',
    });
    expect(condition(status, 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect(condition(status, 'ContainersReady')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
  });

  it('reports a container that exited 1 as Failed / Error with its exit code', () => {
    const status = podStatusFromTask(
      pod(),
      task('STOPPED', [{ name: 'app', lastStatus: 'STOPPED', exitCode: 1 }], {
        stopCode: 'EssentialContainerExited',
      }),
      now,
    );
    expect(status.phase).toBe('Failed');
    expect(status.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
  });

  it('reports a pod as Failed when any one container failed', () => {
    const status = podStatusFromTask(
      pod([
        { name: 'app', image: 'a' },
        { name: 'side', image: 'b' },
      ]),
      task('STOPPED', [
        { name: 'app', lastStatus: 'STOPPED', exitCode: 0 },
        { name: 'side', lastStatus: 'STOPPED', exitCode: 2 },
      ]),
      now,
    );
    expect(status.phase).toBe('Failed');
  });

  it('reports an ECS OutOfMemoryError as OOMKilled', () => {
    const status = podStatusFromTask(
      pod(),
      task('STOPPED', [
        {
          name: 'app',
          lastStatus: 'STOPPED',
          exitCode: 137,
          reason: 'OutOfMemoryError: Container killed due to memory usage',
        },
      ]),
      now,
    );
    expect(status.phase).toBe('Failed');
    expect(status.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 137,
      reason: 'OOMKilled',
    });
  });

  it('reports a CannotPullContainerError as a container waiting with ErrImagePull', () => {
    const reason =
      'CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref docker.io/library/nginx:nope: not found';
    const status = podStatusFromTask(
      pod(),
      task('STOPPED', [{ name: 'app', lastStatus: 'STOPPED', reason }], {
        stopCode: 'TaskFailedToStart',
        stoppedReason: reason,
      }),
      now,
    );
    expect(status.containerStatuses?.[0]?.state).toEqual({
      waiting: { reason: 'ErrImagePull', message: reason },
    });
    expect(status.containerStatuses?.[0]?.ready).toBe(false);
  });

  // The kubelet keeps retrying a pull (ErrImagePull, then ImagePullBackOff); the pod stays
  // Pending. A pull error never makes a pod Failed.
  it('keeps a pod whose image cannot be pulled Pending', () => {
    const reason = 'CannotPullContainerError: failed to resolve ref docker.io/library/nginx:nope: not found';
    const status = podStatusFromTask(
      pod(),
      task('STOPPED', [{ name: 'app', lastStatus: 'STOPPED', reason }], { stoppedReason: reason }),
      now,
    );
    expect(status.phase).toBe('Pending');
  });

  // generateContainersReadyConditionForTerminalPhase: a Failed pod's ContainersReady and Ready
  // are False with reason PodFailed (and no per-container message).
  it('gives a Failed pod Ready False with reason PodFailed', () => {
    const status = podStatusFromTask(
      pod(),
      task('STOPPED', [{ name: 'app', lastStatus: 'STOPPED', exitCode: 1 }]),
      now,
    );
    expect(condition(status, 'Ready')).toMatchObject({ status: 'False', reason: 'PodFailed' });
    expect(condition(status, 'ContainersReady')).toMatchObject({ status: 'False', reason: 'PodFailed' });
  });

  // GeneratePodInitializedCondition: until the init containers have completed, Initialized is
  // False with reason ContainersNotInitialized.
  it('keeps Initialized False while the init containers have not run', () => {
    const p = pod([{ name: 'app', image: 'a' }]);
    const withInit: Pod = {
      ...p,
      spec: {
        ...p.spec,
        containers: p.spec?.containers ?? [],
        initContainers: [{ name: 'migrate', image: 'm' }],
      },
    };
    const status = podStatusFromTask(
      withInit,
      task('PENDING', [
        { name: 'migrate', lastStatus: 'PENDING' },
        { name: 'app', lastStatus: 'PENDING' },
      ]),
      now,
    );
    expect(condition(status, 'Initialized')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotInitialized',
    });
  });

  it('keeps startTime from the first report and the existing qosClass', () => {
    const first = podStatusFromTask(pod(), task('PENDING', [{ name: 'app' }]), now);
    expect(first.startTime).toBe('2026-03-01T12:00:01Z');
    expect(first.qosClass).toBe('BestEffort');
    const later = podStatusFromTask(
      { ...pod(), status: first },
      task('RUNNING', [{ name: 'app', lastStatus: 'RUNNING' }], { createdAt: '2026-03-01T12:09:00Z' }),
      '2026-03-01T12:10:00Z',
    );
    expect(later.startTime).toBe('2026-03-01T12:00:01Z');
  });

  it('gives the same status when the same task is reported twice', () => {
    const running = task('RUNNING', [
      { name: 'app', lastStatus: 'RUNNING', privateIpv4Address: '10.0.1.23' },
    ]);
    const once = podStatusFromTask(pod(), running, now);
    const twice = podStatusFromTask({ ...pod(), status: once }, running, '2026-03-01T12:00:20Z');
    expect(twice).toEqual(once);
  });
});

describe('stop codes', () => {
  const stopped = (stopCode: string, exitCode: number, stoppedReason?: string) =>
    podStatusFromTask(
      pod(),
      task('STOPPED', [{ name: 'app', lastStatus: 'STOPPED', exitCode }], {
        stopCode,
        ...(stoppedReason ? { stoppedReason } : {}),
      }),
      now,
    );

  it('EssentialContainerExited leaves the reason to the container status', () => {
    const status = stopped('EssentialContainerExited', 1, 'Essential container in task exited');
    expect(status.phase).toBe('Failed');
    expect(status.reason).toBeUndefined();
    expect(status.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
  });

  it.each(['SpotInterruption', 'TerminationNotice'])('%s reads as a node shutdown', (code) => {
    expect(stopped(code, 143)).toMatchObject({
      phase: 'Failed',
      reason: 'Terminated',
      message: 'Pod was terminated in response to imminent node shutdown.',
    });
  });

  it.each(['UserInitiated', 'ServiceSchedulerInitiated'])('%s names the stop as outside podplane', (code) => {
    expect(stopped(code, 137, 'Task stopped by user')).toMatchObject({
      phase: 'Failed',
      reason: 'TaskStopped',
      message: 'ECS task stopped outside podplane: Task stopped by user',
    });
  });

  it("gives podplane's own liveness kill no pod-level reason: the container status says it", () => {
    const status = stopped('UserInitiated', 137, probeKillReason('app', 'liveness'));
    expect(status.phase).toBe('Failed');
    expect(status.reason).toBeUndefined();
  });

  it('a stop that ends every container with 0 is Succeeded whatever the code', () => {
    expect(stopped('UserInitiated', 0).phase).toBe('Succeeded');
  });
});
