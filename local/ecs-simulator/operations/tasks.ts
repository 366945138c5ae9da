import type { DescribeTasksRequest, ListTasksRequest, StopTaskRequest } from '@aws-sdk/client-ecs';
import { resourceId } from '../arns';
import { invalidParameter } from '../errors';
import type { SimTask } from '../model';
import { paginate } from '../pagination';
import type { Wire } from '../wire';
import { toWireTask } from '../wire-task';
import { type Operation, operation, required } from './operation';

export const taskOperations: Record<string, Operation> = {
  StopTask: operation<Wire<StopTaskRequest>>((state, request) => {
    state.resolveCluster(request.cluster);
    const task = state.tasks.find(required(request.task, 'task'));
    if (!task) throw invalidParameter('The referenced task was not found.');
    // A task already stopping or stopped comes back as it is; its first stop reason stands.
    state.lifecycle.stop(task, 'UserInitiated', request.reason || 'Task stopped by user');
    return { task: toWireTask(task, { includeTags: false }) };
  }),

  DescribeTasks: operation<Wire<DescribeTasksRequest>>((state, request) => {
    state.resolveCluster(request.cluster);
    const requested = required(request.tasks, 'tasks');
    if (requested.length === 0) throw invalidParameter('Tasks cannot be empty.');
    if (requested.length > 100) throw invalidParameter('Tasks cannot contain more than 100 elements.');
    const includeTags = request.include?.includes('TAGS') ?? false;
    const found = requested.map((identifier) => ({ identifier, task: state.tasks.find(identifier) }));
    return {
      tasks: found.flatMap(({ task }) => (task ? [toWireTask(task, { includeTags })] : [])),
      failures: found
        .filter(({ task }) => !task)
        .map(({ identifier }) => ({
          arn: identifier.startsWith('arn:')
            ? identifier
            : state.arns.task(state.config.clusterName, identifier),
          reason: 'MISSING',
        })),
    };
  }),

  ListTasks: operation<Wire<ListTasksRequest>>((state, request) => {
    state.resolveCluster(request.cluster);
    const matches = listFilter(request);
    const arns = [...state.tasks.all()].filter(matches).map((task) => task.taskArn);
    const { page, nextToken } = paginate(arns, request);
    return { taskArns: page, ...(nextToken ? { nextToken } : {}) };
  }),
};

/**
 * ListTasks' filters. Without `desiredStatus` ECS lists tasks meant to run; PENDING is accepted
 * but, as in ECS, matches nothing. There are no services, so `serviceName` matches nothing.
 */
function listFilter(request: Wire<ListTasksRequest>): (task: SimTask) => boolean {
  const desiredStatus = request.desiredStatus ?? 'RUNNING';
  const instanceId = request.containerInstance ? resourceId(request.containerInstance) : undefined;
  return (task) =>
    task.desiredStatus === desiredStatus &&
    !request.serviceName &&
    (!request.startedBy || task.startedBy === request.startedBy) &&
    (!request.family || familyOf(task.taskDefinitionArn) === request.family) &&
    (!request.launchType || task.launchType === request.launchType) &&
    (!instanceId || task.containerInstance?.id === instanceId);
}

function familyOf(taskDefinitionArn: string): string {
  return (taskDefinitionArn.split('task-definition/')[1] ?? '').split(':')[0] ?? '';
}
