import type { Taint, Toleration } from 'kubernetes-types/core/v1';
import { describe, expect, it } from 'vitest';
import { firePodTimer } from '../../functions/core/controllers/pod-timers';
import { evictForNoExecuteTaints, evictionDue } from '../../functions/core/controllers/taint-eviction';
import type { Node, Pod } from '../../functions/core/k8s';
import type { PodRuntime } from '../../functions/core/ports';
import { nodeObject, storedPod } from '../fixtures';
import { fakeStores, fakeTimers } from './fakes';

// Kubernetes' taint eviction controller: a NoExecute taint deletes the pods on the node that do
// not tolerate it at once, and those that tolerate it for tolerationSeconds once that has passed.

const added = '2026-11-27T10:00:00Z';
const noExecute: Taint = { key: 'maintenance', effect: 'NoExecute', timeAdded: added };

function setup(now = '2026-11-27T10:00:30Z') {
  const stores = fakeStores();
  const timers = fakeTimers();
  let clock = now;
  const deps = { ...stores, timers, now: () => clock };
  const node: Node = { ...nodeObject('node-1'), spec: { taints: [noExecute] } };
  const seed = (name: string, tolerations?: Toleration[]) => {
    const base = storedPod(name);
    const pod: Pod = {
      ...base,
      spec: { ...base.spec, containers: base.spec?.containers ?? [], nodeName: 'node-1', tolerations },
      status: { ...base.status, phase: 'Running' },
    };
    return stores.pods.seed(pod, { taskArn: `task-${name}`, stage: 'run', taskGeneration: 1 });
  };
  const deleting = async (name: string) =>
    (await stores.pods.getPod('default', name, true))?.pod.metadata?.deletionTimestamp !== undefined;
  return { stores, timers, deps, node, seed, deleting, setNow: (next: string) => (clock = next) };
}

describe('taint eviction', () => {
  it('deletes at once the pods that do not tolerate the taint, with a TaintManagerEviction event', async () => {
    const { deps, node, seed, deleting, stores } = setup();
    seed('intolerant');
    seed('tolerant', [{ key: 'maintenance', operator: 'Exists', effect: 'NoExecute' }]);
    expect(await evictForNoExecuteTaints(node, deps)).toBe(1);
    expect(await deleting('intolerant')).toBe(true);
    expect(await deleting('tolerant')).toBe(false);
    const events = await stores.events.listEvents('default');
    expect(events.map((e) => [e.reason, e.message, e.source?.component])).toEqual([
      ['TaintManagerEviction', 'Marking for deletion Pod default/intolerant', 'taint-eviction-controller'],
    ]);
    // Again (a redelivered record, a heartbeat): nothing more is deleted or recorded.
    expect(await evictForNoExecuteTaints(node, deps)).toBe(0);
    expect(await stores.events.listEvents('default')).toHaveLength(1);
  });

  it('deletes a pod tolerating it for tolerationSeconds once they have passed, by a timer', async () => {
    const { deps, node, seed, deleting, timers, setNow } = setup();
    seed('patient', [{ key: 'maintenance', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }]);
    expect(await evictForNoExecuteTaints(node, deps)).toBe(0);
    expect(timers.scheduled).toMatchObject([
      { timer: { kind: 'taint-eviction', name: 'patient' }, delaySeconds: 30 },
    ]);
    await deps.nodes.putNode(node, { cpuMillis: 4000, memoryBytes: 2 ** 33, pods: 110 });
    const timer = timers.scheduled[0]?.timer;
    if (!timer) throw new Error('no timer');
    const fire = () => firePodTimer(timer, { ...deps, runtime: {} as PodRuntime, taintEviction: deps });
    setNow('2026-11-27T10:00:50Z');
    // Early (a timer hop, a clock apart): checked again, and put off again.
    expect(await fire()).toBe('stale');
    expect(await deleting('patient')).toBe(false);
    setNow('2026-11-27T10:01:00Z');
    expect(await fire()).toBe('evicted');
    expect(await deleting('patient')).toBe(true);
  });

  it('keeps a pod whose toleration has no time limit, and one whose taint was removed meanwhile', async () => {
    const { deps, node, seed, deleting, timers } = setup();
    seed('forever', [{ key: 'maintenance', operator: 'Exists' }]);
    expect(await evictForNoExecuteTaints(node, deps)).toBe(0);
    expect(await evictForNoExecuteTaints({ ...node, spec: {} }, deps)).toBe(0);
    expect(await deleting('forever')).toBe(false);
    expect(timers.scheduled).toEqual([]);
  });

  it('takes the shortest tolerationSeconds among the matching tolerations, from the newest taint', () => {
    const later: Taint = { key: 'other', effect: 'NoExecute', timeAdded: '2026-11-27T10:01:00Z' };
    const due = evictionDue(
      [noExecute, later, { key: 'soft', effect: 'NoSchedule' }],
      [
        { operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'other', operator: 'Exists', tolerationSeconds: 120 },
      ],
    );
    expect(due).toEqual(new Date('2026-11-27T10:03:00Z'));
    expect(evictionDue([noExecute], [{ key: 'maintenance', operator: 'Exists', tolerationSeconds: 0 }])).toBe(
      'now',
    );
    expect(evictionDue([{ key: 'soft', effect: 'NoSchedule' }], [])).toBe('never');
  });
});
