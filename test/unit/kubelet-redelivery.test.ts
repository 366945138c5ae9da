import { describe, expect, it } from 'vitest';
import { syncPod } from '../../functions/core/controllers/kubelet';
import type { Pod } from '../../functions/core/k8s';
import {
  nodeFromContainerInstance,
  nodeResourcesFromContainerInstance,
} from '../../functions/core/nodes/from-container-instance';
import type { PodRuntime } from '../../functions/core/ports';
import { storedPod } from '../fixtures';
import { fakeStores, fakeTimers } from './fakes';

// A stream batch retried from an earlier record's failure delivers the records after it again.
// A launch record whose task the kubelet already launched and recorded asks ECS nothing more:
// RunTask's client token would return the same task, but the call would still spend one of
// ECS's 20 RunTask calls a second.

const now = '2026-11-30T10:05:00Z';

async function setup() {
  const stores = fakeStores();
  const instance = {
    containerInstanceArn: 'arn:aws:ecs:us-east-1:000000000000:container-instance/podplane/abc',
    ec2InstanceId: 'i-0000000000000001',
    status: 'ACTIVE',
    agentConnected: true,
    registeredCpuUnits: 4096,
    registeredMemoryMiB: 8192,
    attributes: { 'ecs.availability-zone': 'us-east-1a' },
  };
  const node = nodeFromContainerInstance(instance, now);
  await stores.nodes.putNode(node, nodeResourcesFromContainerInstance(instance));
  const launches: string[] = [];
  const runtime: PodRuntime = {
    launchPod: async (pod) => {
      launches.push(pod.metadata?.name ?? '');
      return {
        kind: 'launched',
        taskArn: `arn:aws:ecs:us-east-1:000000000000:task/podplane/${pod.metadata?.uid}`,
      };
    },
    stopPod: async () => 0,
    describeTasks: async () => [],
    listRunningTasks: async () => [],
    listContainerInstances: async () => [],
  };
  const pod = storedPod('web');
  const bound: Pod = {
    ...pod,
    spec: { ...pod.spec, containers: pod.spec?.containers ?? [], nodeName: node.metadata?.name ?? '' },
  };
  const first = stores.pods.seed(bound);
  const deps = {
    pods: stores.pods,
    nodes: stores.nodes,
    events: stores.events,
    runtime,
    timers: fakeTimers(),
    now: () => now,
  };
  return { stores, first, deps, launches };
}

describe('a launch record delivered again', () => {
  it('launches once when the kubelet has recorded its task', async () => {
    const { first, deps, launches } = await setup();
    await syncPod(first, deps);
    await syncPod(first, deps);
    expect(launches).toEqual(['web']);
  });

  it('launches nothing for a pod deleted or gone since the record was written', async () => {
    const { stores, first, deps, launches } = await setup();
    const record = await stores.pods.getPod('default', 'web', true);
    if (!record) throw new Error('missing');
    await stores.pods.deletePod(record);
    await syncPod(first, deps);
    expect(launches).toEqual([]);
  });
});
