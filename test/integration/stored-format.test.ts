import { DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { dynamoEventStore } from '../../functions/adapters/dynamodb/event-store';
import { dynamoNamespaceStore } from '../../functions/adapters/dynamodb/namespace-store';
import { dynamoNodeStore } from '../../functions/adapters/dynamodb/node-store';
import { dynamoPodStore } from '../../functions/adapters/dynamodb/pod-store';
import { podRecordFromStream } from '../../functions/adapters/dynamodb/stream';
import { podEvent } from '../../functions/core/events';
import { GiB, nodeObject, storedPod } from '../fixtures';
import { useFreshTable } from './support';

// What podplane writes is compressed (functions/adapters/dynamodb/stored-body.ts), and what an
// earlier version wrote (a --data-dir from before) still reads the same.

let client: DynamoDBClient;
let table: string;

beforeAll(async () => {
  const { tableName, endpoint } = await useFreshTable();
  table = tableName;
  client = new DynamoDBClient({ endpoint, region: 'us-east-1' });
});

/** An item as podplane wrote it before bodies were compressed: the body as JSON text. */
async function putLegacy(item: Record<string, unknown>) {
  await client.send(new PutItemCommand({ TableName: table, Item: marshall(item) }));
}

/** DynamoDB's size of a stored item: attribute names and values. */
async function storedSize(pk: string, sk: string): Promise<number> {
  const out = await client.send(new GetItemCommand({ TableName: table, Key: marshall({ pk, sk }) }));
  return Object.entries(out.Item ?? {}).reduce((size, [name, value]) => {
    const bytes = value.B ? value.B.length : value.S ? Buffer.byteLength(value.S) : value.N ? 21 : 1;
    return size + name.length + bytes;
  }, 0);
}

describe('the stored format on DynamoDB Local', () => {
  it('reads pods, namespaces and events written before bodies were compressed', async () => {
    const pod = storedPod('legacy', { namespace: 'old' });
    const { resourceVersion: _rv, ...metadata } = pod.metadata ?? {};
    await putLegacy({
      pk: 'namespaces',
      sk: 'old',
      uid: 'ns-uid',
      rv: 5,
      created: '2026-01-01T00:00:00Z',
      body: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'old' },
        status: { phase: 'Active' },
      }),
    });
    await putLegacy({
      pk: 'pods/old',
      sk: 'legacy',
      uid: pod.metadata?.uid,
      rv: 7,
      createdRv: 7,
      stage: 'schedule',
      body: JSON.stringify({ ...pod, metadata }),
    });
    const event = podEvent(
      pod,
      { type: 'Normal', reason: 'Scheduled', message: 'assigned', component: 'default-scheduler' },
      new Date(),
    );
    await putLegacy({
      pk: 'events/old',
      sk: event.metadata?.name,
      rv: 9,
      body: JSON.stringify(event),
      expiresAt: Math.floor(Date.now() / 1000) + 600,
    });

    expect((await dynamoNamespaceStore.getNamespace('old'))?.status?.phase).toBe('Active');
    const record = await dynamoPodStore.getPod('old', 'legacy', true);
    expect(record?.pod).toEqual({ ...pod, metadata: { ...pod.metadata, resourceVersion: '7' } });
    expect((await dynamoPodStore.listPods('old')).map((p) => p.metadata?.name)).toEqual(['legacy']);
    expect((await dynamoEventStore.listEvents('old')).map((e) => e.reason)).toEqual(['Scheduled']);
    // Written again, the pod is stored in the new format and still reads the same.
    if (!record) throw new Error('missing');
    const labelled = await dynamoPodStore.updatePod(record, {
      ...record.pod,
      metadata: { ...record.pod.metadata, labels: { tier: 'a' } },
    });
    expect(labelled.pod.metadata?.labels).toEqual({ tier: 'a' });
    expect((await dynamoPodStore.getPod('old', 'legacy', true))?.pod.spec).toEqual(pod.spec);
  });

  it('keeps a pod item under the 1 KB a write unit pays for', async () => {
    const pod = storedPod('small');
    await dynamoPodStore.createPod(pod);
    expect(await storedSize('pods/default', 'small')).toBeLessThan(1024);
  });

  it('decodes a stream record in the JSON form Lambda delivers, binary as base64', async () => {
    const pod = await dynamoPodStore.createPod(storedPod('streamed'));
    const out = await client.send(
      new GetItemCommand({ TableName: table, Key: marshall({ pk: 'pods/default', sk: 'streamed' }) }),
    );
    const image = Object.fromEntries(
      Object.entries(out.Item ?? {}).map(([name, value]) => [
        name,
        value.B ? { B: Buffer.from(value.B).toString('base64') } : value,
      ]),
    );
    const record = podRecordFromStream({ dynamodb: { NewImage: image as never } });
    expect(record?.pod).toEqual(pod);
  });

  it('stores events recorded together in one item, and an event recorded again once', async () => {
    const pod = storedPod('eventful', { namespace: 'ev' });
    const at = new Date();
    const events = ['Pulled', 'Created', 'Started'].map((reason) =>
      podEvent(pod, { type: 'Normal', reason, message: reason, component: 'kubelet', key: 't1' }, at),
    );
    await Promise.all(events.map((e) => dynamoEventStore.record(e)));
    const out = await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: marshall({ ':pk': 'events/ev' }),
      }),
    );
    expect(out.Items).toHaveLength(1);
    // The same occurrence again (a retried controller): still one event, the later one.
    const later = { ...(events[1] as (typeof events)[number]), count: 2 };
    await dynamoEventStore.record(later);
    const listed = await dynamoEventStore.listEvents('ev');
    expect(listed.map((e) => e.reason).sort()).toEqual(['Created', 'Pulled', 'Started']);
    expect(listed.find((e) => e.reason === 'Created')?.count).toBe(2);
    expect(new Set(listed.map((e) => e.metadata?.uid)).size).toBe(3);
  });

  it("lists a node's pods from the keys-only index with their stage and task", async () => {
    await dynamoNodeStore.putNode(nodeObject('n-keys'), { cpuMillis: 4000, memoryBytes: 8 * GiB, pods: 110 });
    const node = (await dynamoNodeStore.listNodes()).find((n) => n.node.metadata?.name === 'n-keys');
    if (!node) throw new Error('missing node');
    await dynamoPodStore.createPod(storedPod('on-node'));
    const created = await dynamoPodStore.getPod('default', 'on-node', true);
    if (!created) throw new Error('missing pod');
    const bound = {
      ...created.pod,
      spec: { ...created.pod.spec, containers: created.pod.spec?.containers ?? [], nodeName: 'n-keys' },
    };
    expect(await dynamoPodStore.bindPod(created, bound, node, { cpuMillis: 100, memoryBytes: GiB })).toBe(
      'bound',
    );
    const boundRecord = await dynamoPodStore.getPod('default', 'on-node', true);
    if (!boundRecord) throw new Error('missing pod');
    await dynamoPodStore.updatePod(boundRecord, boundRecord.pod, { taskArn: 'arn:aws:ecs:task/t-keys' });
    const [entry, ...rest] = await dynamoPodStore.listPodsOnNode('n-keys');
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({
      namespace: 'default',
      name: 'on-node',
      stage: 'run',
      taskArn: 'arn:aws:ecs:task/t-keys',
    });
    expect(entry?.record?.taskArn).toBe('arn:aws:ecs:task/t-keys');
    expect(entry?.record?.pod.spec?.nodeName).toBe('n-keys');
  });
});
