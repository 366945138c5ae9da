import { describe, expect, it } from 'vitest';
import type { Pod } from '../../functions/core/k8s';
import { useEcsLaunch } from './ecs-launch-harness';

// A burst of pods of one spec shares one task definition: the kubelet's ECS adapter asks ECS
// for it once, however many launches start while the first lookup runs.

const calls: string[] = [];
const ecs = useEcsLaunch(undefined, ({ operation }, run) => {
  calls.push(operation);
  return run();
});

const pod = (n: number, image: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: `web-${n}`,
    namespace: 'default',
    uid: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  },
  spec: { containers: [{ name: 'web', image }] },
});
const count = (operation: string) => calls.filter((c) => c === operation).length;

describe('task definitions for a burst of pods', () => {
  it('looks a spec up and registers it once for launches that start together', async () => {
    calls.length = 0;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => ecs.launchPod(pod(i + 1, 'nginx:burst'))),
    );
    expect(results.map((r) => r.kind)).toEqual(Array(10).fill('launched'));
    expect(count('DescribeTaskDefinition')).toBe(1);
    expect(count('RegisterTaskDefinition')).toBe(1);
    expect(count('RunTask')).toBe(10);
  });

  it('asks nothing more for a spec it registered, and asks again for a new one', async () => {
    calls.length = 0;
    expect((await ecs.launchPod(pod(11, 'nginx:burst'))).kind).toBe('launched');
    expect(count('DescribeTaskDefinition') + count('RegisterTaskDefinition')).toBe(0);
    expect((await ecs.launchPod(pod(12, 'nginx:other'))).kind).toBe('launched');
    expect(count('RegisterTaskDefinition')).toBe(1);
  });
});
