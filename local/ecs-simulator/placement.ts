import type { Failure, PlacementConstraint, PlacementStrategy } from '@aws-sdk/client-ecs';
import { type ResourceNeeds, type SimContainerInstance, shortfall } from './container-instances';
import { invalidParameter } from './errors';
import type { Wire } from './wire';

/**
 * Task placement on EC2 container instances: constraints filter instances (a subset of ECS's
 * cluster query language), resources must fit, and a strategy orders what is left.
 */

type InstanceTest = (instance: SimContainerInstance) => boolean;

export interface PlacementRequest {
  readonly needs: ResourceNeeds;
  readonly memberOf: readonly InstanceTest[];
  readonly distinctInstance: boolean;
  readonly strategies: readonly Wire<PlacementStrategy>[];
}

export type PlacementResult =
  | { readonly instance: SimContainerInstance }
  | { readonly failure: Wire<Failure> };

/**
 * Reads RunTask's and the task definition's constraints. Unknown types and expressions the
 * simulator cannot read are rejected, so a typo is not silently placed anywhere.
 */
export function parsePlacementConstraints(constraints: readonly Wire<PlacementConstraint>[]): {
  memberOf: InstanceTest[];
  distinctInstance: boolean;
} {
  const memberOf: InstanceTest[] = [];
  let distinctInstance = false;
  for (const constraint of constraints) {
    if (constraint.type === 'distinctInstance') {
      if (constraint.expression) {
        throw invalidParameter('The distinctInstance placement constraint does not take an expression.');
      }
      distinctInstance = true;
    } else if (constraint.type === 'memberOf') {
      memberOf.push(parseExpression(constraint.expression ?? ''));
    } else {
      throw invalidParameter(`Invalid placement constraint type: ${constraint.type}`);
    }
  }
  return { memberOf, distinctInstance };
}

/**
 * `ec2InstanceId in ['i-1', 'i-2']`, `ec2InstanceId == i-1`, `attribute:ecs.availability-zone
 * != us-east-1a`, `attribute:ecs.instance-type =~ m5.*`, joined with `and` / `or` (no parentheses).
 */
export function parseExpression(expression: string): InstanceTest {
  if (!expression.trim()) throw invalidParameter('A memberOf placement constraint requires an expression.');
  const alternatives = expression
    .split(/\s+or\s+/i)
    .map((alternative) => alternative.split(/\s+and\s+/i).map((clause) => parseClause(clause, expression)));
  return (instance) => alternatives.some((clauses) => clauses.every((clause) => clause(instance)));
}

function parseClause(clause: string, expression: string): InstanceTest {
  const match = /^\s*([A-Za-z][\w:.-]*)\s*(==|!=|=~|not\s+in|in)\s*(.+?)\s*$/i.exec(clause);
  const [, subject = '', rawOperator = '', rawValue = ''] = match ?? [];
  if (!match) throw invalidParameter(`Unable to parse placement constraint expression: ${expression}`);
  const propertyOf = instanceProperty(subject, expression);
  const operator = rawOperator.toLowerCase().replace(/\s+/, ' ');
  if (operator === 'in' || operator === 'not in') {
    const list = /^\[(.*)\]$/.exec(rawValue)?.[1];
    if (list === undefined)
      throw invalidParameter(`Unable to parse placement constraint expression: ${expression}`);
    const values = new Set(
      list
        .split(',')
        .map(unquote)
        .filter((v) => v !== ''),
    );
    return operator === 'in'
      ? (instance) => values.has(propertyOf(instance) ?? '')
      : (instance) => !values.has(propertyOf(instance) ?? '');
  }
  const value = unquote(rawValue);
  if (operator === '==') return (instance) => propertyOf(instance) === value;
  if (operator === '!=') return (instance) => propertyOf(instance) !== value;
  const pattern = new RegExp(`^${value.split('*').map(escapeRegExp).join('.*')}$`);
  return (instance) => pattern.test(propertyOf(instance) ?? '');
}

function instanceProperty(
  subject: string,
  expression: string,
): (instance: SimContainerInstance) => string | undefined {
  if (subject === 'ec2InstanceId') return (instance) => instance.ec2InstanceId;
  if (subject === 'agentConnected') return () => 'true';
  if (subject === 'runningTasksCount') return (instance) => String(instance.runningTasksCount);
  if (subject.startsWith('attribute:')) {
    const name = subject.slice('attribute:'.length);
    return (instance) => instance.attributes[name];
  }
  throw invalidParameter(`Unsupported attribute in placement constraint expression: ${expression}`);
}

