import { describe, expect, it } from 'vitest';
import { strategicMerge } from '../../functions/core/api/strategic-merge';
import type { Pod } from '../../functions/core/k8s';

const pod: Pod = {
  metadata: { name: 'web', finalizers: ['a'] },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'nginx:1.27',
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
        resources: { requests: { cpu: '100m' } },
        args: ['-g', 'daemon off;'],
      },
      { name: 'sidecar', image: 'busybox:1.36' },
    ],
    tolerations: [{ key: 'x', operator: 'Exists' }],
  },
};

describe('strategic merge patch of a pod', () => {
  it('changes one container’s image the way `kubectl set image` sends it, keeping the rest', () => {
    const patched = strategicMerge(pod, {
      spec: {
        '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }],
        containers: [{ image: 'nginx:1.28', name: 'app' }],
      },
    }) as Pod;
    const [app, sidecar] = patched.spec?.containers ?? [];
    expect(app).toEqual({ ...pod.spec?.containers[0], image: 'nginx:1.28' });
    expect(sidecar).toEqual(pod.spec?.containers[1]);
  });

  it('merges env and ports by their keys, deletes by key, and replaces lists without a strategy', () => {
    const patched = strategicMerge(pod, {
      spec: {
        containers: [
          {
            name: 'app',
            env: [
              { name: 'B', value: '3' },
              { name: 'C', value: '4' },
              { name: 'A', $patch: 'delete' },
            ],
            ports: [{ containerPort: 80, name: 'http' }],
            args: ['-v'],
          },
        ],
        tolerations: [{ key: 'y', operator: 'Exists' }],
      },
    }) as Pod;
    const [app] = patched.spec?.containers ?? [];
    expect(app?.env).toEqual([
      { name: 'B', value: '3' },
      { name: 'C', value: '4' },
    ]);
    expect(app?.ports).toEqual([{ containerPort: 80, protocol: 'TCP', name: 'http' }]);
    expect(app?.args).toEqual(['-v']);
    expect(patched.spec?.tolerations).toEqual([{ key: 'y', operator: 'Exists' }]);
  });

  it('adds a container it does not know, removes fields set to null, and honours $patch: replace', () => {
    const added = strategicMerge(pod, {
      spec: { containers: [{ name: 'extra', image: 'redis:7' }] },
    }) as Pod;
    expect(added.spec?.containers.map((c) => c.name)).toEqual(['app', 'sidecar', 'extra']);
    const cleared = strategicMerge(pod, {
      spec: { containers: [{ name: 'app', resources: null }] },
    }) as Pod;
    expect(cleared.spec?.containers[0]?.resources).toBeUndefined();
    const replaced = strategicMerge(pod, {
      spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'redis:7' }] },
    }) as Pod;
    expect(replaced.spec?.containers).toEqual([{ name: 'only', image: 'redis:7' }]);
  });

  it('treats finalizers as a set, with $deleteFromPrimitiveList', () => {
    expect(
      (strategicMerge(pod, { metadata: { finalizers: ['a', 'b'] } }) as Pod).metadata?.finalizers,
    ).toEqual(['a', 'b']);
    expect(
      (strategicMerge(pod, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }) as Pod).metadata
        ?.finalizers,
    ).toEqual([]);
  });

  it('orders a merged list by $setElementOrder', () => {
    const patched = strategicMerge(pod, {
      spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }], containers: [] },
    }) as Pod;
    expect(patched.spec?.containers.map((c) => c.name)).toEqual(['sidecar', 'app']);
  });

  it('cannot reach a prototype', () => {
    const patched = strategicMerge(pod, JSON.parse('{"metadata":{"__proto__":{"polluted":true}}}')) as {
      metadata: Record<string, unknown>;
    };
    expect(Object.hasOwn(patched.metadata, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
