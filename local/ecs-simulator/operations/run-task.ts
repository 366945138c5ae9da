import type { Failure, RunTaskRequest } from '@aws-sdk/client-ecs';
import { taskBehaviour } from '../behaviour';
import {
  type ResourceClaim,
  type ResourceNeeds,
  reserve,
  type SimContainerInstance,
} from '../container-instances';
import { clientException, invalidParameter, throttling } from '../errors';
import type { SimTask } from '../model';
import { newTaskEni, portPlan } from '../networking';
import { newTask, normalizedOverrides, taskSizing } from '../new-task';
import { parsePlacementConstraints, placeTask } from '../placement';
import type { SimulatorState } from '../state';
import type { RegisteredTaskDefinition } from '../task-definitions';
import { TimerGroup } from '../timers';
import type { Wire } from '../wire';
import { toWireTask } from '../wire-task';
import { type Operation, operation, required } from './operation';

const fargateProviders = new Set(['FARGATE', 'FARGATE_SPOT']);

export const runTaskOperations: Record<string, Operation> = {
  RunTask: operation<Wire<RunTaskRequest>>((state, request) => {
    state.counters.runTaskCalls += 1;
    // Throttling comes first, as at ECS's front door: a retry with a known clientToken is still a
    // call, and still takes a token from the bucket.
    if (state.runTaskRate && !state.runTaskRate.tryTake()) {
      state.counters.runTaskThrottles += 1;
      throw throttling();
    }
    const clusterArn = state.resolveCluster(request.cluster);
    validateRunTask(request);
    const token = request.clientToken;
    const earlier = token ? state.tasks.recall(token) : undefined;
    if (earlier) {
      return {
        tasks: earlier.tasks.map((task) => toWireTask(task, { includeTags: true })),
        failures: earlier.failures,
      };
    }
    const registered = state.taskDefinitions.find(required(request.taskDefinition, 'taskDefinition'));
    if (!registered) throw clientException('TaskDefinition not found.');
    if (registered.definition.status !== 'ACTIVE') throw clientException('TaskDefinition is inactive');
    const { tasks, failures } = launchTasks(state, clusterArn, registered, request);
    // Only a call that launched something is remembered: when nothing could be placed, a retry
    // with the same token may try again once there is room, and still never launches twice.
    if (token && tasks.length > 0)
      state.tasks.rememberClientToken(
        token,
        tasks.map((task) => task.taskId),
        failures,
      );
    for (const task of tasks) state.lifecycle.start(task);
    return { tasks: tasks.map((task) => toWireTask(task, { includeTags: true })), failures };
  }),
};

function validateRunTask(request: Wire<RunTaskRequest>): void {
  const count = request.count ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > 10) {
    throw invalidParameter('count must be between 1 and 10.');
  }
  if (request.startedBy !== undefined && request.startedBy.length > 36) {
    throw invalidParameter('startedBy must be at most 36 characters.');
  }
  if (request.clientToken !== undefined && !/^[\x20-\x7e]{1,64}$/.test(request.clientToken)) {
    throw invalidParameter('clientToken must be 1 to 64 ASCII characters.');
  }
  if (request.group !== undefined && request.group.length > 255) {
    throw invalidParameter('group must be at most 255 characters.');
  }
  if ((request.tags?.length ?? 0) > 50) throw invalidParameter('A task can have at most 50 tags.');
  if (request.launchType && request.capacityProviderStrategy?.length) {
    throw invalidParameter('Specifying both a launch type and capacity provider strategy is not supported.');
  }
  // "A total of 8192 characters are allowed for overrides", JSON formatting included.
  const containerOverrides = request.overrides?.containerOverrides;
  if (containerOverrides && JSON.stringify(containerOverrides).length > maxOverridesLength) {
    throw invalidParameter(`Container Overrides length must be at most ${maxOverridesLength}`);
  }
}

const maxOverridesLength = 8192;
/** AwsVpcConfiguration: "a limit of 16 subnets", "a limit of 5 security groups". */
const maxSubnets = 16;
const maxSecurityGroups = 5;

interface LaunchTarget {
  readonly launchType: 'EC2' | 'FARGATE';
  readonly capacityProviderName?: string;
}

/** EC2 container instances, or Fargate (no instance, no resource accounting). */
function launchTarget(request: Wire<RunTaskRequest>): LaunchTarget {
  const strategy = request.capacityProviderStrategy ?? [];
  if (strategy.length > 0) {
    // The provider with the base (or, failing that, the largest weight) gets the task.
    const chosen = [...strategy].sort(
      (a, b) => (b.base ?? 0) - (a.base ?? 0) || (b.weight ?? 0) - (a.weight ?? 0),
    )[0];
    const name = chosen?.capacityProvider ?? '';
    return fargateProviders.has(name)
      ? { launchType: 'FARGATE', capacityProviderName: name }
      : { launchType: 'EC2', capacityProviderName: name };
  }
  const launchType = request.launchType ?? 'EC2';
  if (launchType !== 'EC2' && launchType !== 'FARGATE') {
    throw invalidParameter(`The simulator runs tasks on EC2 or FARGATE, not ${launchType}.`);
  }
  return { launchType };
}

