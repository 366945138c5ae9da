import { describe, expect, it } from 'vitest';
import { reconcile } from '../../functions/core/controllers/reconcile';
import type { TaskView } from '../../functions/core/ecs/types';
import type { PodRuntime } from '../../functions/core/ports';
import { GiB, nodeObject, storedPod } from '../fixtures';
import { fakeStores, fakeTimers } from './fakes';

// The reconcile's report names each pod it acted on, so its handler can log each under the
// pod's keys and the pod's own trail shows what the reconcile did to it.

const runtimeWith = (tasks: TaskView[]): PodRuntime => ({
  launchPod: async () => ({ kind: 'retry', reason: 'not in this test' }),
  stopPod: async () => 1,
  describeTasks: async (arns) => tasks.filter((t) => arns.includes(t.taskArn)),
  listRunningTasks: async () => tasks.map((t) => t.taskArn),
  listContainerInstances: async () => [],
});

describe('reconcile', () => {
  it('names the pod whose task vanished and the uid of a task whose pod is gone', async () => {
    const stores = fakeStores();
    await stores.nodes.putNode(nodeObject('n1'), { cpuMillis: 4000, memoryBytes: 8 * GiB, pods: 110 });
    const pod = storedPod('web', { namespace: 'team-a' });
    stores.pods.seed(
      { ...pod, spec: { ...pod.spec, containers: pod.spec?.containers ?? [], nodeName: 'n1' } },
      { taskArn: 'arn:task/forgotten' },
    );
    const orphan: TaskView = {
      taskArn: 'arn:task/orphan',
      lastStatus: 'RUNNING',
      startedBy: 'uid-gone',
      containers: [],
    };

    const report = await reconcile({
      ...stores,
      runtime: runtimeWith([orphan]),
      timers: fakeTimers(),
      now: () => '2026-03-01T12:00:00Z',
    });

    expect(report.pods).toEqual([
      { action: 'lost', namespace: 'team-a', name: 'web', uid: pod.metadata?.uid },
      { action: 'orphan', uid: 'uid-gone' },
    ]);
    expect([report.lost, report.orphans]).toEqual([1, 1]);
  });
});
