import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { dynamo } from '../../functions/adapters/dynamodb/client';
import { dynamoNodeStore } from '../../functions/adapters/dynamodb/node-store';
import { dynamoPodStore } from '../../functions/adapters/dynamodb/pod-store';
import { AlreadyExistsError, ConflictError } from '../../functions/core/ports';
import { environmentVariables } from '../../functions/wiring';
import { GiB, nodeObject, storedPod } from '../fixtures';
import { useFreshTable } from './support';

const pods = dynamoPodStore;
const nodes = dynamoNodeStore;

beforeAll(async () => {
  await useFreshTable();
});

async function nodeNamed(name: string) {
  const info = (await nodes.listNodes()).find((n) => n.node.metadata?.name === name);
  if (!info) throw new Error(`node ${name} not found`);
  return info;
}

describe('the pod store on DynamoDB Local', () => {
  it('creates a pod once and refuses the same name again', async () => {
    const pod = storedPod('web-1');
    const created = await pods.createPod(pod);
    expect(created.metadata?.resourceVersion).toMatch(/^\d+$/);
    await expect(pods.createPod(storedPod('web-1'))).rejects.toBeInstanceOf(AlreadyExistsError);
    const read = await pods.getPod('default', 'web-1', true);
    expect(read?.pod.metadata?.uid).toBe(pod.metadata?.uid);
    expect(read?.resourceVersion).toBe(Number(created.metadata?.resourceVersion));
  });

  it('rejects an update made from a stale resourceVersion', async () => {
    await pods.createPod(storedPod('web-2'));
    const first = await pods.getPod('default', 'web-2', true);
    if (!first) throw new Error('missing');
    const labelled = { ...first.pod, metadata: { ...first.pod.metadata, labels: { tier: 'a' } } };
    const second = await pods.updatePod(first, labelled);
    expect(second.resourceVersion).toBeGreaterThan(first.resourceVersion);
    await expect(pods.updatePod(first, labelled)).rejects.toBeInstanceOf(ConflictError);
    expect((await pods.getPod('default', 'web-2', true))?.pod.metadata?.labels).toEqual({ tier: 'a' });
  });

  it('never binds more than a node can hold, whatever the concurrency', async () => {
    await nodes.putNode(nodeObject('small'), { cpuMillis: 2000, memoryBytes: 8 * GiB, pods: 110 });
    const candidates = Array.from({ length: 12 }, (_, i) =>
      storedPod(`burst-${i}`, { cpu: '500m', memory: '128Mi' }),
    );
    await Promise.all(candidates.map((p) => pods.createPod(p)));
    const view = await nodeNamed('small');
    const outcomes = await Promise.all(
      candidates.map(async (p) => {
        const record = await pods.getPod('default', p.metadata?.name ?? '', true);
        if (!record) throw new Error('missing');
        const bound = {
          ...record.pod,
          spec: { ...record.pod.spec, containers: record.pod.spec?.containers ?? [], nodeName: 'small' },
        };
        return pods.bindPod(record, bound, view, { cpuMillis: 500, memoryBytes: 128 * 2 ** 20 });
      }),
    );
    expect(outcomes.filter((o) => o === 'bound')).toHaveLength(4);
    expect(outcomes.filter((o) => o === 'node-full')).toHaveLength(8);
    const after = await nodeNamed('small');
    expect(after.requested).toEqual({ cpuMillis: 2000, memoryBytes: 4 * 128 * 2 ** 20, pods: 4 });
  });

  it('binds a pod once even when the same binding is attempted twice', async () => {
    await nodes.putNode(nodeObject('roomy'), { cpuMillis: 8000, memoryBytes: 8 * GiB, pods: 110 });
    await pods.createPod(storedPod('twice', { cpu: '1' }));
    const record = await pods.getPod('default', 'twice', true);
    if (!record) throw new Error('missing');
    const bound = {
      ...record.pod,
      spec: { ...record.pod.spec, containers: record.pod.spec?.containers ?? [], nodeName: 'roomy' },
    };
    const view = await nodeNamed('roomy');
    expect(await pods.bindPod(record, bound, view, { cpuMillis: 1000, memoryBytes: 0 })).toBe('bound');
    expect(await pods.bindPod(record, bound, view, { cpuMillis: 1000, memoryBytes: 0 })).toBe('pod-changed');
    expect((await nodeNamed('roomy')).requested.cpuMillis).toBe(1000);
  });

  it('gives a finished pod’s capacity back exactly once, and none again on delete', async () => {
    await nodes.putNode(nodeObject('returns'), { cpuMillis: 4000, memoryBytes: 8 * GiB, pods: 110 });
    await pods.createPod(storedPod('job', { cpu: '1500m', memory: '1Gi' }));
    const created = await pods.getPod('default', 'job', true);
    if (!created) throw new Error('missing');
    const bound = {
      ...created.pod,
      spec: { ...created.pod.spec, containers: created.pod.spec?.containers ?? [], nodeName: 'returns' },
    };
    await pods.bindPod(created, bound, await nodeNamed('returns'), { cpuMillis: 1500, memoryBytes: GiB });
    expect((await nodeNamed('returns')).requested).toEqual({ cpuMillis: 1500, memoryBytes: GiB, pods: 1 });

    const running = await pods.getPod('default', 'job', true);
    if (!running) throw new Error('missing');
    const finished = await pods.finishPod(running, {
      ...running.pod,
      status: { ...running.pod.status, phase: 'Succeeded' },
    });
    expect(finished.released).toBe(true);
    expect((await nodeNamed('returns')).requested).toEqual({ cpuMillis: 0, memoryBytes: 0, pods: 0 });
    await expect(pods.finishPod(running, running.pod)).rejects.toBeInstanceOf(ConflictError);

    await pods.deletePod(finished);
    expect((await nodeNamed('returns')).requested).toEqual({ cpuMillis: 0, memoryBytes: 0, pods: 0 });
    expect(await pods.getPod('default', 'job', true)).toBeUndefined();
  });

  /** A pod bound to a node of its own, 1 CPU and 1 GiB requested. */
  async function boundPod(name: string, nodeName: string) {
    await nodes.putNode(nodeObject(nodeName), { cpuMillis: 4000, memoryBytes: 8 * GiB, pods: 110 });
    await pods.createPod(storedPod(name, { cpu: '1', memory: '1Gi' }));
    const created = await pods.getPod('default', name, true);
    if (!created) throw new Error('missing');
    const bound = {
      ...created.pod,
      spec: { ...created.pod.spec, containers: created.pod.spec?.containers ?? [], nodeName },
    };
    await pods.bindPod(created, bound, await nodeNamed(nodeName), { cpuMillis: 1000, memoryBytes: GiB });
    const record = await pods.getPod('default', name, true);
    if (!record) throw new Error('missing');
    expect((await nodeNamed(nodeName)).requested).toEqual({ cpuMillis: 1000, memoryBytes: GiB, pods: 1 });
    return record;
  }

  /** Fails the next release transaction (one with a client token), as if its caller died first. */
  function dieBeforeTheNextRelease() {
    const stack = dynamo().middlewareStack;
    const name = `die-${Math.random()}`;
    stack.add(
      (next, context) => async (args) => {
        const input = args.input as { ClientRequestToken?: string };
        if (context.commandName === 'TransactWriteItemsCommand' && input.ClientRequestToken) {
          stack.remove(name);
          throw new Error('the process died here');
        }
        return next(args);
      },
      { step: 'initialize', name },
    );
  }

  it('gives a deleted pod’s capacity back when a delivery comes again after dying between tombstone and release', async () => {
    const record = await boundPod('torn', 'torn-node');
    dieBeforeTheNextRelease();
    await expect(pods.deletePod(record)).rejects.toThrow('the process died here');
    // Half done: the pod reads as gone, its node still holds what it asked for.
    expect(await pods.getPod('default', 'torn', true)).toBeUndefined();
    expect((await nodeNamed('torn-node')).requested).toEqual({ cpuMillis: 1000, memoryBytes: GiB, pods: 1 });

    // The record delivered again finishes the release, and any later delivery changes nothing.
    await pods.deletePod(record);
    expect((await nodeNamed('torn-node')).requested).toEqual({ cpuMillis: 0, memoryBytes: 0, pods: 0 });
    await pods.deletePod(record);
    expect((await nodeNamed('torn-node')).requested).toEqual({ cpuMillis: 0, memoryBytes: 0, pods: 0 });
  });

  it('gives capacity back once when two controllers delete the same pod at once', async () => {
    const record = await boundPod('deleted-twice', 'twice-node');
    const outcomes = await Promise.allSettled([
      pods.deletePod(record),
      pods.deletePod(record),
      pods.deletePod(record),
    ]);
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => String(o.reason))).toEqual([]);
    expect((await nodeNamed('twice-node')).requested).toEqual({ cpuMillis: 0, memoryBytes: 0, pods: 0 });
    expect(await pods.getPod('default', 'deleted-twice', true)).toBeUndefined();
  });

  it('leaves a release alone once its tombstone is older than the client token lasts', async () => {
    const record = await boundPod('stale-tombstone', 'late-node');
    dieBeforeTheNextRelease();
    await expect(pods.deletePod(record)).rejects.toThrow('the process died here');
    // Six minutes on: a release made now might repeat one DynamoDB no longer remembers.
    await dynamo().send(
      new UpdateCommand({
        TableName: process.env[environmentVariables.table],
        Key: { pk: 'pods/default', sk: 'stale-tombstone' },
        UpdateExpression: 'SET rv = :old',
        ExpressionAttributeValues: { ':old': (Date.now() - 6 * 60_000) * 1000 },
      }),
    );
    await expect(pods.deletePod(record)).rejects.toBeInstanceOf(ConflictError);
    expect((await nodeNamed('late-node')).requested).toEqual({ cpuMillis: 1000, memoryBytes: GiB, pods: 1 });
  });

  it('keeps a deleted pod as a tombstone that watchers see and a new pod may replace', async () => {
    await pods.createPod(storedPod('gone'));
    const record = await pods.getPod('default', 'gone', true);
    if (!record) throw new Error('missing');
    const before = record.resourceVersion;
    await pods.deletePod(record);
    expect(await pods.getPod('default', 'gone', true)).toBeUndefined();
    expect((await pods.listPods('default')).map((p) => p.metadata?.name)).not.toContain('gone');
    const changes = await pods.podChangesSince('default', before);
    expect(changes.filter((c) => c.object.metadata?.name === 'gone').map((c) => c.deleted)).toEqual([true]);

    const again = storedPod('gone');
    await pods.createPod(again);
    expect((await pods.getPod('default', 'gone', true))?.pod.metadata?.uid).toBe(again.metadata?.uid);
    const later = await pods.podChangesSince('default', before);
    const created = later.find((c) => c.object.metadata?.name === 'gone');
    expect(created?.deleted).toBe(false);
    expect(created?.createdResourceVersion).toBeGreaterThan(before);
    expect(created?.object.metadata?.uid).toBe(again.metadata?.uid);
  });

  it('keeps the spec generation a task runs, turns a newer spec into stage replace, and forgets it with the task', async () => {
    const pod = storedPod('spec-change');
    await pods.createPod({
      ...pod,
      metadata: { ...pod.metadata, generation: 1 },
      spec: { ...pod.spec, containers: pod.spec?.containers ?? [], nodeName: 'node-a' },
    });
    const bound = await pods.getPod('default', 'spec-change', true);
    if (!bound) throw new Error('missing');
    const launched = await pods.updatePod(bound, bound.pod, { taskArn: 'task-0', specGeneration: 1 });
    expect(launched).toMatchObject({ stage: 'run', specGeneration: 1 });
    const [app] = launched.pod.spec?.containers ?? [];
    const changed = await pods.updatePod(launched, {
      ...launched.pod,
      metadata: { ...launched.pod.metadata, generation: 2 },
      spec: { ...launched.pod.spec, containers: [{ ...app, name: 'app', image: 'nginx:1.28' }] },
    });
    expect(changed).toMatchObject({ stage: 'replace', specGeneration: 1 });
    const acted = await pods.updatePod(changed, changed.pod, { specGeneration: 2 });
    expect(acted).toMatchObject({ stage: 'run', specGeneration: 2 });
    const relaunching = await pods.updatePod(acted, acted.pod, { clearTask: true, taskGeneration: 1 });
    expect(relaunching.stage).toBe('launch');
    expect(relaunching.specGeneration).toBeUndefined();
    expect(relaunching.taskArn).toBeUndefined();
  });

  it('finds a pod by the uid an ECS task carries in startedBy', async () => {
    const pod = storedPod('by-uid');
    await pods.createPod(pod);
    const found = await pods.findPodByUid(pod.metadata?.uid ?? '');
    expect(found?.pod.metadata?.name).toBe('by-uid');
    expect(await pods.findPodByUid('00000000-0000-0000-0000-000000000000')).toBeUndefined();
  });
});
