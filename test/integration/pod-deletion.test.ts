import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { dynamo } from '../../functions/adapters/dynamodb/client';
import type { ObjectItem } from '../../functions/adapters/dynamodb/items';
import { dynamoNodeStore } from '../../functions/adapters/dynamodb/node-store';
import { dynamoPodStore, podRecordFromItem } from '../../functions/adapters/dynamodb/pod-store';
import { deletePodAndDependents } from '../../functions/core/api/pod-delete';
import { podStrategy } from '../../functions/core/api/pod-strategy';
import type { ApiDeps } from '../../functions/core/api/pods';
import { finishDeletion } from '../../functions/core/controllers/finish-deletion';
import type { Pod } from '../../functions/core/k8s';
import { environmentVariables } from '../../functions/wiring';
import { GiB, nodeObject, storedPod } from '../fixtures';
import { useFreshTable } from './support';

// A deletion on the real store: finalizers keep a deleted pod (watchable as a change, its node's
// share given back once its containers end) until the update that removes the last one, and a
// forced delete leaves a tombstone the kubelet's stop stage still receives.

const pods = dynamoPodStore;
const nodes = dynamoNodeStore;
const deps = { pods, now: () => new Date() } as unknown as ApiDeps;

beforeAll(async () => {
  await useFreshTable();
});

async function requestedOn(name: string) {
  return (await nodes.listNodes()).find((n) => n.node.metadata?.name === name)?.requested;
}

/** A pod bound to a node of its own (1 CPU, 1 GiB) whose task runs. */
async function runningPod(name: string, finalizers?: string[]) {
  const nodeName = `${name}-node`;
  await nodes.putNode(nodeObject(nodeName), { cpuMillis: 4000, memoryBytes: 8 * GiB, pods: 110 });
  const pod = storedPod(name, { cpu: '1', memory: '1Gi' });
  await pods.createPod({ ...pod, metadata: { ...pod.metadata, ...(finalizers ? { finalizers } : {}) } });
  const created = await pods.getPod('default', name, true);
  if (!created) throw new Error('missing');
  const view = (await nodes.listNodes()).find((n) => n.node.metadata?.name === nodeName);
  if (!view) throw new Error('no node');
  const bound: Pod = {
    ...created.pod,
    spec: { ...created.pod.spec, containers: created.pod.spec?.containers ?? [], nodeName },
    status: { ...created.pod.status, phase: 'Running' },
  };
  await pods.bindPod(created, bound, view, { cpuMillis: 1000, memoryBytes: GiB });
  const record = await pods.getPod('default', name, true);
  if (!record) throw new Error('missing');
  return { nodeName, record: await pods.updatePod(record, record.pod, { taskArn: `arn:task/${name}` }) };
}

async function rawItem(name: string) {
  const out = await dynamo().send(
    new GetCommand({
      TableName: process.env[environmentVariables.table],
      Key: { pk: 'pods/default', sk: name },
      ConsistentRead: true,
    }),
  );
  return out.Item as ObjectItem;
}

describe('pod deletion on DynamoDB Local', () => {
  it('holds a pod with a finalizer until an update removes it, giving its node share back once', async () => {
    const { nodeName, record } = await runningPod('held', ['example.com/cleanup']);
    const { pod, removed } = await deletePodAndDependents(record, {}, deps);
    expect(removed).toBe(false);
    expect(pod.metadata?.deletionGracePeriodSeconds).toBe(30);
    const deleting = await pods.getPod('default', 'held', true);
    if (!deleting) throw new Error('gone too soon');
    expect(deleting.stage).toBe('stop');

    // The task stopped: the pod stays, finished, and its node has its share back.
    const status = { ...deleting.pod.status, phase: 'Succeeded' as const };
    expect(await finishDeletion(deleting, pods, new Date().toISOString(), { status })).toBe('held');
    const held = await pods.getPod('default', 'held', true);
    expect(held).toMatchObject({ stage: 'done', released: true });
    expect(held?.pod.metadata?.deletionGracePeriodSeconds).toBe(0);
    expect(await requestedOn(nodeName)).toEqual({ cpuMillis: 0, memoryBytes: 0, pods: 0 });
    const changes = await pods.podChangesSince('default', record.resourceVersion);
    expect(changes.filter((c) => c.key === 'default/held').map((c) => c.deleted)).toEqual([false]);
    if (!held) throw new Error('gone too soon');
    expect(await finishDeletion(held, pods, new Date().toISOString(), { status })).toBe('unchanged');

    // The update that takes the last finalizer away removes it, and gives nothing back again.
    const withoutFinalizers = (current: Pod): Pod => {
      const { finalizers: _gone, ...metadata } = current.metadata ?? {};
      return { ...current, metadata };
    };
    await podStrategy.guaranteedUpdate(deps, { namespace: 'default', name: 'held' }, held, withoutFinalizers);
    expect(await pods.getPod('default', 'held', true)).toBeUndefined();
    expect((await rawItem('held')).stage).toBe('deleted');
    expect(await requestedOn(nodeName)).toEqual({ cpuMillis: 0, memoryBytes: 0, pods: 0 });
  });

  it('removes a force-deleted running pod at once, its tombstone left for the kubelet to stop its task', async () => {
    const { nodeName, record } = await runningPod('forced');
    const { removed } = await deletePodAndDependents(record, { gracePeriodSeconds: 0 }, deps);
    expect(removed).toBe(true);
    expect(await pods.getPod('default', 'forced', true)).toBeUndefined();
    expect(await requestedOn(nodeName)).toEqual({ cpuMillis: 0, memoryBytes: 0, pods: 0 });
    // What the kubelet's stream record carries, and what reconcile lists on the node.
    const tombstone = podRecordFromItem(await rawItem('forced'));
    expect(tombstone).toMatchObject({ deleted: true, stage: 'stop', taskArn: 'arn:task/forced' });
    expect(tombstone.pod.metadata?.deletionGracePeriodSeconds).toBe(0);
    expect(await pods.listPodsOnNode(nodeName)).toEqual([
      expect.objectContaining({ name: 'forced', stage: 'stop', taskArn: 'arn:task/forced' }),
    ]);
    const again = storedPod('forced');
    await expect(pods.createPod(again)).resolves.toBeDefined();
  });
});
