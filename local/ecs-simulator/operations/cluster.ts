import type {
  Cluster,
  DescribeClustersRequest,
  DescribeContainerInstancesRequest,
  ListContainerInstancesRequest,
} from '@aws-sdk/client-ecs';
import { clusterName, resourceId } from '../arns';
import { toWireContainerInstance } from '../container-instances';
import { invalidParameter } from '../errors';
import { paginate } from '../pagination';
import { parseExpression } from '../placement';
import type { SimulatorState } from '../state';
import type { Wire } from '../wire';
import { type Operation, operation, required } from './operation';

export const clusterOperations: Record<string, Operation> = {
  DescribeClusters: operation<Wire<DescribeClustersRequest>>((state, request) => {
    const requested = request.clusters?.length ? request.clusters : ['default'];
    const known = requested.filter((c) => clusterName(c) === state.config.clusterName);
    const missing = requested.filter((c) => clusterName(c) !== state.config.clusterName);
    return {
      clusters: known.length > 0 ? [describeCluster(state)] : [],
      failures: missing.map((c) => ({
        arn: c.startsWith('arn:') ? c : state.arns.cluster(c),
        reason: 'MISSING',
      })),
    };
  }),

  ListClusters: operation((state) => ({ clusterArns: [state.clusterArn] })),

  ListContainerInstances: operation<Wire<ListContainerInstancesRequest>>((state, request) => {
    state.resolveCluster(request.cluster);
    // Every simulated instance is ACTIVE; asking for another status lists none.
    const status = request.status ?? 'ACTIVE';
    const matches = request.filter ? parseExpression(request.filter) : () => true;
    const arns = state.containerInstances
      .filter((instance) => status === 'ACTIVE' && matches(instance))
      .map((instance) => instance.containerInstanceArn);
    const { page, nextToken } = paginate(arns, request);
    return { containerInstanceArns: page, ...(nextToken ? { nextToken } : {}) };
  }),

  DescribeContainerInstances: operation<Wire<DescribeContainerInstancesRequest>>((state, request) => {
    state.resolveCluster(request.cluster);
    const requested = required(request.containerInstances, 'containerInstances');
    if (requested.length === 0 || requested.length > 100) {
      throw invalidParameter('containerInstances must list between 1 and 100 container instances.');
    }
    const byId = new Map(state.containerInstances.map((instance) => [instance.id, instance]));
    const found = requested.map((identifier) => ({ identifier, instance: byId.get(resourceId(identifier)) }));
    return {
      containerInstances: found.flatMap(({ instance }) =>
        instance ? [toWireContainerInstance(instance)] : [],
      ),
      failures: found
        .filter(({ instance }) => !instance)
        .map(({ identifier }) => ({
          arn: identifier.startsWith('arn:')
            ? identifier
            : state.arns.containerInstance(state.config.clusterName, identifier),
          reason: 'MISSING',
        })),
    };
  }),
};

function describeCluster(state: SimulatorState): Wire<Cluster> {
  let running = 0;
  let pending = 0;
  for (const task of state.tasks.all()) {
    if (task.lastStatus === 'RUNNING') running += 1;
    else if (['PROVISIONING', 'PENDING', 'ACTIVATING'].includes(task.lastStatus)) pending += 1;
  }
  return {
    clusterArn: state.clusterArn,
    clusterName: state.config.clusterName,
    status: 'ACTIVE',
    registeredContainerInstancesCount: state.containerInstances.length,
    runningTasksCount: running,
    pendingTasksCount: pending,
    activeServicesCount: 0,
    statistics: [],
    tags: [],
    settings: [{ name: 'containerInsights', value: 'disabled' }],
    capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
    defaultCapacityProviderStrategy: [],
  };
}
