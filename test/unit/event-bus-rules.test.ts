import { describe, expect, it } from 'vitest';
import { functionDefinitions } from '../../functions/wiring';
import { LocalEventBus } from '../../local/event-bus';

// The pod status path's rules, as the stack and the local bus make them from the wiring: a task's
// life announces each change of lastStatus or desiredStatus, and only starting and stopping are
// the pod's business. A task asked to stop still runs; its pod changes when it has stopped.

const clusterArn = 'arn:aws:ecs:us-east-1:000000000000:cluster/podplane';

const taskEvent = (lastStatus: string, desiredStatus: string, cluster = clusterArn) => ({
  version: '0',
  source: 'aws.ecs',
  'detail-type': 'ECS Task State Change',
  detail: { clusterArn: cluster, lastStatus, desiredStatus, taskArn: `${lastStatus}/${desiredStatus}` },
});

async function delivered(events: readonly unknown[]): Promise<string[]> {
  const seen: string[] = [];
  const bus = new LocalEventBus(() => undefined);
  const { trigger } = functionDefinitions.podStatus;
  bus.addRule(trigger, { clusterArn: [clusterArn] }, async (event) => {
    seen.push((event as ReturnType<typeof taskEvent>).detail.taskArn);
  });
  for (const event of events) bus.publish(event);
  await bus.drain();
  return seen;
}

describe('the pod status rules', () => {
  it('pass a task that started and one that stopped, once each, and nothing in between', async () => {
    const life = [
      taskEvent('PROVISIONING', 'RUNNING'),
      taskEvent('PENDING', 'RUNNING'),
      taskEvent('RUNNING', 'RUNNING'),
      // StopTask: desiredStatus changes first, while the containers still run.
      taskEvent('RUNNING', 'STOPPED'),
      taskEvent('DEACTIVATING', 'STOPPED'),
      taskEvent('STOPPING', 'STOPPED'),
      taskEvent('DEPROVISIONING', 'STOPPED'),
      taskEvent('STOPPED', 'STOPPED'),
    ];
    expect(await delivered(life)).toEqual(['RUNNING/RUNNING', 'STOPPED/STOPPED']);
  });

  it("pass no other cluster's tasks", async () => {
    const other = 'arn:aws:ecs:us-east-1:000000000000:cluster/other';
    expect(
      await delivered([taskEvent('RUNNING', 'RUNNING', other), taskEvent('STOPPED', 'STOPPED', other)]),
    ).toEqual([]);
  });
});
