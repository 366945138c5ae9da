import {
  DescribeContainerInstancesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { traced } from '../../commons/tracer';
import { networkBindingsOf } from '../../core/ecs/events';
import { runTaskClientToken, taskGroup, toTaskDefinition } from '../../core/ecs/task-definition';
import { attachmentAddress, type TaskView } from '../../core/ecs/types';
import type { Node, Pod } from '../../core/k8s';
import { fargateLaunchOf } from '../../core/nodes/fargate-pool';
import { ec2InstanceIdAnnotation } from '../../core/nodes/from-container-instance';
import { launchEnvironment } from '../../core/pod/ecs-admission';
import type { PodRuntime } from '../../core/ports';
import { recorded } from '../call-recorder';
import {
  clusterName,
  podLogGroup,
  podNetwork,
  podNetworking,
  region,
  taskExecutionRoleArn,
  taskRoleArn,
} from '../config';
import { TokenBucket } from './rate-limit';
import { LookupTimeout, SharedLookups } from './shared-lookups';

let client: ECSClient | undefined;

/** ECS's RunTask limit per account and region: 100 burst, 20 per second. */
const runTaskRate = new TokenBucket(100, 20);
/** A launch waits this long at most for its turn; longer, and the record is retried later. */
const maxRateWaitMs = 10_000;
const ecs = () => {
  client ??= traced(recorded(new ECSClient({})));
  return client;
};

/**
 * Task definitions known to exist (or being looked up), by family; families are content hashes,
 * so never stale. A burst of pods of one spec asks ECS once, not once per pod.
 */
const registeredFamilies = new SharedLookups<string>(10_000);

function ensureTaskDefinition(pod: Pod, fargate: boolean): Promise<string> {
  const definition = toTaskDefinition(pod, {
    logGroup: podLogGroup(),
    region: region(),
    ...(taskExecutionRoleArn() ? { executionRoleArn: taskExecutionRoleArn() } : {}),
    ...(taskRoleArn() ? { taskRoleArn: taskRoleArn() } : {}),
    fargate,
    networking: podNetworking(),
  });
  return registeredFamilies.get(definition.family, () => describeOrRegister(definition));
}

async function describeOrRegister(definition: ReturnType<typeof toTaskDefinition>): Promise<string> {
  try {
    const existing = await ecs().send(
      new DescribeTaskDefinitionCommand({ taskDefinition: definition.family }),
    );
    const arn = existing.taskDefinition?.taskDefinitionArn;
    if (arn && existing.taskDefinition?.status === 'ACTIVE') return arn;
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ClientException')) throw error;
  }
  const out = await ecs().send(new RegisterTaskDefinitionCommand(definition));
  const arn = out.taskDefinition?.taskDefinitionArn;
  if (!arn) throw new Error(`RegisterTaskDefinition returned no ARN for ${definition.family}`);
  return arn;
}

export const ecsPodRuntime: PodRuntime = {
  async launchPod(pod, node, generation) {
    const uid = pod.metadata?.uid ?? '';
    const fargate = fargateLaunchOf(node);
    let taskDefinition: string;
    try {
      taskDefinition = await ensureTaskDefinition(pod, fargate !== undefined);
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal) return { kind: 'refused', reason: `RegisterTaskDefinition: ${refusal}` };
      if (error instanceof LookupTimeout) return { kind: 'retry', reason: error.message };
      throw error;
    }
    if (!(await runTaskRate.take(maxRateWaitMs)))
      return { kind: 'retry', reason: 'RunTask rate limit (20/s): try again shortly', throttled: true };
    const instanceId = ec2InstanceId(node);
    // Downward-API values differ per pod, so they ride on the launch, not the shared definition.
    const overrides = launchEnvironment({
      ...pod,
      spec: { ...pod.spec, containers: pod.spec?.containers ?? [], nodeName: node.metadata?.name ?? '' },
    });
    try {
      const out = await ecs().send(
        new RunTaskCommand({
          cluster: clusterName(),
          taskDefinition,
          count: 1,
          // ECS Exec needs it at launch: a running task cannot turn it on.
          ...(taskRoleArn() ? { enableExecuteCommand: true } : {}),
          clientToken: runTaskClientToken(uid, generation),
          group: taskGroup(generation),
          // startedBy carries the pod uid (36 chars, ECS's limit) so events lead back to the pod.
          startedBy: uid,
          ...(fargate
            ? {
                capacityProviderStrategy: [{ capacityProvider: fargate.capacityProvider, weight: 1 }],
                networkConfiguration: {
                  awsvpcConfiguration: {
                    subnets: [...fargate.subnets],
                    securityGroups: [...fargate.securityGroups],
                    assignPublicIp: fargate.assignPublicIp ? 'ENABLED' : 'DISABLED',
                  },
                },
              }
            : {
                launchType: 'EC2',
                // awsvpc: the pod's own ENI in the stack's pod subnets (EC2 tasks get no public IP).
                ...(podNetworking() === 'awsvpc'
                  ? {
                      networkConfiguration: {
                        awsvpcConfiguration: {
                          subnets: podNetwork().subnets,
                          securityGroups: podNetwork().securityGroups,
                          assignPublicIp: 'DISABLED',
                        },
                      },
                    }
                  : {}),
                placementConstraints: [
                  { type: 'memberOf', expression: `ec2InstanceId in ['${instanceId}']` },
                ],
              }),
          ...(overrides.length > 0 ? { overrides: { containerOverrides: overrides } } : {}),
          tags: [
            { key: 'podplane.dev/pod-uid', value: uid },
            { key: 'podplane.dev/namespace', value: pod.metadata?.namespace ?? 'default' },
            { key: 'podplane.dev/pod-name', value: pod.metadata?.name ?? '' },
          ],
        }),
      );
      const taskArn = out.tasks?.[0]?.taskArn;
      if (taskArn) return { kind: 'launched', taskArn };
      // A failures[] entry (RESOURCE:*, AGENT, an unsatisfied constraint): no room on this node.
      const failure = out.failures?.map((f) => [f.reason, f.detail].filter(Boolean).join(': ')).join(', ');
      if (failure) return { kind: 'unplaceable', reason: failure };
      return { kind: 'retry', reason: 'RunTask returned neither a task nor a failure' };
    } catch (error) {
      if (error instanceof Error && error.name === 'ThrottlingException')
        return { kind: 'retry', reason: 'RunTask throttled', throttled: true };
      const refusal = refusalOf(error);
      if (refusal) return { kind: 'refused', reason: `RunTask: ${refusal}` };
      throw error;
    }
  },

  async stopPod(pod, knownTaskArn, reason) {
    const listed = await ecs().send(
      new ListTasksCommand({
        cluster: clusterName(),
        startedBy: pod.metadata?.uid ?? '',
        desiredStatus: 'RUNNING',
      }),
    );
    const arns = new Set(listed.taskArns ?? []);
    if (knownTaskArn) arns.add(knownTaskArn);
    const stopped = await Promise.all(
      [...arns].map((task) =>
        ecs()
          .send(new StopTaskCommand({ cluster: clusterName(), task, reason }))
          .then((out) => out.task?.lastStatus !== 'STOPPED')
          // A task ECS no longer knows (it vanished, or was forgotten an hour after it stopped)
          // has nothing left to stop: it must not fail the stop of the ones it does know.
          .catch((error: unknown) => {
            if (isTaskNotFound(error)) return false;
            throw error;
          }),
      ),
    );
    return stopped.filter(Boolean).length;
  },

  async describeTasks(taskArns) {
    const views: TaskView[] = [];
    for (let i = 0; i < taskArns.length; i += 100) {
      const out = await ecs().send(
        new DescribeTasksCommand({ cluster: clusterName(), tasks: taskArns.slice(i, i + 100) }),
      );
      views.push(...(out.tasks ?? []).map(taskViewFromTask));
    }
    return views;
  },

  async listRunningTasks() {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await ecs().send(
        new ListTasksCommand({ cluster: clusterName(), desiredStatus: 'RUNNING', nextToken }),
      );
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return arns;
  },

  async listContainerInstances() {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await ecs().send(new ListContainerInstancesCommand({ cluster: clusterName(), nextToken }));
      arns.push(...(page.containerInstanceArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    const instances = [];
    for (let i = 0; i < arns.length; i += 100) {
      const out = await ecs().send(
        new DescribeContainerInstancesCommand({
          cluster: clusterName(),
          containerInstances: arns.slice(i, i + 100),
        }),
      );
      for (const ci of out.containerInstances ?? []) {
        const registered = (name: string) =>
          ci.registeredResources?.find((r) => r.name === name)?.integerValue ?? 0;
        instances.push({
          containerInstanceArn: ci.containerInstanceArn ?? '',
          ec2InstanceId: ci.ec2InstanceId ?? '',
          status: ci.status ?? 'ACTIVE',
          agentConnected: ci.agentConnected ?? false,
          registeredCpuUnits: registered('CPU'),
          registeredMemoryMiB: registered('MEMORY'),
          attributes: Object.fromEntries((ci.attributes ?? []).map((a) => [a.name, a.value ?? ''])),
          ...(ci.registeredAt ? { registeredAt: ci.registeredAt.toISOString() } : {}),
        });
      }
    }
    return instances;
  },
};

/**
 * ECS's own verdict on a request (ClientException, InvalidParameterException): retrying the same
 * request cannot succeed. Throttling, server errors and access errors (which an operator can fix)
 * are not refusals: they stay retries.
 */
function refusalOf(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error.name !== 'ClientException' && error.name !== 'InvalidParameterException') return undefined;
  return `${error.name}: ${error.message}`;
}

/** StopTask's answer for a task ARN the cluster does not have. */
function isTaskNotFound(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === 'InvalidParameterException' &&
    /referenced task was not found/i.test(error.message)
  );
}

