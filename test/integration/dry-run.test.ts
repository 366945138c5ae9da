import { DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stores } from '../../functions/commons/stores';
import type { ApiRequest } from '../../functions/core/api/http';
import { handleApiRequest, type ServerDeps } from '../../functions/core/api/server';
import { useFreshTable } from './support';

/**
 * `dryRun=All` proven at the store, not at the API: after every kind of dry-run write, the
 * table's items and its stream (which feeds the scheduler and the kubelet, and so ECS) are
 * exactly what they were. DynamoDB Local is the real engine; nothing here is faked.
 */
let table: { tableName: string; streamArn: string; endpoint: string };
let dynamo: DynamoDBClient;
let streams: DynamoDBStreamsClient;

const deps: ServerDeps = {
  ...stores,
  logs: { read: async () => ({ events: [] }) },
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  logError: (message, error) => console.error(message, error),
};

beforeAll(async () => {
  table = await useFreshTable();
  dynamo = new DynamoDBClient({ endpoint: table.endpoint, region: 'us-east-1' });
  streams = new DynamoDBStreamsClient({ endpoint: table.endpoint, region: 'us-east-1' });
});

afterAll(() => {
  dynamo.destroy();
  streams.destroy();
});

const call = (
  method: string,
  path: string,
  body?: unknown,
  query: Record<string, string> = {},
  contentType = 'application/json',
) => {
  const request: ApiRequest = {
    method,
    path,
    query,
    headers: { 'content-type': contentType },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  };
  return handleApiRequest(request, deps).then((r) => ({ ...r, json: JSON.parse(r.body) }));
};

const manifest = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] },
});

/** Every item of the table, in a stable order. */
async function items(): Promise<string[]> {
  const all: string[] = [];
  for await (const page of paginateScan(
    { client: dynamo },
    { TableName: table.tableName, ConsistentRead: true },
  ))
    for (const item of page.Items ?? []) all.push(JSON.stringify(item, Object.keys(item).sort()));
  return all.sort();
}

/** Every record the table's stream holds, from its first shard's beginning. */
async function streamRecords(): Promise<string[]> {
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: table.streamArn }));
  const records: string[] = [];
  for (const shard of StreamDescription?.Shards ?? []) {
    let { ShardIterator: iterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: table.streamArn,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    // An open shard always hands out a next iterator; stop once a page comes back empty.
    for (let page = 0; iterator && page < 100; page++) {
      const result = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
      for (const record of result.Records ?? []) records.push(record.dynamodb?.SequenceNumber ?? '');
      if ((result.Records ?? []).length === 0) break;
      iterator = result.NextShardIterator;
    }
  }
  return records.sort();
}

const dryRun = { dryRun: 'All' };
const pods = '/api/v1/namespaces/default/pods';

describe('dryRun=All on DynamoDB Local', () => {
  it('runs every write verb in full and leaves the table and its stream untouched', async () => {
    expect((await call('POST', pods, manifest('web'))).statusCode).toBe(201);
    expect((await call('POST', '/api/v1/namespaces', { metadata: { name: 'team' } })).statusCode).toBe(201);
    // A pod on a node, so a delete takes the graceful path (an update) rather than removal.
    expect((await call('POST', pods, manifest('bound'))).statusCode).toBe(201);
    const bound = await stores.pods.getPod('default', 'bound', true);
    if (!bound) throw new Error('bound pod missing');
    const containers = bound.pod.spec?.containers ?? [];
    await stores.pods.updatePod(bound, {
      ...bound.pod,
      spec: { ...bound.pod.spec, containers, nodeName: 'node-1' },
    });

    const beforeItems = await items();
    const beforeStream = await streamRecords();
    expect(beforeStream.length).toBeGreaterThan(0);

    const created = await call('POST', pods, manifest('fresh'), dryRun);
    expect(created.statusCode).toBe(201);
    expect(created.json).toMatchObject({
      metadata: { name: 'fresh', namespace: 'default', uid: expect.any(String) },
      spec: { restartPolicy: 'Always', containers: [{ imagePullPolicy: 'IfNotPresent' }] },
      status: { phase: 'Pending' },
    });

    const generated = await call(
      'POST',
      pods,
      { ...manifest(''), metadata: { generateName: 'web-' } },
      dryRun,
    );
    expect(generated.statusCode).toBe(201);
    expect(generated.json.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);

    // Conflicts and validation are what the real write would answer.
    expect((await call('POST', pods, manifest('web'), dryRun)).json).toMatchObject({
      reason: 'AlreadyExists',
    });
    expect((await call('POST', pods, manifest('Bad_Name'), dryRun)).statusCode).toBe(422);

    const current = (await call('GET', `${pods}/web`)).json;
    const replaced = await call(
      'PUT',
      `${pods}/web`,
      { ...current, metadata: { ...current.metadata, labels: { tier: 'put' } } },
      dryRun,
    );
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json.metadata.labels).toEqual({ tier: 'put' });

    for (const [type, patch] of [
      ['application/merge-patch+json', { metadata: { labels: { tier: 'merge' } } }],
      ['application/strategic-merge-patch+json', { metadata: { labels: { tier: 'strategic' } } }],
      ['application/json-patch+json', [{ op: 'add', path: '/metadata/labels', value: { tier: 'json' } }]],
    ] as const) {
      const patched = await call('PATCH', `${pods}/web`, patch, dryRun, type);
      expect(patched.statusCode).toBe(200);
      expect(Object.values(patched.json.metadata.labels)).toHaveLength(1);
    }

    const status = await call(
      'PATCH',
      `${pods}/web/status`,
      { status: { phase: 'Running' } },
      dryRun,
      'application/merge-patch+json',
    );
    expect(status.json.status.phase).toBe('Running');

    // kubectl delete --dry-run=server sends DeleteOptions in the body.
    const deleting = await call('DELETE', `${pods}/bound`, { kind: 'DeleteOptions', dryRun: ['All'] });
    expect(deleting.statusCode).toBe(200);
    expect(deleting.json.metadata.deletionTimestamp).toBeDefined();
    expect((await call('DELETE', `${pods}/web`, undefined, dryRun)).statusCode).toBe(200);

    expect((await call('POST', '/api/v1/namespaces', { metadata: { name: 'dry' } }, dryRun)).statusCode).toBe(
      201,
    );
    const terminating = await call('DELETE', '/api/v1/namespaces/team', { dryRun: ['All'] });
    expect(terminating.json.status.phase).toBe('Terminating');
    // A pod in a built-in namespace not yet made: a dry run must not make it either.
    expect(
      (await call('POST', '/api/v1/namespaces/kube-public/pods', manifest('x'), dryRun)).statusCode,
    ).toBe(201);

    expect(await items()).toEqual(beforeItems);
    expect(await streamRecords()).toEqual(beforeStream);
    expect((await call('GET', `${pods}/web`)).json.metadata.labels).toBeUndefined();
    expect((await call('GET', `${pods}/fresh`)).statusCode).toBe(404);
    expect((await call('GET', '/api/v1/namespaces/team')).json.status.phase).toBe('Active');
  });

  it('refuses any other dryRun value with the options error, and writes nothing', async () => {
    const before = await items();
    const response = await call('POST', pods, manifest('yes'), { dryRun: 'Yes' });
    expect(response.statusCode).toBe(422);
    expect(response.json.message).toBe(
      'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Yes"}: supported values: "All"',
    );
    expect(await items()).toEqual(before);
  });
});
