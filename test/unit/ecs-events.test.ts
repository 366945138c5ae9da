import { describe, expect, it } from 'vitest';
import { type TaskStateChangeDetail, taskViewFromEvent } from '../../functions/core/ecs/events';
import { podStatusFromTask } from '../../functions/core/ecs/pod-status';
import type { Pod } from '../../functions/core/k8s';

// Shaped after the "ECS Task State Change" example in the Amazon ECS developer guide
// (ecs_task_events.html): the EventBridge envelope, and a detail with attachments, containers
// with networkInterfaces, ISO timestamps and a `version` that grows with every change.
const runningEvent = {
  version: '0',
  id: '3317b2af-7005-947d-b652-f55e762e571a',
  'detail-type': 'ECS Task State Change',
  source: 'aws.ecs',
  account: '111122223333',
  time: '2020-01-23T17:57:58Z',
  region: 'us-west-2',
  resources: ['arn:aws:ecs:us-west-2:111122223333:task/FargateCluster/c13b4cb40f1f4fe4a2971f76ae5a47ad'],
  detail: {
    attachments: [
      {
        id: '1789bcae-ddfb-4d10-8ebe-8ac87ddba5b8',
        type: 'eni',
        status: 'ATTACHED',
        details: [
          { name: 'subnetId', value: 'subnet-abcd1234' },
          { name: 'networkInterfaceId', value: 'eni-abcd1234' },
          { name: 'macAddress', value: '0a:0c:7c:28:c5:b6' },
          { name: 'privateIPv4Address', value: '10.0.0.139' },
        ],
      },
    ],
    availabilityZone: 'us-west-2c',
    clusterArn: 'arn:aws:ecs:us-west-2:111122223333:cluster/FargateCluster',
    containers: [
      {
        containerArn: 'arn:aws:ecs:us-west-2:111122223333:container/cf159fd6-3e3f-4a9e-84f9-66cbe726af01',
        lastStatus: 'RUNNING',
        name: 'app',
        image: '111122223333.dkr.ecr.us-west-2.amazonaws.com/hello-repository:latest',
        imageDigest: 'sha256:74b2c688c700ec95a93e478cdb959737c148df3fbf5ea706abe0318726e885e6',
        runtimeId: 'ad64cbc71c7fb31c55507ec24c9f77947132b03d48d9961115cf24f3b7307e1e',
        taskArn: 'arn:aws:ecs:us-west-2:111122223333:task/FargateCluster/c13b4cb40f1f4fe4a2971f76ae5a47ad',
        networkInterfaces: [
          { attachmentId: '1789bcae-ddfb-4d10-8ebe-8ac87ddba5b8', privateIpv4Address: '10.0.0.139' },
        ],
        cpu: '0',
      },
    ],
    createdAt: '2020-01-23T17:57:34.402Z',
    launchType: 'FARGATE',
    cpu: '256',
    memory: '512',
    desiredStatus: 'RUNNING',
    group: 'family:sample-fargate',
    lastStatus: 'RUNNING',
    overrides: { containerOverrides: [{ name: 'app' }] },
    connectivity: 'CONNECTED',
    connectivityAt: '2020-01-23T17:57:38.453Z',
    pullStartedAt: '2020-01-23T17:57:52.103Z',
    startedAt: '2020-01-23T17:57:58.103Z',
    startedBy: '6f1c1f0e-9d0a-4c1e-8a39-2f4f4b8e7a10',
    pullStoppedAt: '2020-01-23T17:57:55.103Z',
    updatedAt: '2020-01-23T17:57:58.103Z',
    taskArn: 'arn:aws:ecs:us-west-2:111122223333:task/FargateCluster/c13b4cb40f1f4fe4a2971f76ae5a47ad',
    taskDefinitionArn: 'arn:aws:ecs:us-west-2:111122223333:task-definition/sample-fargate:1',
    version: 4,
    platformVersion: '1.3.0',
  },
};

