import { describe, expect, it } from 'vitest';
import type { Event } from '../../functions/core/events';
import type { Pod } from '../../functions/core/k8s';
import { storedPod } from '../fixtures';
import { apiHarness } from './api-harness';

/** A pod bound to a node and Ready, labelled `app`. */
function readyPod(name: string, app = 'a'): Pod {
  const pod = storedPod(name);
  return {
    ...pod,
    metadata: { ...pod.metadata, labels: { app } },
    spec: { ...pod.spec, containers: pod.spec?.containers ?? [], nodeName: 'node-1' },
    status: { ...pod.status, phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

const event = (name: string, reason: string): Event => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name, namespace: 'default' },
  involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' },
  reason,
  message: reason,
  type: 'Normal',
});

describe('pods deletecollection', () => {
  it('deletes the selected pods as single deletes would, and answers the list deleted', async () => {
    const { call, stores } = apiHarness();
    stores.pods.seed(readyPod('a1'));
    stores.pods.seed({ ...readyPod('a2'), spec: { ...readyPod('a2').spec, containers: [], nodeName: '' } });
    stores.pods.seed(readyPod('b1', 'b'));
    const dryRun = await call('DELETE', '/api/v1/namespaces/default/pods', {
      query: { labelSelector: 'app=a', dryRun: 'All' },
    });
    expect(dryRun.json.items).toHaveLength(2);
    expect(await stores.pods.listPods('default')).toHaveLength(3);
    const response = await call('DELETE', '/api/v1/namespaces/default/pods', {
      query: { labelSelector: 'app=a' },
      body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 5 },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json.kind).toBe('PodList');
    expect(response.json.items.map((p: Pod) => p.metadata?.name)).toEqual(['a1', 'a2']);
    // The running pod is terminating with the grace period asked for; the unbound one is gone.
    const left = await stores.pods.listPods('default');
    expect(left.map((p) => [p.metadata?.name, p.metadata?.deletionGracePeriodSeconds])).toEqual([
      ['a1', 5],
      ['b1', undefined],
    ]);
  });
});

describe('events delete and deletecollection', () => {
  it('delete one event, or those a field selector selects, and watches see them go', async () => {
    const { call, stores } = apiHarness();
    await stores.events.record(event('web.1', 'Pulled'));
    await stores.events.record(event('web.2', 'Started'));
    await stores.events.record(event('web.3', 'Killing'));
    const one = await call('DELETE', '/api/v1/namespaces/default/events/web.1');
    expect(one.json).toMatchObject({ status: 'Success', details: { name: 'web.1', kind: 'events' } });
    expect((await call('DELETE', '/api/v1/namespaces/default/events/web.1')).statusCode).toBe(404);
    const collection = await call('DELETE', '/api/v1/namespaces/default/events', {
      query: { fieldSelector: 'reason=Started' },
    });
    expect(collection.json.kind).toBe('EventList');
    expect(collection.json.items.map((e: Event) => e.metadata?.name)).toEqual(['web.2']);
    const left = await call('GET', '/api/v1/namespaces/default/events');
    expect(left.json.items.map((e: Event) => e.metadata?.name)).toEqual(['web.3']);
    const changes = await stores.events.eventChangesSince('default', 0);
    expect(changes.filter((c) => c.deleted).map((c) => c.key)).toEqual(['default/web.1', 'default/web.2']);
  });
});
