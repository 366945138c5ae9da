import type { TaskView } from '../core/ecs/types';
import type { PodRuntime } from '../core/ports';

/**
 * A runtime whose DescribeTasks calls, made by the records of one batch at once, go to ECS
 * together (up to 100 tasks a call, as ECS allows). A batch of ten probe timers costs one call,
 * not ten, which keeps probing under ECS's API rate limits.
 */
export function coalescingDescribeTasks(runtime: PodRuntime): PodRuntime {
  let pending: { arns: Set<string>; result: Promise<Map<string, TaskView>> } | undefined;
  return {
    ...runtime,
    describeTasks: async (taskArns) => {
      if (!pending) {
        const arns = new Set<string>();
        // Everything asked for before the next turn of the event loop rides on one call.
        const result = new Promise<Map<string, TaskView>>((resolve, reject) => {
          setImmediate(() => {
            pending = undefined;
            runtime
              .describeTasks([...arns])
              .then((tasks) => resolve(new Map(tasks.map((t) => [t.taskArn, t]))))
              .catch(reject);
          });
        });
        pending = { arns, result };
      }
      for (const arn of taskArns) pending.arns.add(arn);
      const tasks = await pending.result;
      return taskArns.flatMap((arn) => {
        const task = tasks.get(arn);
        return task ? [task] : [];
      });
    },
  };
}
