import { createHash } from 'node:crypto';

/** Builds and reads the ARNs of one simulated account and Region. */
export class Arns {
  constructor(
    readonly region: string,
    readonly accountId: string,
  ) {}

  private prefix(): string {
    return `arn:aws:ecs:${this.region}:${this.accountId}`;
  }

  cluster(name: string): string {
    return `${this.prefix()}:cluster/${name}`;
  }

  taskDefinition(family: string, revision: number): string {
    return `${this.prefix()}:task-definition/${family}:${revision}`;
  }

  task(clusterName: string, taskId: string): string {
    return `${this.prefix()}:task/${clusterName}/${taskId}`;
  }

  container(clusterName: string, taskId: string, containerId: string): string {
    return `${this.prefix()}:container/${clusterName}/${taskId}/${containerId}`;
  }

  containerInstance(clusterName: string, id: string): string {
    return `${this.prefix()}:container-instance/${clusterName}/${id}`;
  }
}

/**
 * The last path segment of an ARN (`task/cluster/<id>` -> `<id>`), or the text itself when it is
 * already an id. ECS accepts either wherever it takes a task or container instance.
 */
export function resourceId(identifier: string): string {
  if (!identifier.startsWith('arn:')) return identifier;
  const resource = identifier.split(':').slice(5).join(':');
  return resource.split('/').at(-1) ?? resource;
}

/** Cluster name from a name or a cluster ARN. */
export function clusterName(identifier: string): string {
  return identifier.startsWith('arn:') ? (identifier.split('/').at(-1) ?? identifier) : identifier;
}

/**
 * A 32-hex id derived from stable inputs, so container instance ARNs stay the same across
 * simulator restarts (a persisted control plane still finds its nodes).
 */
export function stableId(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.join('/')).digest('hex').slice(0, 32);
}
