import { describe, expect, it } from 'vitest';
import { syncPod } from '../../functions/core/controllers/kubelet';
import { applyTaskState } from '../../functions/core/controllers/pod-status';
import { nodeFromFargatePool } from '../../functions/core/nodes/fargate-pool';
import { ec2Node, now, setup } from './kubelet-harness';

// status.hostIP is the address of the node the pod runs on, as the kubelet reports it once it
// takes the pod: the container instance's InternalIP. It must land whether the kubelet's own
// write or the task's first event reaches the pod first.

describe('the kubelet reports status.hostIP', () => {
  it("as the node's InternalIP when it launches the pod's task", async () => {
    const { first, deps, read } = await setup(ec2Node());
    await syncPod(first, deps);
    expect(await read()).toMatchObject({
      hostIP: '172.31.0.1',
      hostIPs: [{ ip: '172.31.0.1' }],
      containerStatuses: [{ state: { waiting: { reason: 'ContainerCreating' } } }],
    });
  });

  it("even when the task's first event wrote the pod's status before the kubelet did", async () => {
    const { first, deps, read, running } = await setup(ec2Node());
    expect(await applyTaskState(running('10.0.0.9'), deps)).toBe('applied');
    await syncPod(first, deps);
    expect(await read()).toMatchObject({ phase: 'Running', podIP: '10.0.0.9', hostIP: '172.31.0.1' });
    // Later events keep the node's address.
    await applyTaskState({ ...running('10.0.0.9'), version: 3, desiredStatus: 'RUNNING' }, deps);
    expect((await read())?.hostIPs).toEqual([{ ip: '172.31.0.1' }]);
  });

  it("on Fargate, whose virtual node has no address, as the task's own address", async () => {
    const fargate = nodeFromFargatePool(
      {
        name: 'fargate-us-east-1a',
        zone: 'us-east-1a',
        cpu: '64',
        memory: '256Gi',
        pods: 100,
        capacityProvider: 'FARGATE',
        subnets: ['subnet-1'],
        securityGroups: ['sg-1'],
        assignPublicIp: false,
      },
      now,
    );
    const { first, deps, read, running } = await setup(fargate);
    await syncPod(first, deps);
    expect(await read()).not.toHaveProperty('hostIP');
    await applyTaskState(running('10.0.3.4'), deps);
    expect(await read()).toMatchObject({
      podIP: '10.0.3.4',
      hostIP: '10.0.3.4',
      hostIPs: [{ ip: '10.0.3.4' }],
    });
  });
});
