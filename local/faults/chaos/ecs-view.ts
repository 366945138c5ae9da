import { DescribeTasksCommand, ECSClient, ListTasksCommand, type Task } from '@aws-sdk/client-ecs';
import { noFaultsHeader } from '../ecs';

/**
 * The ECS simulator as the checks read it: through its API, with a header that exempts the calls
 * from faults, so a check never mistakes an injected error for what ECS holds.
 */
export class EcsView {
  private readonly client: ECSClient;

  constructor(
    endpoint: string,
    private readonly cluster: string,
  ) {
    this.client = new ECSClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'podplane', secretAccessKey: 'podplane' },
    });
    this.client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers) request.headers[noFaultsHeader] = '1';
        return next(args);
      },
      { step: 'build', name: 'podplaneNoFaults' },
    );
  }

  /** Tasks ECS means to run (desiredStatus RUNNING) that have not stopped. */
  async liveTasks(): Promise<Task[]> {
    const arns: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListTasksCommand({ cluster: this.cluster, desiredStatus: 'RUNNING', nextToken }),
      );
      arns.push(...(page.taskArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    const tasks: Task[] = [];
    for (let i = 0; i < arns.length; i += 100) {
      const out = await this.client.send(
        new DescribeTasksCommand({ cluster: this.cluster, tasks: arns.slice(i, i + 100) }),
      );
      tasks.push(...(out.tasks ?? []).filter((t) => t.lastStatus !== 'STOPPED'));
    }
    return tasks;
  }

  destroy(): void {
    this.client.destroy();
  }
}

/** Pods (by the uid their tasks were started by) with more than one live task. */
export function podsWithSeveralTasks(tasks: readonly Task[]): Map<string, string[]> {
  const byPod = new Map<string, string[]>();
  for (const task of tasks) {
    const uid = task.startedBy ?? '';
    byPod.set(uid, [...(byPod.get(uid) ?? []), task.taskArn ?? '']);
  }
  return new Map([...byPod].filter(([, arns]) => arns.length > 1));
}
