import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { tableName } from '../../functions/adapters/config';
import { dynamo } from '../../functions/adapters/dynamodb/client';
import { nodeKey } from '../../functions/adapters/dynamodb/items';
import { dynamoNodeStore as nodes } from '../../functions/adapters/dynamodb/node-store';
import { ConflictError } from '../../functions/core/ports';
import { GiB, nodeObject } from '../fixtures';
import { useFreshTable } from './support';

/**
 * Node writes on DynamoDB Local: an API update and node sync's refresh are each conditioned on
 * the version they were made from, so neither overwrites the other; a node with a NoExecute taint
 * carries stage `evict`, which the kubelet's stream filter passes to the taint eviction pass.
 */
beforeAll(async () => {
  await useFreshTable();
});

const room = { cpuMillis: 4000, memoryBytes: 8 * GiB, pods: 110 };
const item = async (name: string) =>
  (await dynamo().send(new GetCommand({ TableName: tableName(), Key: nodeKey(name), ConsistentRead: true })))
    .Item;

describe('the node store', () => {
  it('conditions updates and refreshes on the resourceVersion they were made from', async () => {
    await nodes.putNode(nodeObject('n-rv'), room, null);
    await expect(nodes.putNode(nodeObject('n-rv'), room, null)).rejects.toBeInstanceOf(ConflictError);
    const read = await nodes.getNode('n-rv', { consistent: true });
    if (!read) throw new Error('missing');
    const updated = await nodes.updateNode({ ...read, spec: { unschedulable: true } });
    expect(Number(updated.metadata?.resourceVersion)).toBeGreaterThan(Number(read.metadata?.resourceVersion));
    await expect(nodes.updateNode(read)).rejects.toBeInstanceOf(ConflictError);
    await expect(nodes.putNode(read, room, read.metadata?.resourceVersion)).rejects.toBeInstanceOf(
      ConflictError,
    );
    await nodes.putNode(updated, room, updated.metadata?.resourceVersion);
    expect((await nodes.getNode('n-rv', { consistent: true }))?.spec?.unschedulable).toBe(true);
  });

  it('marks a node with a NoExecute taint with stage evict, and unmarks it when the taint goes', async () => {
    await nodes.putNode(nodeObject('n-stage'), room);
    expect((await item('n-stage'))?.stage).toBeUndefined();
    const read = await nodes.getNode('n-stage', { consistent: true });
    if (!read) throw new Error('missing');
    const tainted = await nodes.updateNode({
      ...read,
      spec: { taints: [{ key: 'k', effect: 'NoExecute' }] },
    });
    expect((await item('n-stage'))?.stage).toBe('evict');
    await nodes.updateNode({ ...tainted, spec: {} });
    expect((await item('n-stage'))?.stage).toBeUndefined();
  });
});
