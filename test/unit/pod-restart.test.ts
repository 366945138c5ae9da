import { describe, expect, it } from 'vitest';
import { podStatusFromTask } from '../../functions/core/ecs/pod-status';
import type { TaskView } from '../../functions/core/ecs/types';
import type { Pod } from '../../functions/core/k8s';
import {
  afterTaskStopped,
  type BackOff,
  backOffSeconds,
  imagePullBackOffStatus,
} from '../../functions/core/pod/restart';
import { storedPod } from '../fixtures';

const startedAt = '2026-11-27T10:00:00.000Z';
const minutesLater = (minutes: number) => new Date(Date.parse(startedAt) + minutes * 60_000).toISOString();

function exitedTask(exitCode: number, ranMinutes = 1, extra: Partial<TaskView> = {}): TaskView {
  return {
    taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/podplane/t1',
    lastStatus: 'STOPPED',
    stopCode: 'EssentialContainerExited',
    startedAt,
    stoppedAt: minutesLater(ranMinutes),
    containers: [{ name: 'app', lastStatus: 'STOPPED', exitCode }],
    ...extra,
  };
}

function podWith(policy: 'Always' | 'OnFailure' | 'Never'): Pod {
  const pod = storedPod('web');
  return { ...pod, spec: { ...pod.spec, containers: pod.spec?.containers ?? [], restartPolicy: policy } };
}

function decide(pod: Pod, task: TaskView, previous?: BackOff) {
  return afterTaskStopped(pod, task, podStatusFromTask(pod, task, minutesLater(2)), previous);
}

describe('the back-off', () => {
  it('starts at 10 s, doubles, and stops at 300 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 40].map(backOffSeconds)).toEqual([10, 20, 40, 80, 160, 300, 300, 300]);
  });
});

describe('after a task stops', () => {
  it.each([
    ['Always', 0, 'restart'],
    ['Always', 1, 'restart'],
    ['OnFailure', 0, 'finish'],
    ['OnFailure', 2, 'restart'],
    ['Never', 0, 'finish'],
    ['Never', 1, 'finish'],
  ] as const)('restartPolicy %s with exit code %i: %s', (policy, exitCode, kind) => {
    expect(decide(podWith(policy), exitedTask(exitCode)).kind).toBe(kind);
  });

  it('waits in CrashLoopBackOff with the kubelet message, counting the restart and keeping the last run', () => {
    const pod = podWith('Always');
    const decision = decide(pod, exitedTask(1), { kind: 'crash', steps: 2 });
    if (decision.kind !== 'restart') throw new Error('expected a restart');
    expect(decision.delaySeconds).toBe(40);
    expect(decision.backOff).toEqual({ kind: 'crash', steps: 3 });
    const [app] = decision.status.containerStatuses ?? [];
    expect(app?.state?.waiting).toEqual({
      reason: 'CrashLoopBackOff',
      message: `back-off 40s restarting failed container=app pod=web_default(${pod.metadata?.uid})`,
    });
    expect(app?.restartCount).toBe(1);
    expect(app?.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error', startedAt });
    expect(app?.ready).toBe(false);
    expect(decision.status.phase).toBe('Running');
    expect(decision.status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
    });
  });

  it('starts the back-off afresh after a run of 10 minutes or more, not after 9', () => {
    const pod = podWith('Always');
    const previous: BackOff = { kind: 'crash', steps: 4 };
    expect(decide(pod, exitedTask(1, 10), previous)).toMatchObject({ delaySeconds: 10 });
    expect(decide(pod, exitedTask(1, 9), previous)).toMatchObject({ delaySeconds: 160 });
  });

  it('keeps crash and pull back-offs apart', () => {
    expect(decide(podWith('Always'), exitedTask(1), { kind: 'pull', steps: 4 })).toMatchObject({
      delaySeconds: 10,
      backOff: { kind: 'crash', steps: 1 },
    });
  });

  it('retries a failed pull whatever the restart policy, with the pull error shown', () => {
    const pull = 'CannotPullContainerError: pull image manifest has been retried 5 time(s): not found';
    const task = exitedTask(0, 0, {
      stopCode: 'TaskFailedToStart',
      stoppedReason: pull,
      startedAt: undefined,
      containers: [{ name: 'app', lastStatus: 'STOPPED', reason: pull }],
    });
    const decision = decide(podWith('Never'), task);
    expect(decision).toMatchObject({ kind: 'restart', reason: 'ErrImagePull', backOff: { kind: 'pull' } });
    if (decision.kind !== 'restart') return;
    expect(decision.status.phase).toBe('Pending');
    expect(decision.status.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ErrImagePull');
    expect(decision.status.containerStatuses?.[0]?.restartCount).toBe(0);
    const backingOff = imagePullBackOffStatus(decision.status);
    expect(backingOff.containerStatuses?.[0]?.state?.waiting).toEqual({
      reason: 'ImagePullBackOff',
      message: 'Back-off pulling image "public.ecr.aws/nginx/nginx:1.27"',
    });
  });

  it('lets a pod whose node is going away finish, as Kubernetes fails it on node shutdown', () => {
    expect(decide(podWith('Always'), exitedTask(0, 1, { stopCode: 'SpotInterruption' })).kind).toBe('finish');
  });
});
