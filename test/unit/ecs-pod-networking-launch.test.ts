import { describe, expect, it, vi } from 'vitest';
import type { Pod } from '../../functions/core/k8s';
import { environmentVariables } from '../../functions/wiring';
import { useEcsLaunch } from './ecs-launch-harness';

// The kubelet's ECS adapter launches an EC2 pod per podplane:podNetworking: awsvpc gives the
// task an ENI in the stack's pod subnets with the pod security group (and no public IP, which
// ECS refuses on EC2); bridge sends no network configuration. Checked against the ECS simulator,
// which describes the task as ECS does: an ENI attachment in the subnet, or host port bindings.

const ecs = useEcsLaunch({ subnets: ['subnet-pods-a'], securityGroups: ['sg-pods'] });

const pod = (uid: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `web-${uid.slice(-2)}`, namespace: 'default', uid },
  spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] },
});

const launch = (uid: string) => ecs.launch(pod(uid));

describe('launching an EC2 pod', () => {
  it('with awsvpc (the default): an ENI in the pod subnets, and the task definition in awsvpc mode', async () => {
    vi.stubEnv(environmentVariables.podNetworking, 'awsvpc');
    const { task, taskDefinition } = await launch('00000000-0000-4000-8000-000000000011');
    expect(taskDefinition?.networkMode).toBe('awsvpc');
    const [eni] = task?.attachments ?? [];
    expect(eni?.type).toBe('ElasticNetworkInterface');
    expect(eni?.details?.find((d) => d.name === 'subnetId')?.value).toBe('subnet-pods-a');
  });

  it('with bridge: no network configuration and no ENI of its own', async () => {
    vi.stubEnv(environmentVariables.podNetworking, 'bridge');
    const { task, taskDefinition } = await launch('00000000-0000-4000-8000-000000000012');
    expect(taskDefinition?.networkMode).toBe('bridge');
    expect(task?.attachments ?? []).toEqual([]);
  });

  it("fails the pod with ECS's reason when awsvpc has no subnets to put the ENI in", async () => {
    vi.stubEnv(environmentVariables.podNetworking, 'awsvpc');
    vi.stubEnv(environmentVariables.podNetwork, JSON.stringify({ subnets: [], securityGroups: [] }));
    const result = await ecs.launchPod(pod('00000000-0000-4000-8000-000000000013'));
    expect(result).toEqual({
      kind: 'refused',
      reason: expect.stringMatching(/^RunTask: InvalidParameterException: .*[Nn]etwork [Cc]onfiguration/),
    });
  });
});
