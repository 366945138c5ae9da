import type {
  DeregisterTaskDefinitionRequest,
  DescribeTaskDefinitionRequest,
  ListTaskDefinitionsRequest,
  RegisterTaskDefinitionRequest,
} from '@aws-sdk/client-ecs';
import { clientException } from '../errors';
import { paginate } from '../pagination';
import type { Wire } from '../wire';
import { type Operation, operation, required } from './operation';

export const taskDefinitionOperations: Record<string, Operation> = {
  RegisterTaskDefinition: operation<Wire<RegisterTaskDefinitionRequest>>((state, request) => {
    const registered = state.taskDefinitions.register(request);
    return { taskDefinition: registered.definition, tags: registered.tags };
  }),

  DescribeTaskDefinition: operation<Wire<DescribeTaskDefinitionRequest>>((state, request) => {
    const registered = state.taskDefinitions.find(required(request.taskDefinition, 'taskDefinition'));
    if (!registered) throw clientException('Unable to describe task definition.');
    return {
      taskDefinition: registered.definition,
      ...(request.include?.includes('TAGS') ? { tags: registered.tags } : {}),
    };
  }),

  DeregisterTaskDefinition: operation<Wire<DeregisterTaskDefinitionRequest>>((state, request) => ({
    taskDefinition: state.taskDefinitions.deregister(required(request.taskDefinition, 'taskDefinition'))
      .definition,
  })),

  ListTaskDefinitions: operation<Wire<ListTaskDefinitionsRequest>>((state, request) => {
    const { page, nextToken } = paginate(state.taskDefinitions.list(request), request);
    return { taskDefinitionArns: page, ...(nextToken ? { nextToken } : {}) };
  }),
};