const stoppedDetail = {
  ...runningEvent.detail,
  containers: [
    {
      ...runningEvent.detail.containers[0],
      lastStatus: 'STOPPED',
      exitCode: 1,
      reason: 'Essential container in task exited',
    },
  ],
  desiredStatus: 'STOPPED',
  lastStatus: 'STOPPED',
  stopCode: 'EssentialContainerExited',
  stoppedReason: 'Essential container in task exited',
  stoppingAt: '2020-01-23T18:05:00.000Z',
  stoppedAt: '2020-01-23T18:05:12.000Z',
  executionStoppedAt: '2020-01-23T18:05:01.000Z',
  version: 6,
};

const pod: Pod = {
  metadata: { name: 'web', namespace: 'default', uid: '6f1c1f0e-9d0a-4c1e-8a39-2f4f4b8e7a10' },
  spec: {
    nodeName: 'i-0abc',
    restartPolicy: 'Never',
    containers: [{ name: 'app', image: 'hello-repository' }],
  },
  status: { phase: 'Pending' },
};

describe('taskViewFromEvent', () => {
  it('reads the task, its version, who started it and its timestamps from a RUNNING event', () => {
    const view = taskViewFromEvent(runningEvent.detail as TaskStateChangeDetail);
    expect(view).toMatchObject({
      taskArn: 'arn:aws:ecs:us-west-2:111122223333:task/FargateCluster/c13b4cb40f1f4fe4a2971f76ae5a47ad',
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      version: 4,
      startedBy: '6f1c1f0e-9d0a-4c1e-8a39-2f4f4b8e7a10',
      createdAt: '2020-01-23T17:57:34.402Z',
      startedAt: '2020-01-23T17:57:58.103Z',
    });
  });

  it("takes each container's private IPv4 address from its network interface", () => {
    const view = taskViewFromEvent(runningEvent.detail as TaskStateChangeDetail);
    expect(view.containers).toEqual([
      { name: 'app', lastStatus: 'RUNNING', privateIpv4Address: '10.0.0.139' },
    ]);
  });

  it('reads exit codes, reasons and the stop code from a STOPPED event', () => {
    const view = taskViewFromEvent(stoppedDetail as TaskStateChangeDetail);
    expect(view).toMatchObject({
      lastStatus: 'STOPPED',
      version: 6,
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      stoppedAt: '2020-01-23T18:05:12.000Z',
    });
    expect(view.containers[0]).toMatchObject({
      name: 'app',
      exitCode: 1,
      reason: 'Essential container in task exited',
    });
  });

  it('keeps exit code 0 (a falsy value) rather than dropping it', () => {
    const detail = {
      ...stoppedDetail,
      containers: [{ ...stoppedDetail.containers[0], name: 'app', exitCode: 0 }],
    };
    expect(taskViewFromEvent(detail as TaskStateChangeDetail).containers[0]?.exitCode).toBe(0);
  });

  it('leaves out what the event does not carry: no exit code while running, no IP without an interface', () => {
    const view = taskViewFromEvent({
      taskArn: 'arn:aws:ecs:eu-west-1:1:task/c/1',
      lastStatus: 'PENDING',
      containers: [{ name: 'app', lastStatus: 'PENDING' }],
    });
    expect(view).toEqual({
      taskArn: 'arn:aws:ecs:eu-west-1:1:task/c/1',
      lastStatus: 'PENDING',
      containers: [{ name: 'app', lastStatus: 'PENDING' }],
    });
  });

  it('feeds the pod status: a RUNNING event gives a Running pod with the task IP', () => {
    const status = podStatusFromTask(
      pod,
      taskViewFromEvent(runningEvent.detail as TaskStateChangeDetail),
      'now',
    );
    expect(status).toMatchObject({ phase: 'Running', podIP: '10.0.0.139' });
  });

  it('feeds the pod status: a STOPPED event with exit 1 gives a Failed pod with reason Error', () => {
    const status = podStatusFromTask(pod, taskViewFromEvent(stoppedDetail as TaskStateChangeDetail), 'now');
    expect(status.phase).toBe('Failed');
    expect(status.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
  });
});