function ec2InstanceId(node: Node): string {
  return node.metadata?.annotations?.[ec2InstanceIdAnnotation] ?? node.metadata?.name ?? '';
}

function taskViewFromTask(task: Task): TaskView {
  const address = attachmentAddress(task.attachments);
  return {
    taskArn: task.taskArn ?? '',
    lastStatus: task.lastStatus ?? 'PENDING',
    ...(task.desiredStatus ? { desiredStatus: task.desiredStatus } : {}),
    ...(task.version !== undefined ? { version: task.version } : {}),
    ...(task.startedBy ? { startedBy: task.startedBy } : {}),
    ...(task.group ? { group: task.group } : {}),
    ...(task.stopCode ? { stopCode: task.stopCode } : {}),
    ...(task.stoppedReason ? { stoppedReason: task.stoppedReason } : {}),
    ...(task.createdAt ? { createdAt: task.createdAt.toISOString() } : {}),
    ...(task.startedAt ? { startedAt: task.startedAt.toISOString() } : {}),
    ...(task.stoppedAt ? { stoppedAt: task.stoppedAt.toISOString() } : {}),
    ...(address ? { privateIpv4Address: address } : {}),
    containers: (task.containers ?? []).map((c) => ({
      name: c.name ?? '',
      ...(c.lastStatus ? { lastStatus: c.lastStatus } : {}),
      ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.healthStatus ? { healthStatus: c.healthStatus } : {}),
      ...(c.networkInterfaces?.[0]?.privateIpv4Address
        ? { privateIpv4Address: c.networkInterfaces[0].privateIpv4Address }
        : {}),
      ...(networkBindingsOf(c.networkBindings).length > 0
        ? { networkBindings: networkBindingsOf(c.networkBindings) }
        : {}),
    })),
  };
}
