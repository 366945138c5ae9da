import { describe, expect, it } from 'vitest';
import { podStatusReason, podTable } from '../../functions/core/api/pod-table';
import { podStatusFromTask } from '../../functions/core/ecs/pod-status';
import type { ContainerView, TaskView } from '../../functions/core/ecs/types';
import type { ContainerStatus, Pod, PodStatus } from '../../functions/core/k8s';
import { afterTaskStopped } from '../../functions/core/pod/restart';

// Issue 24: a pod with init containers reports them as the kubelet does (initContainerStatuses,
// the Initialized condition) and kubectl's STATUS column reads them (Init:0/2, Init:Error,
// Init:CrashLoopBackOff, PodInitializing). Init containers are the task's non-essential
// containers the app containers depend on with SUCCESS; ECS reports each one's exit code.

const now = '2026-03-01T12:00:10Z';

const pod = (restartPolicy = 'Never', status: PodStatus = { phase: 'Pending' }): Pod => ({
  metadata: { name: 'web', namespace: 'default', uid: 'u-1', creationTimestamp: '2026-03-01T12:00:00Z' },
  spec: {
    nodeName: 'i-0abc',
    restartPolicy,
    initContainers: [
      { name: 'fetch', image: 'busybox' },
      { name: 'migrate', image: 'flyway' },
    ],
    containers: [{ name: 'app', image: 'nginx' }],
  },
  status,
});

const task = (lastStatus: string, containers: ContainerView[], extra: Partial<TaskView> = {}): TaskView => ({
  taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/podplane/abc',
  lastStatus,
  createdAt: '2026-03-01T12:00:01Z',
  containers,
  ...extra,
});

const states = (statuses: readonly ContainerStatus[] | undefined) =>
  (statuses ?? []).map((s) => ({ [s.name]: s.state }));
const initialized = (status: PodStatus) => status.conditions?.find((c) => c.type === 'Initialized');
const withStatus = (p: Pod, status: PodStatus): Pod => ({ ...p, status });

