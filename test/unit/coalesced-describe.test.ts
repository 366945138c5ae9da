import { describe, expect, it } from 'vitest';
import { coalescingDescribeTasks } from '../../functions/commons/coalesced-describe';
import type { TaskView } from '../../functions/core/ecs/types';
import type { PodRuntime } from '../../functions/core/ports';

const view = (taskArn: string): TaskView => ({ taskArn, lastStatus: 'RUNNING', containers: [] });

function countingRuntime(known: readonly string[]) {
  const calls: string[][] = [];
  const runtime = {
    describeTasks: async (arns: readonly string[]) => {
      calls.push([...arns]);
      return arns.filter((a) => known.includes(a)).map(view);
    },
  } as unknown as PodRuntime;
  return { calls, runtime };
}

describe('coalescingDescribeTasks', () => {
  it('asks ECS once for what records ask at the same time, and gives each record its own tasks', async () => {
    const { calls, runtime } = countingRuntime(['a', 'b', 'c']);
    const coalesced = coalescingDescribeTasks(runtime);
    const [one, two, gone] = await Promise.all([
      coalesced.describeTasks(['a']),
      coalesced.describeTasks(['b', 'c']),
      coalesced.describeTasks(['forgotten']),
    ]);
    expect(calls).toEqual([['a', 'b', 'c', 'forgotten']]);
    expect(one.map((t) => t.taskArn)).toEqual(['a']);
    expect(two.map((t) => t.taskArn)).toEqual(['b', 'c']);
    expect(gone).toEqual([]);
  });

  it('makes a new call for a later question, and passes a failure to everyone who asked', async () => {
    const { calls, runtime } = countingRuntime(['a']);
    const coalesced = coalescingDescribeTasks(runtime);
    await coalesced.describeTasks(['a']);
    await coalesced.describeTasks(['a']);
    expect(calls).toHaveLength(2);
    const failing = coalescingDescribeTasks({
      describeTasks: async () => {
        throw new Error('ThrottlingException');
      },
    } as unknown as PodRuntime);
    const results = await Promise.allSettled([failing.describeTasks(['a']), failing.describeTasks(['b'])]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
