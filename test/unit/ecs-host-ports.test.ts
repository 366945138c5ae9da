import { describe, expect, it } from 'vitest';
import { taskViewFromEvent } from '../../functions/core/ecs/events';
import { hostPortsAnnotation, withHostPorts } from '../../functions/core/ecs/host-ports';
import { podStatusFromTask } from '../../functions/core/ecs/pod-status';
import { storedPod } from '../fixtures';

// Bridge mode: a task has no address of its own, and ECS reports each container port's host port
// in `networkBindings` (dynamic ones from Docker's ephemeral range). awsvpc: the task's ENI
// attachment carries its address.

const now = '2026-11-30T09:00:00Z';
const running = {
  taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/podplane/abc',
  lastStatus: 'RUNNING',
  startedAt: now,
};

describe('host ports of a bridge-mode pod', () => {
  const task = taskViewFromEvent({
    ...running,
    containers: [
      {
        name: 'app',
        lastStatus: 'RUNNING',
        networkBindings: [
          { containerPort: 80, hostPort: 32768, protocol: 'tcp' },
          { containerPort: 53, hostPort: 8053, protocol: 'udp' },
          // Not yet bound: ECS fills the host port in once the container runs.
          { containerPort: 9090, protocol: 'tcp' },
        ],
      },
    ],
  });

  it('are published in an annotation kubectl describe shows', () => {
    const pod = withHostPorts(storedPod('web'), task);
    expect(pod.metadata?.annotations?.[hostPortsAnnotation]).toBe('app:80/tcp=32768,app:53/udp=8053');
  });

  it('leave the pod as it is when nothing changed, so no write is made', () => {
    const once = withHostPorts(storedPod('web'), task);
    expect(withHostPorts(once, task)).toBe(once);
    const awsvpc = taskViewFromEvent({ ...running, containers: [{ name: 'app', lastStatus: 'RUNNING' }] });
    const pod = storedPod('web');
    expect(withHostPorts(pod, awsvpc)).toBe(pod);
  });
});

describe('the address of an awsvpc pod', () => {
  it("is its task's ENI address, from the attachment when the containers do not carry it", () => {
    const task = taskViewFromEvent({
      ...running,
      attachments: [
        {
          type: 'ElasticNetworkInterface',
          details: [
            { name: 'subnetId', value: 'subnet-local' },
            { name: 'privateIPv4Address', value: '10.0.3.17' },
          ],
        },
      ],
      containers: [{ name: 'app', lastStatus: 'RUNNING' }],
    });
    expect(podStatusFromTask(storedPod('web'), task, now)).toMatchObject({
      podIP: '10.0.3.17',
      podIPs: [{ ip: '10.0.3.17' }],
    });
  });
});