describe('init containers read off the ECS task', () => {
  it('waits PodInitializing, app containers too, while the first init container has not run', () => {
    const status = podStatusFromTask(pod(), task('PENDING', [{ name: 'fetch', lastStatus: 'PENDING' }]), now);
    expect(states(status.initContainerStatuses)).toEqual([
      { fetch: { waiting: { reason: 'PodInitializing' } } },
      { migrate: { waiting: { reason: 'PodInitializing' } } },
    ]);
    expect(states(status.containerStatuses)).toEqual([{ app: { waiting: { reason: 'PodInitializing' } } }]);
    expect(initialized(status)).toMatchObject({
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: 'containers with incomplete status: [fetch migrate]',
    });
    expect(podStatusReason(withStatus(pod(), status))).toBe('Init:0/2');
  });

  it('counts the finished ones while the next runs: Init:1/2', () => {
    const status = podStatusFromTask(
      pod(),
      task('PENDING', [
        { name: 'fetch', lastStatus: 'STOPPED', exitCode: 0 },
        { name: 'migrate', lastStatus: 'RUNNING' },
      ]),
      now,
    );
    expect(status.initContainerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
    expect(status.initContainerStatuses?.[1]?.state?.running).toBeDefined();
    expect(podStatusReason(withStatus(pod(), status))).toBe('Init:1/2');
  });

  it('reports them Completed and Initialized True once the app containers run', () => {
    const status = podStatusFromTask(
      pod(),
      task(
        'RUNNING',
        [
          { name: 'fetch', lastStatus: 'STOPPED', exitCode: 0 },
          { name: 'migrate', lastStatus: 'STOPPED', exitCode: 0 },
          { name: 'app', lastStatus: 'RUNNING' },
        ],
        { startedAt: '2026-03-01T12:00:05Z' },
      ),
      now,
    );
    expect(status.initContainerStatuses?.map((s) => s.state?.terminated?.reason)).toEqual([
      'Completed',
      'Completed',
    ]);
    expect(status.initContainerStatuses?.every((s) => s.ready && s.restartCount === 0)).toBe(true);
    expect(initialized(status)?.status).toBe('True');
    expect(status.phase).toBe('Running');
    expect(podStatusReason(withStatus(pod(), status))).toBe('Running');
  });

  it('fails the pod with Init:Error when an init container fails and the pod never restarts', () => {
    const status = podStatusFromTask(
      pod(),
      task(
        'STOPPED',
        [
          { name: 'fetch', lastStatus: 'STOPPED', exitCode: 3 },
          { name: 'migrate', lastStatus: 'STOPPED' },
          { name: 'app', lastStatus: 'STOPPED' },
        ],
        { stopCode: 'EssentialContainerExited', stoppedAt: '2026-03-01T12:00:06Z' },
      ),
      now,
    );
    expect(status.phase).toBe('Failed');
    expect(status.initContainerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 3,
      reason: 'Error',
    });
    expect(states(status.initContainerStatuses?.slice(1))).toEqual([
      { migrate: { waiting: { reason: 'PodInitializing' } } },
    ]);
    expect(initialized(status)?.status).toBe('False');
    expect(afterTaskStopped(pod(), task('STOPPED', []), status)).toEqual({ kind: 'finish' });
    expect(podStatusReason(withStatus(pod(), status))).toBe('Init:Error');
  });

  it('backs the failed init container off, Init:CrashLoopBackOff, counting its restarts', () => {
    const stopped = task('STOPPED', [{ name: 'fetch', lastStatus: 'STOPPED', exitCode: 1 }], {
      stopCode: 'EssentialContainerExited',
      stoppedAt: '2026-03-01T12:00:06Z',
    });
    const exited = podStatusFromTask(pod('Always'), stopped, now);
    const decision = afterTaskStopped(pod('Always'), stopped, exited);
    if (decision.kind !== 'restart') throw new Error('expected a restart');
    const fetch = decision.status.initContainerStatuses?.[0];
    expect(fetch).toMatchObject({
      restartCount: 1,
      lastState: { terminated: { exitCode: 1, reason: 'Error' } },
      state: { waiting: { reason: 'CrashLoopBackOff' } },
    });
    expect(decision.status.containerStatuses?.[0]?.restartCount).toBe(0);
    const shown = withStatus(pod('Always'), decision.status);
    expect(podStatusReason(shown)).toBe('Init:CrashLoopBackOff');
    // RESTARTS counts the init container's restarts while the pod initializes.
    expect(podTable([shown], new Date(now)).rows[0]?.cells[3]).toMatch(/^1 /);
    // The next task's report keeps the count.
    const again = podStatusFromTask(shown, task('PENDING', [{ name: 'fetch', lastStatus: 'RUNNING' }]), now);
    expect(again.initContainerStatuses?.[0]?.restartCount).toBe(1);
  });
});

describe("kubectl's STATUS column for init containers", () => {
  const shown = (initContainerStatuses: ContainerStatus[], rest: Partial<PodStatus> = {}) =>
    podStatusReason(withStatus(pod(), { phase: 'Pending', initContainerStatuses, ...rest }));
  const base = { image: 'x', imageID: '', ready: false, restartCount: 0 };
  const done = { ...base, name: 'fetch', state: { terminated: { exitCode: 0, reason: 'Completed' } } };
  it('reads PodInitializing once init is done but the app containers have not started', () => {
    expect(
      shown([done, { ...done, name: 'migrate' }], {
        conditions: [{ type: 'Initialized', status: 'True' }],
        containerStatuses: [{ ...base, name: 'app', state: { waiting: { reason: 'PodInitializing' } } }],
      }),
    ).toBe('PodInitializing');
  });
  it('names an exit code without a reason, and a waiting reason of its own', () => {
    expect(shown([done, { ...base, name: 'migrate', state: { terminated: { exitCode: 2 } } }])).toBe(
      'Init:ExitCode:2',
    );
    expect(shown([{ ...base, name: 'fetch', state: { waiting: { reason: 'ImagePullBackOff' } } }])).toBe(
      'Init:ImagePullBackOff',
    );
  });
});