function unquote(text: string): string {
  return text.trim().replace(/^(['"])(.*)\1$/, '$2');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Picks an instance for one task, or says why none fits in ECS's words: `RESOURCE:CPU`,
 * `RESOURCE:MEMORY`, `RESOURCE:PORTS` (a static host port taken), `RESOURCE:ENI` (no ENI left for
 * an awsvpc task), or an unsatisfied constraint. A resource failure names the first instance that
 * met the constraints, with the first resource it is short of.
 */
export function placeTask(
  instances: readonly SimContainerInstance[],
  request: PlacementRequest,
  usedInThisCall: ReadonlySet<SimContainerInstance>,
): PlacementResult {
  const members = instances.filter(
    (instance) =>
      request.memberOf.every((test) => test(instance)) &&
      !(request.distinctInstance && usedInThisCall.has(instance)),
  );
  const fitting = members.filter((instance) => shortfall(instance, request.needs) === undefined);
  const [chosen] = orderByStrategy(fitting, request);
  if (chosen) return { instance: chosen };
  const first = members[0];
  if (first) {
    return {
      failure: { arn: first.containerInstanceArn, reason: shortfall(first, request.needs) ?? 'RESOURCE:CPU' },
    };
  }
  const anyInstance = instances[0];
  return {
    failure: {
      ...(anyInstance ? { arn: anyInstance.containerInstanceArn } : {}),
      reason: request.distinctInstance
        ? 'DistinctInstance placement constraint unsatisfied.'
        : 'MemberOf placement constraint unsatisfied.',
    },
  };
}

/**
 * ECS's strategies in order of precedence. With none given, the simulator spreads over instances
 * (fewest tasks first, then instance order) so placement is predictable in tests.
 */
function orderByStrategy(
  candidates: SimContainerInstance[],
  request: PlacementRequest,
): SimContainerInstance[] {
  const defaultStrategy: Wire<PlacementStrategy> = { type: 'spread', field: 'instanceId' };
  const strategies = request.strategies.length > 0 ? request.strategies : [defaultStrategy];
  const keys = strategies.map((strategy) => strategyKey(strategy, candidates));
  return candidates
    .map((instance, index) => ({ instance, index }))
    .sort((a, b) => {
      for (const key of keys) {
        const difference = key(a.instance) - key(b.instance);
        if (difference !== 0) return difference;
      }
      return a.index - b.index;
    })
    .map(({ instance }) => instance);
}

function strategyKey(
  strategy: Wire<PlacementStrategy>,
  candidates: readonly SimContainerInstance[],
): (instance: SimContainerInstance) => number {
  const field = (strategy.field ?? '').toLowerCase();
  switch (strategy.type) {
    case 'binpack':
      // Least remaining first: fill one instance before starting the next.
      if (field === 'cpu') return (instance) => instance.remainingCpu;
      if (field === 'memory') return (instance) => instance.remainingMemory;
      throw invalidParameter(`Invalid field for binpack placement strategy: ${strategy.field}`);
    case 'spread': {
      const tasksOn = (instance: SimContainerInstance) =>
        instance.runningTasksCount + instance.pendingTasksCount;
      if (field === 'instanceid' || field === 'host') return tasksOn;
      if (field.startsWith('attribute:')) {
        const name = (strategy.field ?? '').slice('attribute:'.length);
        const perValue = new Map<string, number>();
        for (const instance of candidates) {
          const value = instance.attributes[name] ?? '';
          perValue.set(value, (perValue.get(value) ?? 0) + tasksOn(instance));
        }
        return (instance) => perValue.get(instance.attributes[name] ?? '') ?? 0;
      }
      throw invalidParameter(`Invalid field for spread placement strategy: ${strategy.field}`);
    }
    case 'random': {
      const weights = new Map(candidates.map((instance) => [instance, Math.random()]));
      return (instance) => weights.get(instance) ?? 0;
    }
    default:
      throw invalidParameter(`Invalid placement strategy type: ${strategy.type}`);
  }
}