/**
 * RunTask's network configuration against the definition's network mode: awsvpc needs 1 to 16
 * subnets and takes at most 5 security groups; a public IP only on Fargate (an EC2 task's ENI
 * gets none); other network modes take no network configuration.
 */
function checkNetworking(
  registered: RegisteredTaskDefinition,
  request: Wire<RunTaskRequest>,
  target: LaunchTarget,
) {
  const awsvpc = registered.definition.networkMode === 'awsvpc';
  const configuration = request.networkConfiguration?.awsvpcConfiguration;
  const subnets = configuration?.subnets ?? [];
  if (awsvpc && subnets.length === 0) {
    throw invalidParameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
  }
  if (!awsvpc && request.networkConfiguration) {
    throw invalidParameter(
      'Network Configuration is not valid for the given networkMode of this task definition.',
    );
  }
  if (subnets.length > maxSubnets) throw invalidParameter(`subnets can have at most ${maxSubnets} items.`);
  if ((configuration?.securityGroups?.length ?? 0) > maxSecurityGroups) {
    throw invalidParameter(`securityGroups can have at most ${maxSecurityGroups} items.`);
  }
  if (configuration?.assignPublicIp === 'ENABLED' && target.launchType !== 'FARGATE') {
    throw invalidParameter('Assign public IP is not supported for this launch type.');
  }
  if (target.launchType === 'FARGATE' && !registered.definition.compatibilities?.includes('FARGATE')) {
    throw invalidParameter('Task definition does not support launch_type FARGATE.');
  }
}

function launchTasks(
  state: SimulatorState,
  clusterArn: string,
  registered: RegisteredTaskDefinition,
  request: Wire<RunTaskRequest>,
): { tasks: SimTask[]; failures: Wire<Failure>[] } {
  const target = launchTarget(request);
  checkNetworking(registered, request, target);
  const overrides = request.overrides ?? {};
  const sizing = taskSizing(registered, overrides);
  const placement = parsePlacementConstraints([
    ...(registered.definition.placementConstraints ?? []),
    ...(request.placementConstraints ?? []),
  ]);
  if (target.launchType === 'EC2' && state.containerInstances.length === 0) {
    throw invalidParameter('No Container Instances were found in your cluster.');
  }
  const behaviour = taskBehaviour(
    registered.definition.containerDefinitions,
    state.config.defaultStartDelayMs,
  );
  const tags = [
    ...(request.propagateTags === 'TASK_DEFINITION' ? registered.tags : []),
    ...(request.tags ?? []),
  ];
  const networkMode = registered.definition.networkMode as SimTask['networkMode'];
  const ports = portPlan(registered.definition.containerDefinitions, networkMode);
  const needs: ResourceNeeds = {
    cpu: sizing.cpu,
    memory: sizing.memory,
    // An awsvpc task on EC2 takes one of the instance's ENIs (Fargate brings its own).
    eni: networkMode === 'awsvpc',
    staticPorts: ports.staticPorts,
    dynamicPorts: ports.dynamicPorts,
  };
  const subnets = request.networkConfiguration?.awsvpcConfiguration?.subnets ?? [];
  const tasks: SimTask[] = [];
  const failures: Wire<Failure>[] = [];
  const used = new Set<SimContainerInstance>();
  for (let i = 0; i < (request.count ?? 1); i++) {
    let instance: SimContainerInstance | undefined;
    let claim: ResourceClaim | undefined;
    if (target.launchType === 'EC2') {
      const placed = placeTask(
        state.containerInstances,
        { needs, ...placement, strategies: request.placementStrategy ?? [] },
        used,
      );
      if ('failure' in placed) {
        failures.push(placed.failure);
        continue;
      }
      instance = placed.instance;
      claim = reserve(instance, needs);
      used.add(instance);
    }
    // Subnets are taken in turn; which zone a subnet is in is not modelled.
    const subnetId = subnets[state.tasks.launchedCount % Math.max(subnets.length, 1)];
    const task = newTask({
      arns: state.arns,
      clusterName: state.config.clusterName,
      clusterArn,
      registered,
      sizing,
      overrides: normalizedOverrides(registered, overrides),
      ...target,
      ...(instance ? { containerInstance: instance } : {}),
      availabilityZone: instance?.availabilityZone ?? state.nextFargateZone(),
      networkMode,
      ...(networkMode === 'awsvpc' && subnetId
        ? {
            eni: newTaskEni({
              subnetId,
              privateIpv4Address: state.tasks.nextPrivateIpv4Address(),
              region: state.config.region,
            }),
          }
        : {}),
      ...(claim ? { claim } : {}),
      portBindings: ports.bindings(claim),
      ...(request.group ? { group: request.group } : {}),
      ...(request.startedBy ? { startedBy: request.startedBy } : {}),
      tags,
      enableExecuteCommand: request.enableExecuteCommand ?? false,
      behaviour,
      timers: new TimerGroup(state.timers),
      now: state.now(),
    });
    state.tasks.add(task);
    tasks.push(task);
  }
  return { tasks, failures };
}
